"""Input checks shared by the compute and learning steps: every bad input names its fix."""
from __future__ import annotations

import warnings
from typing import Any, Literal, overload

import numpy as np


class EmbedvizPerformanceWarning(UserWarning):
    """A job is large for the device it will run on; the message carries an estimate."""


def _row_list(rows: np.ndarray, limit: int = 10) -> str:
    shown = ", ".join(str(int(r)) for r in rows[:limit])
    return f"[{shown}{', ...' if rows.size > limit else ''}]"


_DROP_FIX = ("Clean them, or pass drop_invalid=True to drop these rows (results "
             "then cover the remaining rows only).")


@overload
def as_float_matrix(X: Any, *, name: str = ..., drop_invalid: bool = ...,
                    return_mask: Literal[False] = ..., min_rows: int = ...,
                    check_finite: bool = ..., invalid_fix: str = ...) -> np.ndarray: ...


@overload
def as_float_matrix(X: Any, *, name: str = ..., drop_invalid: bool = ...,
                    return_mask: Literal[True], min_rows: int = ...,
                    check_finite: bool = ..., invalid_fix: str = ...
                    ) -> tuple[np.ndarray, np.ndarray]: ...


def as_float_matrix(
    X: Any,
    *,
    name: str = "X",
    drop_invalid: bool = False,
    return_mask: bool = False,
    min_rows: int = 1,
    check_finite: bool = True,
    invalid_fix: str = _DROP_FIX,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Return ``X`` as a C-contiguous float32 (n, d) array.

    ``check_finite=False`` skips the NaN/inf test, for callers that test where the data
    goes (a GPU) and call again with it on only when that test fails, for the message.

    Rows holding NaN or inf raise an error naming them, unless ``drop_invalid=True``: then
    they are removed with a warning. With ``return_mask=True`` also returns the boolean mask
    of kept rows (relative to the input), so callers can align results with their data.
    Accepts numpy arrays, torch tensors, pandas frames and nested lists of numbers.
    """
    arr = _to_numpy(X, name=name)
    if arr.ndim == 1:
        raise ValueError(
            f"{name} must be 2-D (n_samples, n_features); got shape {arr.shape}. "
            f"Use {name}.reshape(-1, 1) for a single feature or {name}[None, :] for one row."
        )
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features); got shape {arr.shape}.")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has no features (shape {arr.shape}).")
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    # a NaN or inf makes its row's sum non-finite; only then look element by element (a sum
    # can also overflow). 1e6 x 384: 0.15 s instead of 0.6 s and no (n, d) temporary.
    keep = np.isfinite(arr.sum(axis=1)) if check_finite else np.ones(arr.shape[0], bool)
    if not keep.all():
        keep = np.isfinite(arr).all(axis=1)
    if not keep.all():
        bad = np.flatnonzero(~keep)
        if not drop_invalid:
            raise ValueError(
                f"{name} has {bad.size} row(s) with NaN or inf values: rows {_row_list(bad)}. "
                f"{invalid_fix}"
            )
        warnings.warn(
            f"Dropped {bad.size} row(s) of {name} with NaN or inf values: rows {_row_list(bad)}; "
            "results cover the remaining rows only.",
            stacklevel=3,
        )
        arr = np.ascontiguousarray(arr[keep])
    if arr.shape[0] < min_rows:
        raise ValueError(f"{name} needs at least {min_rows} valid row(s); got {arr.shape[0]}.")
    return (arr, keep) if return_mask else arr


def _to_numpy(X: Any, *, name: str) -> np.ndarray:
    if hasattr(X, "detach") and hasattr(X, "cpu"):  # torch tensor
        X = X.detach().cpu().numpy()
    elif hasattr(X, "to_numpy"):  # pandas
        X = X.to_numpy()
    if hasattr(X, "toarray") and hasattr(X, "nnz"):
        raise TypeError(f"{name} is a sparse matrix; pass a dense array ({name}.toarray()).")
    try:
        arr = np.asarray(X)
    except (ValueError, TypeError) as exc:
        raise TypeError(
            f"{name} could not be read as a numeric array ({exc}); pass an (n, d) numeric array."
        ) from exc
    if arr.dtype == object or arr.dtype.kind in "USV":
        raise TypeError(
            f"{name} has dtype {arr.dtype!r}, but numbers are expected. Convert it with "
            f"np.asarray({name}, dtype=np.float32); for texts, call embedviz.embed(texts) first."
        )
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} has dtype {arr.dtype!r}; pass a real-valued numeric array.")
    return arr


def check_zero_rows(X: np.ndarray, *, name: str = "X",
                    fix: str = "Remove them, or use metric='euclidean'.") -> None:
    """Cosine distance is undefined for all-zero rows: raise naming them and the fixes."""
    zero = np.flatnonzero(~np.any(X != 0, axis=1))
    if zero.size:
        raise ValueError(
            f"{name} has {zero.size} all-zero row(s) (rows {_row_list(zero)}); cosine distance "
            f"is undefined for them. {fix}"
        )


def positive_int(value: Any, name: str) -> int:
    """``value`` as a plain int >= 1 (numpy integers too, never bools)."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}.")
    return int(value)


def check_k(n: int, k: int) -> None:
    """kNN needs ``n > k``: raise naming the fix."""
    positive_int(k, "k")
    if n <= k:
        raise ValueError(
            f"k={k} neighbours need at least {k + 1} points, but there are {n}. "
            f"Pass a smaller k (at most {max(n - 1, 1)})."
        )


def warn_large(job: str, seconds: float, *, fix: str, threshold_s: float = 60.0) -> None:
    """Warn before a job that is estimated to take longer than ``threshold_s``."""
    if seconds >= threshold_s:
        minutes = seconds / 60.0
        warnings.warn(
            f"{job} is estimated to take about {minutes:.0f} min on this device. {fix}",
            EmbedvizPerformanceWarning,
            stacklevel=3,
        )
