"""Resolve what a user hands the Explorer (a DataFrame or arrays) into validated parts.

No widgets and no compute here: this module only checks shapes and names and says how to
fix them, so every bad input fails before any expensive work starts.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..common import brief

#: The fewest points every map method lays out (embedviz.reduce's minimum).
MIN_POINTS = 3


@dataclass(frozen=True)
class ExplorerData:
    """The validated inputs of an Explorer.

    ``frame``: the user's rows (a DataFrame; arrays are wrapped); ``embedding``: (n, d) float32
    or None when it must be computed from ``text_column`` / ``image_column``; ``rows``: for
    Parquet input, the on-demand reader (``ParquetRows``) of the columns ``frame`` leaves out
    (the text and image columns stay on disk). Read texts through :meth:`text_at` and
    :meth:`iter_texts`, which serve both.
    """

    frame: pd.DataFrame
    embedding: np.ndarray | None
    text_column: str | None
    image_column: str | None
    rows: Any = None

    def cells_at(self, column: str, positions: Any) -> list[Any]:
        """The cells of ``column`` at row ``positions`` (in that order), from the frame or,
        for a column kept on disk, from Parquet.

        Parameters
        ----------
        column : str
            A column of the data (in ``frame`` or in ``rows``).
        positions : array-like of int
            Row positions.

        Returns
        -------
        list
        """
        pos = np.asarray(positions, dtype=np.int64).ravel()
        if column in self.frame.columns or self.rows is None:
            return self.frame[column].iloc[pos].tolist()
        return self.rows.take(pos, [column])[column].tolist()

    def prefetch(self, positions: Any) -> None:
        """Read the on-disk text and image cells of ``positions`` in one pass, so that the
        per-row reads that follow (a panel's rows) come from the reader's cache; nothing to
        do for in-memory data.

        Parameters
        ----------
        positions : array-like of int
        """
        if self.rows is None:
            return
        columns = [c for c in (self.text_column, self.image_column)
                   if c is not None and c not in self.frame.columns]
        if columns and len(positions):
            self.rows.take(positions, columns)

    def text_at(self, positions: Any) -> list[str]:
        """The texts of row ``positions`` (in that order) as str.

        Parameters
        ----------
        positions : array-like of int

        Returns
        -------
        list of str

        Raises
        ------
        ValueError
            The data has no text column.
        """
        if self.text_column is None:
            raise ValueError("This data has no text column; pass text= to the Explorer.")
        return [v if isinstance(v, str) else str(v)
                for v in self.cells_at(self.text_column, positions)]

    def column_values(self, column: str) -> Any:
        """A whole column as a sequence: the frame's Series, or for a column kept on disk a
        ``ParquetColumn`` whose ``take`` reads only the asked rows (so a sampling consumer
        such as :func:`embedviz.regions` reads only its sample).

        Parameters
        ----------
        column : str

        Returns
        -------
        pandas.Series or ParquetColumn
        """
        if column in self.frame.columns or self.rows is None:
            return self.frame[column]
        return self.rows.column(column)

    def iter_texts(self, batch_rows: int | None = None) -> Iterator[tuple[int, list[str]]]:
        """Every text in row order, in batches (whole-column passes such as substring
        search): from the frame in one batch, from Parquet ``batch_rows`` at a time.

        Parameters
        ----------
        batch_rows : int, optional
            Rows per Parquet batch (default: ``parquet_rows.SCAN_ROWS``).

        Yields
        ------
        offset : int
            Position of the batch's first row.
        texts : list of str

        Raises
        ------
        ValueError
            The data has no text column.
        """
        column = self.text_column
        if column is None:
            raise ValueError("This data has no text column; pass text= to the Explorer.")
        if column in self.frame.columns or self.rows is None:
            yield 0, self.frame[column].astype(str).tolist()
            return
        for offset, values in self.rows.scan(column, batch_rows=batch_rows):
            yield offset, [v if isinstance(v, str) else str(v) for v in values]

    @property
    def n(self) -> int:
        return len(self.frame)

    @property
    def ids(self) -> np.ndarray:
        """Stable point ids: the DataFrame index."""
        return self.frame.index.to_numpy()

    def missing_images(self) -> int:
        """How many image cells are file paths that do not exist (previews show placeholders);
        an on-disk image column is checked batch by batch."""
        if self.image_column is None:
            return 0
        if self.image_column in self.frame.columns or self.rows is None:
            return _missing_in(self.frame[self.image_column])
        return sum(_missing_in(pd.Series(values, dtype=object))
                   for _, values in self.rows.scan(self.image_column))

    def texts(self) -> list[str] | None:
        """The text column's values, checked (``resolve_data`` already refused missing ones)."""
        if self.text_column is None:
            return None
        if self.text_column not in self.frame.columns:
            return [t for _, batch in self.iter_texts() for t in batch]
        return checked_texts(self.frame[self.text_column], self.text_column)


def _missing_in(column: pd.Series) -> int:
    """Empty image cells plus paths to files that do not exist."""
    import os

    missing = column.isna().to_numpy()
    paths = column.map(lambda v: isinstance(v, (str, os.PathLike))).to_numpy(dtype=bool) & ~missing
    gone = sum(1 for v in column[paths].tolist() if not os.path.exists(v))
    return int(missing.sum()) + gone


def missing_texts(values: pd.Series) -> np.ndarray:
    """Mask of the entries that hold no text: None, NaN or NA (empty strings are texts)."""
    return values.isna().to_numpy(dtype=bool)


def checked_texts(values: pd.Series, column: str) -> list[str]:
    """The texts of ``values`` as strings.

    Parameters
    ----------
    values : pandas.Series
        The text column.
    column : str
        Its name, for the messages.

    Returns
    -------
    list of str

    Raises
    ------
    TypeError
        The column holds numbers (or no strings at all): it is not text.
    ValueError
        Some entries are missing (None/NaN); the message names their rows.
    """
    if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        raise TypeError(f"The text column {column!r} holds {values.dtype} values, not text; "
                        "pass the column with the texts to embed as text=, or numbers as "
                        "embedding=.")
    missing = missing_texts(values)
    if missing.any():
        rows = ", ".join(repr(r) for r in values.index[missing][:5].tolist())
        raise ValueError(
            f"The text column {column!r} is missing in {int(missing.sum()):,} row(s) (data "
            f"rows {rows}{', …' if missing.sum() > 5 else ''}); they would be embedded as "
            "the word 'nan'. Fill them (df[col].fillna('')), drop them, or pass "
            "drop_missing=True to leave those rows out.")
    strange = [v for v in values.tolist() if not isinstance(v, str)]
    if len(strange) == len(values):
        raise TypeError(f"The text column {column!r} holds {type(strange[0]).__name__} values, "
                        "not text; pass the column with the texts to embed as text=.")
    return [v if isinstance(v, str) else str(v) for v in values.tolist()]


def _frame_from(data: Any) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pd.Series):
        return data.to_frame()
    if isinstance(data, dict):
        lengths = {k: len(v) for k, v in data.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(
                f"The columns passed as a dict have different lengths {lengths}; "
                "every column needs one value per point."
            )
        return pd.DataFrame(data)
    if isinstance(data, (np.ndarray, list)):
        arr = np.asarray(data)
        if arr.ndim == 2:
            return pd.DataFrame(index=pd.RangeIndex(arr.shape[0]))
        if arr.ndim == 1:
            return pd.DataFrame({"item": arr})
    raise TypeError(
        f"Explorer data must be a pandas DataFrame, a dict of columns or an (n, d) array; "
        f"got {type(data).__name__}."
    )


def _check_column(frame: pd.DataFrame, name: str, role: str) -> str:
    if name not in frame.columns:
        raise KeyError(
            f"Unknown {role} column {name!r}; the data has columns {list(map(str, frame.columns))}."
        )
    return name


def _stack_column(column: pd.Series, name: str) -> np.ndarray:
    """Stack a column of per-row vectors into (n, d); ragged rows are an error."""
    rows = [np.asarray(v, dtype=np.float32).ravel() for v in column.tolist()]
    lengths = {r.shape[0] for r in rows}
    if len(lengths) > 1:
        counts = pd.Series([r.shape[0] for r in rows]).value_counts().to_dict()
        raise ValueError(
            f"The embedding column {name!r} is ragged: vector lengths {counts} (length: rows). "
            "Every row needs a vector of the same length; fix or drop the odd rows."
        )
    return np.stack(rows) if rows else np.zeros((0, 0), np.float32)


def _as_embedding(value: Any, frame: pd.DataFrame) -> np.ndarray:
    if isinstance(value, str):
        col = _check_column(frame, value, "embedding")
        return _stack_column(frame[col], col)
    try:
        arr = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            "embedding must be a column name or an (n, d) numeric array; "
            f"could not read {type(value).__name__} as numbers ({exc})."
        ) from exc
    if arr.ndim != 2:
        raise ValueError(f"embedding must be 2-D (n, d); got shape {arr.shape}.")
    if arr.shape[0] != len(frame):
        raise ValueError(
            f"embedding has {arr.shape[0]} rows but the data has {len(frame)}; "
            "pass one embedding row per data row."
        )
    return arr


