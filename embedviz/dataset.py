"""Resolve what a user hands the Explorer (a DataFrame or arrays) into validated parts.

No widgets and no compute here: this module only checks shapes and names and says how to
fix them, so every bad input fails before any expensive work starts.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .labels.validate import brief


#: The fewest points every map method lays out (embedviz.reduce's minimum).
MIN_POINTS = 3


@dataclass(frozen=True)
class ExplorerData:
    """The validated inputs of an Explorer.

    ``frame``: the user's rows (a DataFrame; arrays are wrapped); ``embedding``: (n, d) float32
    or None when it must be computed from ``text_column`` / ``image_column``.
    """

    frame: pd.DataFrame
    embedding: np.ndarray | None
    text_column: str | None
    image_column: str | None

    @property
    def n(self) -> int:
        return len(self.frame)

    @property
    def ids(self) -> np.ndarray:
        """Stable point ids: the DataFrame index."""
        return self.frame.index.to_numpy()

    def missing_images(self) -> int:
        """How many image cells are file paths that do not exist (previews show placeholders)."""
        if self.image_column is None:
            return 0
        import os

        column = self.frame[self.image_column]
        missing = column.isna().to_numpy()
        paths = column.map(lambda v: isinstance(v, (str, os.PathLike))).to_numpy(dtype=bool) & ~missing
        gone = sum(1 for v in column[paths].tolist() if not os.path.exists(v))
        return int(missing.sum()) + gone

    def texts(self) -> list[str] | None:
        if self.text_column is None:
            return None
        return ["" if v is None else str(v) for v in self.frame[self.text_column].tolist()]


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
) -> ExplorerData:
    """Validate the Explorer's inputs; errors list the available columns or the mismatch."""
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
    if emb is not None:
        _check_finite(emb, frame)
    if emb is None and text_col is None and image_col is None:
        raise ValueError(
            "Nothing to map: pass embedding= (a column name or an (n, d) array), "
            "or text= (a text column to embed with MiniLM), or image= with an image model."
        )
    return ExplorerData(frame=frame, embedding=emb, text_column=text_col, image_column=image_col)
