"""Rows of a Parquet dataset (one file or a folder of shards) read on demand.

The Explorer keeps the embedding, the map, the ids and the small columns in memory; texts
and images stay on disk and are read for the rows a panel shows (``take``) or streamed in
batches for whole-column passes (``scan``, e.g. substring search). Parquet reads whole row
groups, so ``take`` reads only the row groups that hold the asked rows, once each, and keeps
the last rows it read for the next hover.
"""
from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: Rows per batch of a whole-column pass: enough to amortise the per-batch cost, small
#: enough that a batch of long texts stays a few tens of MB.
SCAN_ROWS = 65_536
#: Cells kept from recent reads (a hovered row is often hovered again).
CACHE_CELLS = 4_096

_RAY_FIX = ("embed the texts first and write them with their vectors, e.g. "
            "embedviz.embed(..., engine=\"ray\", out=...), then pass that column as embedding=")


def parquet_files(path: str | os.PathLike[str]) -> list[str]:
    """The Parquet files of ``path``: the file itself, or a folder's ``*.parquet`` files
    (nested folders included, hidden and ``_``-prefixed ones left out) in name order.

    Parameters
    ----------
    path : str or PathLike
        A ``.parquet`` file or a folder of shards.

    Returns
    -------
    list of str

    Raises
    ------
    FileNotFoundError
        The path does not exist, or the folder holds no ``.parquet`` file.
    """
    p = Path(path).expanduser()
    if not p.exists():
        raise FileNotFoundError(f"No Parquet file or folder at {str(p)!r}; check the path "
                                "(a .parquet file or a folder of .parquet shards).")
    if p.is_file():
        return [str(p)]
    files = sorted(str(f) for f in p.rglob("*.parquet")
                   if not any(part.startswith((".", "_")) for part in f.relative_to(p).parts))
    if not files:
        raise FileNotFoundError(f"The folder {str(p)!r} holds no .parquet files; pass a "
                                ".parquet file or a folder of .parquet shards.")
    return files


def is_parquet_path(data: Any) -> bool:
    """Whether ``data`` names Parquet input: a path ending in ``.parquet`` or a folder.

    Parameters
    ----------
    data : object
        What the user passed as the Explorer's data.

    Returns
    -------
    bool
    """
    if not isinstance(data, (str, os.PathLike)):
        return False
    p = Path(data).expanduser()
    return str(p).endswith(".parquet") or p.is_dir()