def _check_finite(emb: np.ndarray, frame: pd.DataFrame) -> None:
    """NaN or inf rows are refused with the Explorer's own fix (the compute functions' hint,
    ``drop_invalid=True``, is no argument of the Explorer)."""
    bad = np.flatnonzero(~np.isfinite(emb).all(axis=1))
    if bad.size:
        rows = ", ".join(repr(r) for r in frame.index[bad[:5]].tolist())
        raise ValueError(
            f"The embedding has NaN or inf values in {bad.size:,} row(s) (data rows {rows}"
            f"{', …' if bad.size > 5 else ''}). Drop those rows from the data and the embedding "
            "together: keep = np.isfinite(emb).all(axis=1); Explorer(df[keep], "
            "embedding=emb[keep], ...)."
        )


def _texts_checked(frame: pd.DataFrame, emb: np.ndarray | None, column: str,
                   drop_missing: bool) -> tuple[pd.DataFrame, np.ndarray | None]:
    """The frame (and embedding) with the text column checked; rows without text are
    dropped only when asked."""
    values = frame[column]
    missing = missing_texts(values)
    if drop_missing and missing.any():
        import warnings

        keep = ~missing
        if keep.sum() < MIN_POINTS:
            raise ValueError(f"Only {int(keep.sum())} row(s) have a text in {column!r}; the "
                             f"Explorer needs at least {MIN_POINTS}.")
        warnings.warn(f"drop_missing=True: {int(missing.sum()):,} row(s) without a text in "
                      f"{column!r} are left out.", UserWarning, stacklevel=3)
        frame = frame[keep]
        emb = None if emb is None else emb[keep]
    checked_texts(frame[column], column)
    return frame, emb


