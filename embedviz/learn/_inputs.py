"""Validation of the inputs to ``Retrainer.fit``: every bad input names its fix."""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import torch

from embedviz.compute.knn_graph import KNNGraph
from embedviz.compute.validate import as_float_matrix, check_zero_rows


@dataclass(frozen=True)
class UnitRows:
    """The rows of X at unit norm, computed where and when they are needed.

    The caller's array is neither copied nor changed: at n = 1e6 x 384 a normalised copy
    cost 0.6-5 s on a CPU (allocating 1.5 GB), more than a whole GPU retrain
    may take. A fit on a GPU checks and divides there (``unit_rows(X, device)``).
    """

    raw: np.ndarray  # (n, d) float32: the caller's array when it was float32 already
    norms: np.ndarray  # (n,) float32, all positive
    device_rows: torch.Tensor | None = None  # the unit rows on the fit's device, if made

    @property
    def shape(self) -> tuple[int, int]:
        return self.raw.shape

    def __getitem__(self, rows: Any) -> np.ndarray:
        return (self.raw[rows] / self.norms[rows][..., None]).astype(np.float32, copy=False)

    @cached_property
    def array(self) -> np.ndarray:
        """All rows at unit norm (computed once, on the CPU)."""
        return self[:]

    def on(self, device: torch.device) -> torch.Tensor:
        """All rows at unit norm as a tensor on ``device`` (divided there; a device from
        ``resolve_device``, whose CUDA devices carry their index as tensors' do)."""
        if self.device_rows is not None and self.device_rows.device == device:
            return self.device_rows
        raw = _tensor(self.raw).to(device)
        return raw / torch.from_numpy(self.norms).to(device)[:, None]


def _tensor(arr: np.ndarray) -> torch.Tensor:
    with warnings.catch_warnings():  # read-only inputs: torch only reads them here
        warnings.simplefilter("ignore", UserWarning)
        return torch.from_numpy(arr)


@dataclass(frozen=True)
class LabelledData:
    """Validated training data: unit-norm features, class codes and lasso groups."""

    X: UnitRows  # (n, d) rows at unit norm
    codes: np.ndarray  # (n,) int64 class code 0..C-1, or -1 unlabelled
    classes: np.ndarray  # (C,) original label values, sorted
    groups: np.ndarray  # (n,) int64 lasso id of labelled points (-1 unlabelled)

    @property
    def labelled(self) -> np.ndarray:
        return np.flatnonzero(self.codes >= 0)

    @property
    def n_classes(self) -> int:
        return int(self.classes.size)


#: The fix for rows the Retrainer cannot use (it has no metric or drop_invalid switch).
DROP_ROWS = ("Drop these rows from X and their entries from y (and groups, and the graph: "
             "compute embedviz.knn on the remaining rows) before fitting.")


_CPU = torch.device("cpu")


def unit_rows(X: Any, *, name: str = "X", device: torch.device = _CPU,
              fix: str = DROP_ROWS) -> UnitRows:
    """Checked features, to be used at unit norm; NaN/inf/zero rows raise with the fix.

    The rows' norms are taken on ``device``, where the fit needs the rows anyway: on a GPU
    that saves the 0.44 s the same checks took on the CPU at n = 1e6 x 384 (H100 machine).
    """
    arr = as_float_matrix(X, name=name, check_finite=False)
    rows = _tensor(arr).to(device)
    norms_t = torch.linalg.vector_norm(rows, dim=1)
    if not bool(torch.isfinite(norms_t).all()):
        as_float_matrix(arr, name=name, invalid_fix=fix)  # raises naming the rows
        norms_t = torch.from_numpy(np.linalg.norm(arr.astype(np.float64), axis=1).astype(
            np.float32)).to(device)  # only huge values overflowed the float32 norm
    if not bool(norms_t.all()):
        check_zero_rows(arr, name=name, fix=fix)  # the exact test, naming the rows
    norms_t = norms_t.clamp_min(1e-12)
    keep = None if device.type == "cpu" else rows / norms_t[:, None]
    return UnitRows(raw=arr, norms=norms_t.cpu().numpy(), device_rows=keep)


def check_features(X: Any, *, name: str = "X") -> np.ndarray:
    """(n, d) float32 unit-norm rows; NaN/inf/zero rows raise with the fix."""
    return unit_rows(X, name=name, fix="Drop or clean these rows before predicting.").array


