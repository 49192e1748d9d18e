"""``knn``: the shared k-nearest-neighbour graph (exact in torch, or pynndescent on big CPU jobs)."""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from embedviz import cache as _cache
from embedviz.compute.device import device_for, on_device
from embedviz.compute.knn_exact import exact_knn, prepare
from embedviz.compute.knn_graph import KNNGraph
from embedviz.compute.validate import (
    as_float_matrix,
    check_k,
    check_zero_rows,
    warn_large,
)
from embedviz.settings import config

__all__ = ["KNNGraph", "choose_method", "exact_seconds_cpu", "knn", "measure_recall"]

METRICS = ("cosine", "euclidean")
METHODS = ("auto", "exact", "approx", "nndescent", "faiss")
# `auto` searches exactly on the CPU while that is estimated to take at most this long; the
# CPU's speed comes from `embedviz.config.cpu_macs_per_s` (a short timed search by default).
_AUTO_EXACT_MAX_S = 20.0
# The cache's algorithm version of a graph: bump it whenever the same inputs give another graph.
CACHE_VERSION = 1


def exact_seconds_cpu(n: int, d: int) -> float:
    """Estimated seconds of the exact kNN search of ``n`` rows of ``d`` dimensions on the CPU.

    Parameters
    ----------
    n : int
        Rows.
    d : int
        Dimensions.

    Returns
    -------
    float
        ``n * n * d`` multiply-adds at ``embedviz.config.cpu_macs_per_s``.

    Examples
    --------
    >>> import embedviz
    >>> embedviz.config.cpu_macs_per_s = 1e9
    >>> exact_seconds_cpu(1000, 100)
    0.1
    >>> embedviz.config.cpu_macs_per_s = None
    """
    return n * n * d / config.cpu_macs_per_s


def knn(
    X: Any,
    *,
    k: int = 15,
    metric: str = "cosine",
    device: str | torch.device = "auto",
    method: str = "auto",
    drop_invalid: bool = False,
    recall_sample: int = 1000,
    random_state: int | None = 0,
    progress: bool = True,
    cache: bool = True,
    faiss_options: dict[str, Any] | None = None,
) -> KNNGraph:
    """Find the k nearest neighbours of every row of ``X`` (self excluded), nearest first.

    Results are cached by content (``cache=False`` to skip).

    Parameters
    ----------
    X : array-like, shape (n, d)
        The points: a numpy array, torch tensor, pandas frame or nested list of numbers.
    k : int, default 15
        Neighbours per row; needs ``n > k``.
    metric : {"cosine", "euclidean"}, default "cosine"
        The distance; cosine distance is ``1 - cos`` and is undefined for all-zero rows.
    device : str or torch.device, default "auto"
        Where the exact search runs: ``"auto"`` (CUDA, MPS, else CPU), ``"cpu"``,
        ``"cuda"``, ...
    method : {"auto", "exact", "approx", "nndescent", "faiss"}, default "auto"
        ``"exact"``: a tiled top-k in torch with bounded memory. ``"approx"`` (also
        ``"nndescent"``): pynndescent on the CPU. ``"faiss"``: an HNSW or IVF-Flat index
        (``pip install embedviz[faiss]``) chosen from n and d. ``"auto"``: exact on a GPU and
        on CPU jobs estimated under ~20 s (from ``embedviz.config.cpu_macs_per_s``); past
        that FAISS when it is installed, else pynndescent.
    drop_invalid : bool, default False
        Remove rows holding NaN or inf (with a warning) instead of raising.
    recall_sample : int, default 1000
        Rows on which an approximate graph's recall is measured against the exact search.
    random_state : int or None, default 0
        Seed of the approximate search and of the recall sample.
    progress : bool, default True
        Show a progress bar.
    cache : bool, default True
        Read and write the on-disk cache.
    faiss_options : dict, optional
        Tuning for ``method="faiss"`` (see :func:`embedviz.compute.knn_faiss.plan_index`):
        ``index``, ``M``, ``ef_search``, ``nlist``, ``nprobe``, ``threads``,
        ``recall_floor`` (a warning below it).

    Returns
    -------
    KNNGraph
        ``indices`` (n, k) int64 and ``distances`` (n, k) float32, row ``i`` sorted nearest
        first; ``exact`` says which search ran and ``recall`` is the measured recall of an
        approximate one (None when exact).

    Raises
    ------
    ValueError
        Unknown ``metric`` or ``method``; ``k`` not below the number of rows; ``X`` not 2-D,
        holding NaN/inf rows (without ``drop_invalid``) or all-zero rows with cosine.
    TypeError
        ``X`` is not numeric (or is a sparse matrix).
    ImportError
        ``method="faiss"`` without faiss installed.
    RuntimeError
        ``device`` names a device that is absent.

    Examples
    --------
    >>> import numpy as np
    >>> import embedviz
    >>> X = np.random.default_rng(0).normal(size=(200, 16))
    >>> graph = embedviz.knn(X, k=5, method="exact", progress=False, cache=False)
    >>> graph.indices.shape, graph.exact
    ((200, 5), True)
    """
    if metric not in METRICS:
        raise ValueError(f"Unknown metric {metric!r}; use one of {list(METRICS)}.")
    if method not in METHODS:
        raise ValueError(f"Unknown method {method!r}; use one of {list(METHODS)}.")
    data = as_float_matrix(X, name="X", drop_invalid=drop_invalid)
    n, d = data.shape
    check_k(n, k)
    if metric == "cosine":
        check_zero_rows(data)
    dev = device_for("dense", device)
    chosen = choose_method(method, n, d, dev)
    params: dict[str, Any] = {"k": int(k), "metric": metric, "method": chosen}
    if chosen == "approx":
        params.update(random_state=random_state, recall_sample=recall_sample,
                      pynndescent=_cache.library_version("pynndescent"))
    if chosen == "faiss":
        from embedviz.compute.knn_faiss import plan_index, require_faiss

        require_faiss()
        params.update(random_state=random_state, recall_sample=recall_sample,
                      plan=str(plan_index(n, d, k, faiss_options)),
                      faiss=_cache.library_version("faiss-cpu"))

    def compute() -> dict[str, np.ndarray]:
        if chosen == "exact":
            graph = on_device("dense", dev, lambda at: _exact_graph(data, k, metric, at, progress),
                              step="knn")
        elif chosen == "faiss":
            from embedviz.compute.knn_faiss import faiss_knn

            graph = faiss_knn(data, k, metric=metric, options=faiss_options,
                              recall_sample=recall_sample, random_state=random_state,
                              progress=progress)
        else:
            graph = _approx_graph(data, k, metric, dev, recall_sample, random_state, progress)
        return _to_arrays(graph)

    arrays = _cache.cached_call("knn", data=[data], params=params, version=CACHE_VERSION,
                                 compute=compute, enabled=cache)
    return _from_arrays(arrays)