class ParquetRows:
    """Random and streaming access to the columns of a Parquet dataset.

    Parameters
    ----------
    path : str or PathLike
        A ``.parquet`` file or a folder of shards (row order: files in name order, then
        the rows of each file).
    cache_cells : int, default CACHE_CELLS
        Cells kept from recent reads.

    Attributes
    ----------
    n : int
        Rows in the dataset.
    columns : list of str
        Its column names.

    Examples
    --------
    >>> rows = ParquetRows("items.parquet")            # doctest: +SKIP
    >>> rows.take([7, 2], ["text"])                    # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike[str], *, cache_cells: int = CACHE_CELLS) -> None:
        import pyarrow.dataset as ds

        self.path = str(path)
        self.dataset = ds.dataset(parquet_files(path), format="parquet")
        # one piece per row group, in row order, and where each starts
        self._groups = [g for f in self.dataset.get_fragments()
                        for g in f.split_by_row_group()]
        sizes = [sum(rg.num_rows for rg in g.row_groups) for g in self._groups]
        self._starts = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])
        self.n = int(self._starts[-1])
        self.columns: list[str] = list(self.dataset.schema.names)
        self._cache: OrderedDict[tuple[str, int], Any] = OrderedDict()
        self._cache_cells = cache_cells

    def check_columns(self, names: Sequence[str]) -> None:
        """Raise a KeyError naming the available columns when one of ``names`` is absent.

        Parameters
        ----------
        names : sequence of str

        Raises
        ------
        KeyError
            A column the dataset lacks.
        """
        for name in names:
            if name not in self.columns:
                raise KeyError(f"The Parquet data has no column {name!r}; its columns are "
                               f"{self.columns}.")

    def clear_cache(self) -> None:
        """Forget the cells kept from recent reads (the next take reads from disk)."""
        self._cache.clear()

    def cached_positions(self, column: str) -> set[int]:
        """The row positions of ``column`` whose cells are kept from recent reads.

        Parameters
        ----------
        column : str

        Returns
        -------
        set of int
        """
        return {p for c, p in self._cache if c == column}

    def take(self, positions: Any, columns: Sequence[str]) -> pd.DataFrame:
        """The cells of ``columns`` at row ``positions``, in the order asked.

        Parameters
        ----------
        positions : array-like of int
            Row positions (0..n-1); repeats allowed.
        columns : sequence of str

        Returns
        -------
        pandas.DataFrame
            One row per position (index 0..len-1), one column per name.

        Raises
        ------
        IndexError
            A position outside 0..n-1.
        KeyError
            An unknown column.
        """
        pos = np.asarray(positions, dtype=np.int64).ravel()
        if pos.size and (pos.min() < 0 or pos.max() >= self.n):
            raise IndexError(f"Row positions must lie in 0..{self.n - 1}; got "
                             f"{int(pos.min())}..{int(pos.max())}.")
        self.check_columns(columns)
        out = {c: self._cells(c, pos) for c in columns}
        return pd.DataFrame(out, index=pd.RangeIndex(pos.size))

    def _cells(self, column: str, pos: np.ndarray) -> list[Any]:
        cache = self._cache
        wanted = np.unique(pos)
        missing = [int(p) for p in wanted if (column, int(p)) not in cache]
        if missing:
            self._read_into_cache(column, np.asarray(missing, dtype=np.int64))
        found: dict[int, Any] = {}
        for p in wanted.tolist():
            found[p] = cache[(column, p)]
            cache.move_to_end((column, p))
        values = [found[p] for p in pos.tolist()]
        while len(cache) > max(self._cache_cells, wanted.size):
            cache.popitem(last=False)
        return values

    def _read_into_cache(self, column: str, pos: np.ndarray) -> None:
        group_of = np.searchsorted(self._starts, pos, side="right") - 1
        for g in np.unique(group_of).tolist():
            local = pos[group_of == g] - self._starts[g]
            table = self._groups[g].to_table(columns=[column], schema=self.dataset.schema)
            cells = table.column(0).take(local).to_pylist()
            for p, v in zip((local + self._starts[g]).tolist(), cells, strict=True):
                self._cache[(column, int(p))] = v

    def scan(self, column: str, *, batch_rows: int | None = None) -> Iterator[tuple[int, list]]:
        """Stream a whole column in row order.

        Parameters
        ----------
        column : str
        batch_rows : int, optional
            Rows per batch (default ``SCAN_ROWS``).

        Yields
        ------
        offset : int
            Position of the batch's first row.
        values : list
            The batch's cells.

        Raises
        ------
        KeyError
            An unknown column.
        """
        self.check_columns([column])
        size = SCAN_ROWS if batch_rows is None else int(batch_rows)
        if size < 1:
            raise ValueError(f"batch_rows must be at least 1; got {batch_rows}.")
        offset = 0
        for batch in self.dataset.to_batches(columns=[column], batch_size=size):
            values = batch.column(0).to_pylist()
            yield offset, values
            offset += len(values)

    def column(self, name: str) -> ParquetColumn:
        """A read-on-demand sequence over one column (see :class:`ParquetColumn`).

        Parameters
        ----------
        name : str

        Returns
        -------
        ParquetColumn
        """
        self.check_columns([name])
        return ParquetColumn(self, name)


class ParquetColumn(Sequence[Any]):
    """One column of a :class:`ParquetRows` as a sequence whose ``take`` reads only the
    asked rows (what a sampling consumer such as :func:`embedviz.regions` calls).

    Parameters
    ----------
    rows : ParquetRows
    name : str
    """

    def __init__(self, rows: ParquetRows, name: str) -> None:
        self.rows, self.name = rows, name

    def __len__(self) -> int:
        return self.rows.n

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return self.take(np.arange(self.rows.n)[i])
        return self.take([int(i)])[0]

    def take(self, positions: Any) -> list[Any]:
        """The cells at ``positions``, in the order asked.

        Parameters
        ----------
        positions : array-like of int

        Returns
        -------
        list
        """
        return self.rows.take(positions, [self.name])[self.name].tolist()


def _read_embedding(dataset: Any, column: str, n: int) -> np.ndarray:
    """The embedding column as float32 (n, d), from Arrow buffers (no pandas objects),
    batch by batch into one array (no second copy of the whole embedding)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = dataset.schema.field(column).type
    is_list = (pa.types.is_fixed_size_list(kind) or pa.types.is_list(kind)
               or pa.types.is_large_list(kind))
    if not is_list or not (pa.types.is_floating(kind.value_type)
                           or pa.types.is_integer(kind.value_type)):
        raise TypeError(f"The embedding column {column!r} holds {kind}, not lists of numbers; "
                        "pass the column of vectors (a list or fixed-size list of floats) as "
                        f"embedding=, or {_RAY_FIX}.")
    out: np.ndarray | None = None
    offset, width = 0, None
    for batch in dataset.to_batches(columns=[column]):
        arr = batch.column(0)
        lengths = pc.fill_null(pc.list_value_length(arr), -1).to_numpy(zero_copy_only=False)
        if width is None and (lengths >= 0).any():
            width = int(lengths[lengths >= 0][0])
        bad = np.flatnonzero(lengths != width)
        if bad.size:
            row = offset + int(bad[0])
            got = "no vector" if lengths[bad[0]] < 0 else f"{int(lengths[bad[0]])} numbers"
            raise ValueError(f"The embedding column {column!r} has {got} in row {row} where "
                             f"the first vector has {width}; every row needs a vector of the same length "
                             "(fix or drop that row in the Parquet data).")
        flat = arr.flatten().to_numpy(zero_copy_only=False)
        if out is None:
            out = np.empty((n, width or 0), np.float32)
        out[offset:offset + len(arr)] = flat.reshape(len(arr), width or 0)
        offset += len(arr)
    return np.zeros((0, 0), np.float32) if out is None else out