def check_array_like(X: Any, *, name: str = "X") -> Any:
    """Refuse what no float matrix can stand for (sparse or complex data, one row as a 1-D
    array, no columns) with its fix, and read numbers held in an object array; the rest is
    checked by ``unit_rows``."""
    import scipy.sparse

    if scipy.sparse.issparse(X):
        raise TypeError(f"{name} is a sparse matrix, but the Retrainer needs dense data: pass "
                        f"{name}.toarray() (embeddings are dense anyway).")
    if not isinstance(X, (np.ndarray, list, tuple)):
        return X
    arr = np.asarray(X) if not isinstance(X, np.ndarray) else X
    if np.iscomplexobj(arr):
        raise ValueError(f"Complex data not supported: {name} holds complex numbers; pass "
                         "real features (e.g. np.abs or the real and imaginary parts side "
                         "by side).")
    if arr.ndim == 1:
        raise ValueError(f"Expected a 2-D {name} (n_samples, n_features), got a 1-D array of "
                         f"shape {arr.shape}. Reshape your data: {name}.reshape(-1, 1) for a "
                         f"single feature or {name}[None, :] for one row.")
    if arr.ndim == 2 and arr.shape[1] == 0:
        raise ValueError(f"{name} has 0 feature(s) (shape={arr.shape}) while a minimum of 1 "
                         "is required; pass the embedding's columns.")
    if arr.dtype.kind == "O":
        try:
            return arr.astype(np.float32)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} holds values that are not numbers ({exc}); pass numeric "
                            "features. For texts, call embedviz.embed(texts) first.") from exc
    return X


def _unlabelled_names(arr: np.ndarray) -> np.ndarray:
    """Mask of the entries of an array of names that mark unlabelled rows: -1, None, NaN
    or "-1" (``str(-1)``, from an integer array turned into strings)."""
    def empty(v: Any) -> bool:
        if v is None or (isinstance(v, (float, np.floating)) and np.isnan(v)):
            return True
        if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
            return int(v) == -1
        return isinstance(v, str) and v == "-1"
    return np.fromiter((empty(v) for v in arr), dtype=bool, count=arr.size)