def choose_method(method: str, n: int, d: int, dev: torch.device) -> str:
    """The search :func:`knn` runs for ``method`` on ``n`` x ``d`` rows on ``dev``.

    ``"auto"`` is exact on a GPU and on CPU jobs estimated under ~20 s
    (:func:`exact_seconds_cpu`); past that FAISS when installed, else pynndescent.

    Parameters
    ----------
    method : {"auto", "exact", "approx", "nndescent", "faiss"}
        As for :func:`knn`.
    n : int
        Rows.
    d : int
        Dimensions.
    dev : torch.device
        Where the search would run.

    Returns
    -------
    str
        ``"exact"``, ``"approx"`` (pynndescent) or ``"faiss"``.

    Examples
    --------
    >>> import torch
    >>> choose_method("auto", 1_000_000, 384, torch.device("cuda"))
    'exact'

    Notes
    -----
    bench/bench_scale.py, 384-d clustered blobs, k=15, a busy shared CPU, ratios within one
    run: 3e4 rows exact 58 s (extrapolated from 500 rows), FAISS IVF-Flat 32 s at
    recall 0.95, pynndescent 208 s at 0.97; 2e5 rows exact 2,184 s (extrapolated from 2,000
    rows), FAISS 725 s at recall 0.99. So FAISS leads pynndescent on CPU, and the exact
    search stays the better choice below the ~20 s estimate (about 45k rows at d=384).
    """
    estimate = exact_seconds_cpu(n, d)
    if method == "nndescent":
        return "approx"
    if method == "auto":
        if dev.type != "cpu" or estimate <= _AUTO_EXACT_MAX_S:
            return "exact"
        from embedviz.compute.knn_faiss import faiss_available

        return "faiss" if faiss_available() else "approx"
    if method == "exact" and dev.type == "cpu":
        warn_large(
            f"Exact kNN on {n:,} x {d} points on the CPU",
            exact_seconds_cpu(n, d),
            fix="Pass method='approx' (pynndescent) or run on a GPU (device='cuda').",
        )
    return method


