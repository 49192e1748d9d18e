"""Small helpers every layer uses: short values for messages, the point-index validator, and
holding Ctrl+C while a write completes.

This module imports nothing of embedviz, so any package may import it.
"""
from __future__ import annotations

import signal
import threading
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import numpy as np

__all__ = ["BRIEF_CHARS", "BRIEF_ITEMS", "as_positions", "brief", "brief_list",
           "deferred_interrupts", "renamed_keyword"]

#: Characters of one value, and values of a list, that an error message shows.
BRIEF_CHARS, BRIEF_ITEMS = 60, 20


def brief(value: Any, limit: int = BRIEF_CHARS) -> str:
    """``repr`` of ``value`` for a message, at most ``limit`` characters.

    Parameters
    ----------
    value : object
        Any value; numpy scalars show as plain values (``0``, not ``np.int64(0)``).
    limit : int, default BRIEF_CHARS
        Characters shown before '…'.

    Returns
    -------
    str

    Examples
    --------
    >>> brief(np.int64(3)), brief("x" * 100, limit=5)
    ('3', "'xxxxx…'")
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, str) and len(value) > limit:
        return repr(value[:limit] + "…")
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def brief_list(values: Iterable[Any], limit: int = BRIEF_ITEMS) -> str:
    """A list for a message: the first ``limit`` values (each :func:`brief`), then how many
    more there are.

    Parameters
    ----------
    values : iterable
        The values.
    limit : int, default BRIEF_ITEMS
        Values shown.

    Returns
    -------
    str

    Examples
    --------
    >>> brief_list(range(5), limit=2)
    '[0, 1, … and 3 more]'
    """
    items = list(values)
    shown = ", ".join(brief(v) for v in items[:limit])
    more = f", … and {len(items) - limit} more" if len(items) > limit else ""
    return f"[{shown}{more}]"


def as_positions(indices: Any, n: int, *, name: str = "indices") -> np.ndarray:
    """Point positions as a sorted, unique int64 array, checked against ``n`` points.

    The one validator of point indices: the label store, the Explorer and the Scatter's
    ``selection`` / ``highlight`` all go through it.

    Parameters
    ----------
    indices : int, sequence or array of int, set, or boolean mask
        Positions in ``0..n-1`` (duplicates are dropped), or a boolean mask of length ``n``.
    n : int
        Number of points.
    name : str, default "indices"
        What the caller calls them, for messages.

    Returns
    -------
    numpy.ndarray
        int64, sorted and unique; a new array (never the caller's).

    Raises
    ------
    ValueError
        Not 1-D, or a mask of another length.
    TypeError
        Not integers (floats are refused, never truncated) nor a mask.
    IndexError
        A position below 0 or at least ``n``.

    Examples
    --------
    >>> as_positions([5, 1, 1, 3], 10)
    array([1, 3, 5])
    >>> as_positions(np.array([True, False, True]), 3)
    array([0, 2])
    """
    if isinstance(indices, (int, np.integer)) and not isinstance(indices, bool):
        indices = [indices]
    if isinstance(indices, (set, frozenset)):
        indices = sorted(indices)
    arr = np.asarray(indices)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (point positions or a boolean mask), got shape "
                         f"{arr.shape}; pass np.ravel(...) if you meant all of them")
    if arr.dtype == bool:
        if arr.size != n:
            raise ValueError(f"{name} as a boolean mask must have one entry per point ({n}), "
                             f"got {arr.size}")
        return np.flatnonzero(arr).astype(np.int64)
    if arr.size == 0:
        return np.empty(0, dtype=np.int64)
    if not np.issubdtype(arr.dtype, np.integer):  # floats too: 10.9 is no point to truncate
        raise TypeError(f"{name} must be integers (point positions) or a boolean mask, got "
                        f"dtype {arr.dtype}; pass e.g. np.asarray(idx, dtype=int)")
    lo, hi = int(arr.min()), int(arr.max())
    if lo < 0 or hi >= n:
        bad = lo if lo < 0 else hi
        raise IndexError(f"{name}: index {bad} is out of range for {n} points (expected "
                         f"values in 0..{n - 1})")
    return _sorted_unique(arr.astype(np.int64, copy=False), n)


def _sorted_unique(arr: np.ndarray, n: int) -> np.ndarray:
    """Sorted unique values. Hand-written because ``np.unique`` (numpy 2.4, hash-based) took
    35 ms for 100k indices, against ~1 ms for a bitmask over 1M points."""
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


@contextmanager
def deferred_interrupts() -> Iterator[None]:
    """Hold Ctrl+C (SIGINT, Jupyter's "interrupt kernel") for the block and deliver it after.

    A label write appends an event to the file and then applies it in memory; an interrupt
    between the two would leave the store behind its own file (in a stress test, 220 of 300
    random interrupts during writes did), so every later write would be refused until the
    file was reopened. Writes take milliseconds, so the interrupt is held for their length
    and raised right after. If the block raises, its error is reported instead. Blocks may
    nest: the outermost delivers. Only the main thread receives signals, so elsewhere (and
    where Python does not own the handler) this does nothing.

    Yields
    ------
    None

    Examples
    --------
    >>> with deferred_interrupts():
    ...     pass
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is None:  # installed outside Python: not ours to swap
        yield
        return
    held: list[tuple[int, FrameType | None]] = []
    signal.signal(signal.SIGINT, lambda signum, frame: held.append((signum, frame)))
    try:
        yield
    except BaseException:  # the block's own error stops the cell: it is the one to report
        signal.signal(signal.SIGINT, previous)
        raise
    signal.signal(signal.SIGINT, previous)
    if held:
        _deliver(previous, *held[0])


def _deliver(handler: object, signum: int, frame: FrameType | None) -> None:
    """Run what SIGINT would have run: the previous handler, or the default interrupt."""
    if callable(handler):
        handler(signum, frame)
    elif handler == signal.SIG_DFL:
        raise KeyboardInterrupt


def renamed_keyword(func: str, old: str, old_value: Any, new: str, new_value: Any) -> Any:
    """The value of a keyword argument that was renamed: ``new``'s, or ``old``'s with a
    FutureWarning naming ``new``.

    Parameters
    ----------
    func : str
        The function, for messages.
    old, new : str
        The deprecated and the current keyword.
    old_value, new_value : object
        What the caller passed for each (None when not passed).

    Returns
    -------
    object
        ``new_value``, else ``old_value``.

    Raises
    ------
    TypeError
        Both are given.

    Warns
    -----
    FutureWarning
        ``old`` is given.

    Examples
    --------
    >>> renamed_keyword("reduce", "n_neighbors", None, "k", 10)
    10
    """
    if old_value is None:
        return new_value
    if new_value is not None:
        raise TypeError(f"{func}() got both {new}= and its old name {old}=; pass only {new}=.")
    warnings.warn(f"{func}({old}=...) is now {func}({new}=...); {old}= will be removed.",
                  FutureWarning, stacklevel=3)
    return old_value
