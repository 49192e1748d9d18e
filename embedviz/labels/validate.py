"""Validation of user input: point indices and label names."""
from __future__ import annotations

import unicodedata
from typing import Any

import numpy as np


def as_positions(indices: Any, n: int) -> np.ndarray:
    """Positional indices (ints, or a boolean mask of length ``n``) -> sorted unique int64.

    Duplicates are dropped; negative or out-of-range indices raise ``IndexError``.
    """
    if isinstance(indices, (int, np.integer)) and not isinstance(indices, bool):
        indices = [indices]
    if isinstance(indices, (set, frozenset)):
        indices = sorted(indices)
    arr = np.asarray(indices)
    if arr.ndim != 1:
        raise ValueError(f"indices must be 1-D, got shape {arr.shape}")
    if arr.dtype == bool:
        if arr.size != n:
            raise ValueError(f"a boolean mask must have one entry per point ({n}), got {arr.size}")
        return np.flatnonzero(arr).astype(np.int64)
    if arr.size == 0:
        return np.empty(0, dtype=np.int64)
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"indices must be integers, got dtype {arr.dtype}; pass e.g. np.asarray(idx, dtype=int)")
    lo, hi = int(arr.min()), int(arr.max())
    if lo < 0 or hi >= n:
        bad = lo if lo < 0 else hi
        raise IndexError(f"index {bad} is out of range for {n} points (valid: 0..{n - 1})")
    return _sorted_unique(arr.astype(np.int64, copy=False), n)


def _sorted_unique(arr: np.ndarray, n: int) -> np.ndarray:
    """Sorted unique values. Hand-written because ``np.unique`` (numpy 2.4, hash-based) took
    35 ms for 100k indices here, against ~1 ms for a bitmask over 1M points."""
    if arr.size < 2 or bool((arr[1:] > arr[:-1]).all()):  # already sorted and unique (lasso output)
        return arr.copy()  # never keep a reference to the caller's array
    if n <= 64 * arr.size:
        mask = np.zeros(n, dtype=bool)
        mask[arr] = True
        return np.flatnonzero(mask).astype(np.int64, copy=False)
    ordered = np.sort(arr)
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def check_name(name: Any) -> str:
    """A valid label name, NFC-normalised; raises for non-strings and blank names."""
    if not isinstance(name, str):
        raise TypeError(f"label names are strings, got {type(name).__name__} {name!r}; pass str({name!r})")
    if not name.strip():
        raise ValueError(f"label names cannot be empty or only whitespace, got {name!r}")
    if name != name.strip():
        raise ValueError(f"label names cannot start or end with whitespace; did you mean {name.strip()!r}?")
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        raise ValueError(f"label names cannot contain control characters, got {name!r}")
    return unicodedata.normalize("NFC", name)
