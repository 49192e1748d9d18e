"""Stable point ids: normalising what the caller passes, storing them, matching them on reopen.

Decisions:
- Ids are the DataFrame index or an ``ids=`` array (integers or strings, unique); without
  them points are positional (``0..n-1``). Integer ids equal to ``0..n-1`` (a default
  ``RangeIndex``) count as positional, so both spellings open the same store.
- A store remembers its ids. Reopening accepts the same ids, or the same ids followed by new
  ones (rows appended to the data keep their labels); anything else is refused, because
  attaching labels to the wrong points would silently ruin the user's work.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from embedviz.common import brief
from embedviz.labels.errors import DataMismatchError

POSITIONAL, INT, STR = "positional", "int", "str"


@dataclass(frozen=True)
class PointIds:
    """The ids of the points: ``kind`` is positional/int/str; ``index`` is None when positional."""

    kind: str
    n: int
    index: pd.Index | None = None

    def as_index(self) -> pd.Index:
        """The ids as a pandas Index (a RangeIndex when positional)."""
        return pd.RangeIndex(self.n) if self.index is None else self.index

    def head(self, n: int) -> PointIds:
        """The first ``n`` ids."""
        return PointIds(self.kind, n, None if self.index is None else self.index[:n])


def normalize_ids(ids: Any = None, n: int | None = None) -> PointIds | None:
    """Validate ``ids``/``n`` as given to ``LabelStore``; None when neither was given."""
    if ids is None:
        if n is None:
            return None
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"n must be a non-negative integer (the number of points), got {brief(n)}")
        return PointIds(POSITIONAL, int(n))
    if isinstance(ids, (str, bytes)) or np.ndim(ids) != 1:
        raise TypeError("ids must be a 1-D array or Index of unique ids, e.g. ids=df.index")
    index = ids if isinstance(ids, pd.Index) else pd.Index(np.asarray(ids) if not isinstance(ids, list) else ids)
    if n is not None and n != len(index):
        raise ValueError(f"n={n} but {len(index)} ids were given; pass only one of them")
    if isinstance(index, pd.MultiIndex):
        raise TypeError("MultiIndex ids are not supported; pass ids=df.index.to_flat_index().astype(str)")
    inferred = pd.api.types.infer_dtype(index, skipna=False)
    if len(index) == 0:
        return PointIds(POSITIONAL, 0)
    if inferred == "integer":
        values = np.asarray(index, dtype=np.int64)
        if values[0] == 0 and np.array_equal(values, np.arange(len(values))):
            return PointIds(POSITIONAL, len(values))
        kind, index = INT, pd.Index(values)
    elif inferred == "string":
        kind, index = STR, pd.Index(index, dtype=object)
    else:
        raise TypeError(
            f"ids must be integers or strings, got {inferred!r} values; pass ids=df.index.astype(str)"
        )
    if not index.is_unique:
        dup = index[index.duplicated()][0]
        raise ValueError(f"ids must be unique; {brief(dup)} appears more than once")
    return PointIds(kind, len(index), index)


def encode_ids(ids: PointIds, start: int) -> bytes:
    """The ids from position ``start`` on, as a BLOB (int64 little-endian or JSON strings)."""
    assert ids.index is not None
    part = ids.index[start:]
    if ids.kind == INT:
        return np.asarray(part, dtype="<i8").tobytes()
    return json.dumps(list(part), ensure_ascii=False).encode("utf-8")


def decode_ids(kind: str, blobs: list[bytes], n: int) -> PointIds:
    """Inverse of :func:`encode_ids` over the stored chunks, in order."""
    if kind == POSITIONAL:
        return PointIds(POSITIONAL, n)
    if kind == INT:
        values = np.concatenate([np.frombuffer(b, dtype="<i8") for b in blobs]) if blobs else np.empty(0, np.int64)
        index = pd.Index(values.astype(np.int64))
    else:
        index = pd.Index([v for b in blobs for v in json.loads(b.decode("utf-8"))], dtype=object)
    if len(index) != n:
        raise DataMismatchError(f"the store records {n} points but holds {len(index)} ids; the file is damaged")
    return PointIds(kind, n, index)


def appended_rows(stored: PointIds, given: PointIds) -> int:
    """How many rows ``given`` appends to ``stored``; raises when ``given`` is other data."""
    fix = "open the store that belongs to this data, or pass a new path to start a new store"
    if given.n < stored.n:
        raise DataMismatchError(
            f"the data has {given.n} points but the store holds labels for {stored.n}; "
            f"rows may be appended to the data but not removed or reordered; {fix}"
        )
    if stored.kind != given.kind:
        if given.kind == POSITIONAL and stored.index is not None and given.n == stored.n:
            return 0  # opened by length only: the stored ids stay authoritative
        raise DataMismatchError(
            f"the store was made for {stored.kind} ids but the data has {given.kind} ids; {fix}"
        )
    if stored.index is None or given.index is None:
        return given.n - stored.n
    head = given.index[: stored.n]
    if not head.equals(stored.index):
        pos = int(np.flatnonzero(np.asarray(head != stored.index))[0])
        raise DataMismatchError(
            f"the data's ids differ from the store's at row {pos}: "
            f"{brief(head[pos])} != {brief(stored.index[pos])}; {fix}"
        )
    return given.n - stored.n