def row_positions(indices: Any, index: pd.Index) -> Any:
    """Pandas row selections as positions into the data: a boolean Series (aligned on the
    data's ``index``) or a pandas Index of the data's row labels (``df.index[mask]``).
    Anything else (positions, as ``Explorer.selection`` gives; a boolean mask) passes as is."""
    if isinstance(indices, pd.Series) and pd.api.types.is_bool_dtype(indices.dtype):
        if not indices.index.equals(index):
            stray = indices.index.difference(index)
            if len(stray):
                raise KeyError(
                    f"The boolean Series has {len(stray)} row labels that are not in the data "
                    f"(e.g. {brief(stray[0])}); build the mask from the data's own frame.")
            indices = indices.reindex(index, fill_value=False)
        return indices.to_numpy(dtype=bool)
    if isinstance(indices, pd.Index) and not pd.api.types.is_bool_dtype(indices.dtype):
        found = index.get_indexer(indices)
        if (found < 0).any():
            raise KeyError(
                f"{brief(indices[found < 0][0])} is not a row label of the data; pass row "
                "labels from its index (df.index[...]) or positions (as ex.selection gives).")
        return found
    return indices


def check_index(index: pd.Index) -> None:
    """The data's index names points in the label file: unique integers or strings."""
    fix = "use df.reset_index(drop=True) (positions) or df.index = df.index.astype(str)"
    if isinstance(index, pd.MultiIndex):
        raise TypeError(f"The data has a MultiIndex; label files need one id per row: {fix}.")
    kind = pd.api.types.infer_dtype(index, skipna=False)
    if kind not in ("integer", "string", "empty"):
        raise TypeError(f"The data's index holds {kind} values; label files need integer or "
                        f"string ids: {fix}.")
    if index.has_duplicates:
        dup = brief(index[index.duplicated()][0])
        raise ValueError(f"The data's index has duplicates (e.g. {dup}); each row needs its "
                         f"own id in the label file: {fix}.")