def check_labels(y: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (codes, classes) for labels ``y``: integer ids with -1 meaning unlabelled, or
    names (strings) with -1, None, NaN or "-1" meaning unlabelled."""
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"y must be 1-D with one label per row of X; got shape {arr.shape}.")
    if arr.shape[0] != n:
        raise ValueError(
            f"y has {arr.shape[0]} entries but X has {n} rows; pass one label per row of X "
            "(-1 for unlabelled points)."
        )
    if arr.dtype.kind in "OUS":
        return _named_labels(arr)
    if arr.dtype.kind == "f":
        if not np.isfinite(arr).all():
            raise ValueError("y holds NaN or inf; use -1 for unlabelled points.")
        if not np.all(arr == np.round(arr)):
            raise ValueError("Unknown label type: continuous (y holds fractions). y must hold "
                             "integer class ids or names, with -1 for unlabelled points.")
        arr = arr.astype(np.int64)
    elif arr.dtype.kind not in "iub":
        raise ValueError(
            f"y must hold integer class ids or names, with -1 for unlabelled points; got "
            f"dtype {arr.dtype}.")
    arr = arr.astype(np.int64)
    bad = np.flatnonzero(arr < -1)
    if bad.size:
        raise ValueError(
            f"y holds negative labels other than -1 (e.g. {int(arr[bad[0]])} at row "
            f"{int(bad[0])}); only -1 means unlabelled. Relabel these rows."
        )
    return _codes(arr, arr >= 0)


def _named_labels(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    unlabelled = _unlabelled_names(arr)
    names = arr[~unlabelled]
    if arr.dtype.kind == "O":
        kinds = {type(v) for v in names}
        if all(issubclass(t, (int, np.integer)) and not issubclass(t, (bool, np.bool_))
               for t in kinds):  # integer ids in an object array
            ids = np.full(arr.shape[0], -1, dtype=np.int64)
            ids[~unlabelled] = names.astype(np.int64)
            return check_labels(ids, arr.shape[0])
        if not all(issubclass(t, str) for t in kinds):
            raise ValueError(
                f"y mixes label kinds ({', '.join(sorted(t.__name__ for t in kinds))}); use "
                "integer class ids or names (strings), with -1 or None for unlabelled points.")
        names = names.astype(str)
    return _codes(np.where(unlabelled, "", arr.astype(str)), ~unlabelled)


def _codes(values: np.ndarray, labelled: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if not labelled.any():
        raise ValueError(
            "y has no labelled points (all -1); lasso at least one region into a label first."
        )
    classes, inverse = np.unique(values[labelled], return_inverse=True)
    codes = np.full(values.shape[0], -1, dtype=np.int64)
    codes[labelled] = inverse
    return codes, classes


#: How ``groups`` should look, for the messages about it.
GROUPS_FIX = ("Pass one lasso id per labelled point: non-negative integers (e.g. 0, 1, 2 "
              "for three lassos) or names; the entries of unlabelled rows are ignored (e.g. -1 "
              "or NaN), or pass groups=None.")


def check_groups(groups: Any, codes: np.ndarray) -> np.ndarray:
    """Lasso id per labelled point; ``None`` -> one group per class (cross-validation then
    splits each class into feature-space halves).

    The ids of labelled points are non-negative integers (integer-valued floats such as 3.0
    too) or names (strings, any hashable); the entries of unlabelled points are ignored.
    """
    n = codes.shape[0]
    if groups is None:
        out = np.where(codes >= 0, codes, -1).astype(np.int64)
        return out
    arr = np.asarray(groups)
    if arr.shape != (n,):
        raise ValueError(
            f"groups must have one lasso id per row of X, shape ({n},); got {arr.shape}."
        )
    labelled = np.flatnonzero(codes >= 0)
    ids = arr[labelled]
    if arr.dtype.kind not in "iubf":  # named lassos ("lasso-3", ...): one integer per name
        ids, _ = pd.factorize(ids, use_na_sentinel=True)
        if (ids < 0).any():
            first = int(np.flatnonzero(ids < 0)[0])
            raise ValueError(f"groups has no lasso id (None or NaN) for the labelled row "
                             f"{int(labelled[first])}. {GROUPS_FIX}")
    bad = _bad_group_ids(ids)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(f"groups holds {ids[first].item()!r} for the labelled row "
                         f"{int(labelled[first])} ({int(bad.sum())} labelled row(s) in all); "
                         f"lasso ids must be non-negative integers. {GROUPS_FIX}")
    out = np.full(n, -1, dtype=np.int64)
    out[labelled] = ids.astype(np.int64)
    return out


def _bad_group_ids(ids: np.ndarray) -> np.ndarray:
    """Mask of the entries that are not non-negative integers that fit in int64."""
    if ids.dtype.kind == "b":
        return np.zeros(ids.shape, dtype=bool)
    bad = (ids < 0) | (ids >= 2 ** 63)
    if ids.dtype.kind == "f":
        bad |= ~np.isfinite(ids) | (ids != np.round(ids))
    return bad


def check_int(value: Any, name: str, *, minimum: int = 1, example: int) -> int:
    """``value`` as a plain int >= ``minimum`` (numpy integers too, never bools)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer >= {minimum}; got {type(value).__name__} "
                        f"{value!r}. Pass e.g. {name}={example}.")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {int(value)}. "
                         f"Pass e.g. {name}={example}.")
    return int(value)


def check_float(value: Any, name: str, *, low: float, high: float, closed_low: bool = False,
                example: float) -> float:
    """``value`` as a float in (low, high), or [low, high) with ``closed_low``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                     np.floating)):
        raise TypeError(f"{name} must be a number; got {type(value).__name__} {value!r}. "
                        f"Pass e.g. {name}={example}.")
    inside = (low <= value if closed_low else low < value) and value < high
    if not inside:  # NaN lands here too
        span = f"{'[' if closed_low else '('}{low:g}, {high:g})"
        raise ValueError(f"{name} must lie in {span}; got {float(value)!r}. "
                         f"Pass e.g. {name}={example}.")
    return float(value)


def check_seed(value: Any) -> int:
    """``random_state``: a non-negative integer, or None for fresh randomness (a seed drawn
    from the operating system's entropy, so every generator of the fit still gets one)."""
    if value is None:
        return int(np.random.SeedSequence().generate_state(1)[0] >> 1)
    return check_int(value, "random_state", minimum=0, example=0)


def check_graph(knn: Any, n: int) -> KNNGraph:
    """The shared graph must be a KNNGraph over exactly the ``n`` rows of X."""
    if not isinstance(knn, KNNGraph):
        raise TypeError(
            f"knn must be a KNNGraph (from embedviz.knn(X)); got {type(knn).__name__}."
        )
    if knn.n != n:
        raise ValueError(
            f"knn covers {knn.n} points but X has {n} rows; compute it on the same X with "
            "embedviz.knn(X)."
        )
    if knn.indices.min() < 0 or knn.indices.max() >= n:
        raise ValueError("knn.indices holds ids outside 0..n-1; recompute the graph.")
    return knn