def _check_text(rows: ParquetRows, column: str) -> None:
    """The text column holds strings without gaps (null counts from the row-group stats)."""
    import pyarrow as pa

    kind = rows.dataset.schema.field(column).type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)
            or getattr(pa.types, "is_string_view", lambda _k: False)(kind)):
        raise TypeError(f"The text column {column!r} holds {kind} values, not text; pass the "
                        "column with the texts as text= (or leave text= out).")
    nulls = 0
    for fragment in rows.dataset.get_fragments():
        meta = fragment.metadata
        idx = meta.schema.names.index(column)
        for r in range(meta.num_row_groups):
            stats = meta.row_group(r).column(idx).statistics
            if stats is not None and stats.has_null_count:
                nulls += int(stats.null_count)
    if nulls:
        raise ValueError(f"The text column {column!r} is missing in {nulls:,} row(s) of the "
                         "Parquet data; fill them (e.g. with '') or drop those rows when "
                         "writing it.")


def open_parquet(path: str | os.PathLike[str], *, embedding: str | None, text: str | None = None,
                 image: str | None = None, keep: Sequence[str] | None = None
                 ) -> tuple[pd.DataFrame, np.ndarray, ParquetRows]:
    """Open a Parquet dataset for the Explorer: the light columns and the embedding in memory,
    the rest on demand.

    Parameters
    ----------
    path : str or PathLike
        A ``.parquet`` file or a folder of shards.
    embedding : str
        The column of vectors (fixed-size list or list of numbers, one length for all rows).
    text, image : str, optional
        The columns previews show; they stay on disk.
    keep : sequence of str, optional
        The columns to hold in memory (default: every column except ``embedding``, ``text``
        and ``image``).

    Returns
    -------
    frame : pandas.DataFrame
        The light columns (index: the stored pandas index, else 0..n-1).
    embedding : ndarray of shape (n, d), float32
    rows : ParquetRows
        On-demand access to every column.

    Raises
    ------
    FileNotFoundError
        No such file, or a folder without ``.parquet`` files.
    KeyError
        A named column is absent (the message lists the available ones).
    TypeError
        The embedding column is not lists of numbers; the text column is not strings.
    ValueError
        No ``embedding`` named; vectors of different lengths (naming the row); texts missing.

    Examples
    --------
    >>> frame, X, rows = open_parquet("shards/", embedding="emb", text="text")  # doctest: +SKIP
    """
    rows = ParquetRows(path)
    if embedding is None:
        raise ValueError("embedding= is required for Parquet input: the Explorer does not embed "
                         f"millions of rows itself; {_RAY_FIX}.")
    if not isinstance(embedding, str):
        raise TypeError("For Parquet input embedding= names the column of vectors; got "
                        f"{type(embedding).__name__}.")
    named = [c for c in (embedding, text, image) if c is not None]
    rows.check_columns(named + list(keep or []))
    if text is not None:
        _check_text(rows, text)
    X = _read_embedding(rows.dataset, embedding, rows.n)
    light = list(keep) if keep is not None else [c for c in rows.columns if c not in named]
    frame = rows.dataset.to_table(columns=light).to_pandas()
    if len(frame) != rows.n:  # no column at all kept
        frame = pd.DataFrame(index=pd.RangeIndex(rows.n))
    return frame, X, rows