def _exact_graph(
    data: np.ndarray, k: int, metric: str, dev: torch.device, progress: bool
) -> KNNGraph:
    tensor = prepare(torch.from_numpy(data).to(dev), metric)
    idx, dist = exact_knn(tensor, k, metric, progress=progress)
    return KNNGraph(idx.cpu().numpy(), dist.cpu().numpy(), metric=metric, exact=True, recall=None)


def _approx_graph(
    data: np.ndarray,
    k: int,
    metric: str,
    dev: torch.device,
    recall_sample: int,
    random_state: int | None,
    progress: bool,
) -> KNNGraph:
    from pynndescent import NNDescent

    n = data.shape[0]
    warn_large(
        f"Approximate kNN (pynndescent) on {n:,} points",
        n * data.shape[1] * 2.5e-6,
        fix="Run on a GPU (device='cuda') for an exact graph in seconds.",
    )
    with tqdm(total=2, desc="knn (pynndescent)", disable=not progress, leave=False) as bar:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)
            # Cosine runs as euclidean on unit rows (same order; cos_dist = d^2 / 2): one metric
            # to JIT-compile instead of two (pynndescent compiles for ~15-40 s per metric).
            points = data / np.linalg.norm(data, axis=1, keepdims=True) if metric == "cosine" else data
            index = NNDescent(
                points,
                metric="euclidean",
                # Building with 2k neighbours and keeping the k nearest lifted recall from 0.86
                # to 0.98 on 2e4 x 384 blobs for 1.5x the time.
                n_neighbors=min(max(k + 1, 2 * k), n),
                random_state=random_state,
                low_memory=True,
                n_jobs=config.threads,
                verbose=False,
            )
            raw_idx, raw_dist = index.neighbor_graph
            if metric == "cosine":
                raw_dist = raw_dist.astype(np.float32) ** 2 / 2.0
        bar.update(1)
        idx, dist = _drop_self(raw_idx.astype(np.int64), raw_dist.astype(np.float32), k)
        recall = measure_recall(data, idx, metric=metric, sample=recall_sample,
                                random_state=random_state, device=dev)
        bar.update(1)
    return KNNGraph(idx, dist, metric=metric, exact=False, recall=recall)


def _drop_self(idx: np.ndarray, dist: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Remove each row's own id wherever it appears, keep the k nearest others, sorted."""
    is_self = idx == np.arange(idx.shape[0])[:, None]
    first = np.argsort(is_self, axis=1, kind="stable")[:, :k]  # non-self entries first
    out_idx = np.take_along_axis(idx, first, 1)
    out_dist = np.take_along_axis(dist, first, 1)
    order = np.argsort(out_dist, axis=1, kind="stable")
    return np.take_along_axis(out_idx, order, 1), np.take_along_axis(out_dist, order, 1)


def measure_recall(
    data: np.ndarray,
    indices: np.ndarray,
    *,
    metric: str = "cosine",
    sample: int = 1000,
    random_state: int | None = 0,
    device: str | torch.device = "cpu",
) -> float:
    """Mean fraction of the exact k nearest neighbours found in ``indices``, on sampled rows."""
    n, k = indices.shape
    rng = np.random.default_rng(random_state)
    rows = np.sort(rng.choice(n, size=min(sample, n), replace=False))
    def search(at: torch.device) -> np.ndarray:
        tensor = prepare(torch.from_numpy(np.ascontiguousarray(data, np.float32)).to(at), metric)
        return exact_knn(tensor, k, metric, query_rows=torch.from_numpy(rows))[0].cpu().numpy()

    exact_idx = on_device("dense", device, search, step="knn recall")
    hits = [np.intersect1d(indices[r], exact_idx[i]).size for i, r in enumerate(rows)]
    return float(np.sum(hits) / (len(rows) * k))


def _to_arrays(graph: KNNGraph) -> dict[str, np.ndarray]:
    return {
        "indices": graph.indices,
        "distances": graph.distances,
        "metric": np.array(graph.metric),
        "exact": np.array(graph.exact),
        "recall": np.array(math.nan if graph.recall is None else graph.recall, dtype=np.float64),
    }


def _from_arrays(arrays: dict[str, np.ndarray]) -> KNNGraph:
    recall = float(arrays["recall"])
    return KNNGraph(
        indices=np.ascontiguousarray(arrays["indices"], dtype=np.int64),
        distances=np.ascontiguousarray(arrays["distances"], dtype=np.float32),
        metric=str(arrays["metric"]),
        exact=bool(arrays["exact"]),
        recall=None if math.isnan(recall) else recall,
    )