def resolve_data(
    data: Any,
    *,
    embedding: Any = None,
    text: str | None = None,
    image: str | None = None,
    drop_missing: bool = False,
) -> ExplorerData:
    """Validate the Explorer's inputs; errors list the available columns or the mismatch.

    Parameters
    ----------
    data : DataFrame, Series, dict of columns, (n, d) array, or a Parquet path
        The rows. A path ending in ``.parquet`` or a folder of ``.parquet`` shards is read
        with :func:`embedviz.explorer.parquet_rows.open_parquet`: the embedding and the small
        columns in memory, ``text`` and ``image`` read on demand (``embedding=`` names the
        column of vectors and is required).
    embedding : str or array-like, optional
        A column of vectors or an (n, d) array.
    text, image : str, optional
        The column to embed (and to preview).
    drop_missing : bool, default False
        Leave out rows whose text is missing (None/NaN), with a warning; by default they
        are refused, naming the rows.

    Returns
    -------
    ExplorerData

    Raises
    ------
    KeyError, TypeError, ValueError
        Unknown columns, a text column that is not text, missing texts, mismatched lengths.
    FileNotFoundError
        A Parquet path that does not exist.
    """
    from .parquet_rows import is_parquet_path

    if is_parquet_path(data):
        return _resolve_parquet(data, embedding=embedding, text=text, image=image,
                                drop_missing=drop_missing)
    frame = _frame_from(data)
    if len(frame) < MIN_POINTS:
        raise ValueError(f"The data has {len(frame)} row(s); the Explorer needs at least "
                         f"{MIN_POINTS} points to map.")
    check_index(frame.index)
    text_col = _check_column(frame, text, "text") if text is not None else None
    image_col = _check_column(frame, image, "image") if image is not None else None
    if embedding is None and isinstance(data, np.ndarray) and data.ndim == 2:
        embedding = data
    emb = _as_embedding(embedding, frame) if embedding is not None else None
    if text_col is not None:
        frame, emb = _texts_checked(frame, emb, text_col, drop_missing)
    if emb is not None:
        _check_finite(emb, frame)
    if emb is None and text_col is None and image_col is None:
        raise ValueError(
            "Nothing to map: pass embedding= (a column name or an (n, d) array), "
            "or text= (a text column to embed with MiniLM), or image= with an image model."
        )
    return ExplorerData(frame=frame, embedding=emb, text_column=text_col, image_column=image_col)


def _resolve_parquet(path: Any, *, embedding: Any, text: str | None, image: str | None,
                     drop_missing: bool) -> ExplorerData:
    """Parquet input: only the embedding and the small columns are loaded; the text and
    image columns stay on disk behind ``ExplorerData.rows``."""
    from .parquet_rows import open_parquet

    if drop_missing:
        raise ValueError("drop_missing=True needs the texts in memory; for Parquet input drop "
                         "the rows without a text when writing the data.")
    frame, emb, rows = open_parquet(path, embedding=embedding, text=text, image=image)
    if len(frame) < MIN_POINTS:
        raise ValueError(f"The Parquet data has {len(frame)} row(s); the Explorer needs at "
                         f"least {MIN_POINTS} points to map.")
    check_index(frame.index)
    _check_finite(emb, frame)
    return ExplorerData(frame=frame, embedding=emb, text_column=text, image_column=image,
                        rows=rows)
