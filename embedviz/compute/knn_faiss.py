"""FAISS neighbour graphs: HNSW or IVF-Flat sized from n and d, recall measured on a sample.

FAISS is an optional extra (``pip install embedviz[faiss]``). Vectors are stored flat (no
compression), so the distances FAISS returns are exact for the neighbours it finds; only the
search is approximate, and how approximate is measured against the exact search on sampled rows.
"""
from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from embedviz.compute.knn_graph import KNNGraph

__all__ = ["FaissPlan", "faiss_knn", "machine_threads", "plan_index", "require_faiss"]

INDEXES = ("auto", "hnsw", "ivf")
OPTIONS = ("index", "M", "ef_construction", "ef_search", "nlist", "nprobe", "threads",
           "recall_floor", "train_size")
DEFAULT_RECALL_FLOOR = 0.9
# HNSW needs no training, which suits small inputs; past this many rows IVF-Flat was faster at
# equal or better recall on 384-d blobs (2 threads, k=15: 20k rows 10 s vs 30 s for HNSW
# M=32, 100k rows 81 s at recall 0.99 vs 230 s at 0.97); bench/bench_scale.py measures more.
HNSW_MAX_ROWS = 10_000
# Row blocks for the all-vs-all search: bounded memory for the (block, k+1) result arrays and a
# progress bar that moves.
_SEARCH_BLOCK = 16_384


def require_faiss() -> Any:
    """Import faiss, or raise an ImportError that names the extra to install."""
    try:
        import faiss
    except ImportError as exc:
        raise ImportError(
            "method='faiss' needs FAISS, which is not installed: pip install 'embedviz[faiss]' "
            "(or pip install faiss-cpu), or use method='exact' / method='approx'."
        ) from exc
    return faiss


def faiss_available() -> bool:
    """Whether ``import faiss`` works here (for ``method="auto"``)."""
    try:
        require_faiss()
    except ImportError:
        return False
    return True


def machine_threads() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class FaissPlan:
    """The index and its parameters for one search (see :func:`plan_index`)."""

    index: str
    M: int = 32
    ef_construction: int = 64
    ef_search: int = 64
    nlist: int = 0
    nprobe: int = 0
    train_size: int = 0
    threads: int = 1
    recall_floor: float = DEFAULT_RECALL_FLOOR

    def describe(self) -> str:
        if self.index == "hnsw":
            return (f"HNSW(M={self.M}, ef_construction={self.ef_construction}, "
                    f"ef_search={self.ef_search})")
        return f"IVF-Flat(nlist={self.nlist}, nprobe={self.nprobe}, train_size={self.train_size})"

    def raise_recall_hint(self) -> str:
        """The setting that lifts recall, doubled from its current value."""
        if self.index == "hnsw":
            return f"faiss_options={{'ef_search': {2 * self.ef_search}}} (now {self.ef_search})"
        return f"faiss_options={{'nprobe': {min(self.nlist, 2 * self.nprobe)}}} (now {self.nprobe})"


def plan_index(n: int, d: int, k: int, options: Mapping[str, Any] | None = None) -> FaissPlan:
    """Choose the FAISS index and its parameters from ``n``, ``d`` and ``k``.

    Parameters
    ----------
    n, d : int
        Rows and columns of the data.
    k : int
        Neighbours wanted per row.
    options : mapping, optional
        Overrides: ``index`` ("auto", "hnsw", "ivf"), ``M``, ``ef_construction``,
        ``ef_search`` (HNSW); ``nlist``, ``nprobe``, ``train_size`` (IVF); ``threads``;
        ``recall_floor``.

    Returns
    -------
    FaissPlan
        ``index="auto"`` is HNSW up to ``HNSW_MAX_ROWS`` rows, IVF-Flat beyond. HNSW:
        ``M`` 16 for d <= 64 else 32, ``ef_search = max(64, 4 k)``. IVF-Flat:
        ``nlist ~ 4 sqrt(n)`` lists trained on ``40 nlist`` rows, ``nprobe ~ nlist / 64``
        (at least 8), so a query scans about 1.5% of the rows. Unless given, ``ef_search`` /
        ``nprobe`` are then doubled (up to 8x) while the sampled recall is under the floor.

    Raises
    ------
    ValueError
        For an unknown option or index name, or a non-positive parameter.

    Examples
    --------
    >>> plan_index(1_000_000, 384, 15).index
    'ivf'
    """
    opts = dict(options or {})
    unknown = sorted(set(opts) - set(OPTIONS))
    if unknown:
        raise ValueError(f"Unknown faiss option(s) {unknown}; use some of {list(OPTIONS)}.")
    index = opts.pop("index", "auto")
    if index not in INDEXES:
        raise ValueError(f"Unknown faiss index {index!r}; use one of {list(INDEXES)}.")
    floor = float(opts.pop("recall_floor", DEFAULT_RECALL_FLOOR))
    if not 0.0 <= floor <= 1.0:
        raise ValueError(f"recall_floor must be within [0, 1]; got {floor}.")
    threads = opts.pop("threads", None)
    for name, value in opts.items():
        if int(value) < 1:
            raise ValueError(f"faiss option {name}={value!r} must be a positive integer.")
    if index == "auto":
        index = "hnsw" if n <= HNSW_MAX_ROWS else "ivf"
    plan = FaissPlan(index=index, threads=_thread_count(threads), recall_floor=floor)
    if index == "hnsw":
        plan = replace(plan, M=16 if d <= 64 else 32, ef_construction=64, ef_search=max(64, 4 * k))
    else:
        # FAISS wants >= 39 training rows per list; 4 sqrt(n) lists keep both the list scan
        # and the coarse search near sqrt(n) per query.
        nlist = int(opts.get("nlist", min(max(1, n // 39), max(16, 4 * math.isqrt(n)))))
        plan = replace(plan, nlist=nlist, nprobe=min(nlist, max(8, nlist // 64)),
                       train_size=min(n, 40 * nlist))
    overrides: dict[str, Any] = {key: int(value) for key, value in opts.items()}
    return replace(plan, **overrides)


def _thread_count(threads: Any) -> int:
    if threads is None:
        return machine_threads()
    if int(threads) < 1:
        raise ValueError(f"faiss option threads={threads!r} must be a positive integer.")
    return int(threads)


@contextmanager
def omp_threads(faiss: Any, n: int) -> Iterator[None]:
    """Run FAISS on ``n`` OpenMP threads inside the block."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(n)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def faiss_knn(
    data: np.ndarray,
    k: int,
    *,
    metric: str = "cosine",
    options: Mapping[str, Any] | None = None,
    recall_sample: int = 1000,
    random_state: int | None = 0,
    progress: bool = True,
) -> KNNGraph:
    """k nearest neighbours of every row of ``data`` (self excluded) with a FAISS index.

    Parameters
    ----------
    data : ndarray of shape (n, d), float32
        Finite rows (no zero rows for cosine).
    k : int
        Neighbours per row.
    metric : {"cosine", "euclidean"}
        Cosine runs as inner product on unit rows; distances are ``1 - cos`` and euclidean.
    options : mapping, optional
        Index choice and parameters, see :func:`plan_index`.
    recall_sample : int
        Rows on which recall is measured against the exact search (0 skips it).
    random_state : int or None
        Seeds the recall sample and the IVF training sample.
    progress : bool
        Show a tqdm bar over the search.

    Returns
    -------
    KNNGraph
        ``exact=False`` and ``recall`` measured on the sample (None when skipped).

    Warns
    -----
    UserWarning
        When the measured recall is below ``recall_floor``, naming the setting that raises it.

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(2000, 16)).astype(np.float32)
    >>> graph = faiss_knn(X, 10, progress=False)
    >>> graph.indices.shape
    (2000, 10)
    """
    from embedviz.compute.knn import _drop_self

    faiss = require_faiss()
    n, d = data.shape
    plan = plan_index(n, d, k, options)
    points = np.ascontiguousarray(data, dtype=np.float32)
    if metric == "cosine":
        points = points / np.linalg.norm(points, axis=1, keepdims=True)
    kk = min(k + 1, n)
    rows, truth = _recall_truth(points, k, metric, recall_sample, random_state)
    with omp_threads(faiss, plan.threads):
        index = _build(faiss, points, plan, metric, random_state)
        if truth is not None and not _fixed_search_setting(plan, options):
            plan = _tune(index, points, plan, rows, truth, k, kk, metric)
        idx, raw = _search_all(index, points, kk, progress, plan)
    idx, dist = _drop_self(*_finish(points, idx, raw, kk, metric), k)
    recall = None if truth is None else _recall(idx[rows], truth)
    if recall is not None and recall < plan.recall_floor:
        warnings.warn(
            f"FAISS {plan.describe()} found {recall:.3f} of the exact {k} neighbours on "
            f"{len(rows):,} sampled rows, below recall_floor={plan.recall_floor}. Raise it "
            f"with {plan.raise_recall_hint()}, or use method='exact'.",
            UserWarning,
            stacklevel=3,
        )
    return KNNGraph(idx, dist, metric=metric, exact=False, recall=recall)


def _recall_truth(points: np.ndarray, k: int, metric: str, sample: int,
                  random_state: int | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Sampled rows (drawn as :func:`embedviz.compute.knn.measure_recall` draws them) and their
    exact k neighbours, or no truth when ``sample`` is 0."""
    from embedviz.compute.knn_exact import exact_knn, prepare

    n = points.shape[0]
    if sample <= 0:
        return np.empty(0, dtype=np.int64), None
    rng = np.random.default_rng(random_state)
    rows = np.sort(rng.choice(n, size=min(sample, n), replace=False))
    tensor = prepare(torch.from_numpy(points), metric)
    exact_idx, _ = exact_knn(tensor, k, metric, query_rows=torch.from_numpy(rows))
    return rows, exact_idx.numpy()


def _recall(found: np.ndarray, truth: np.ndarray) -> float:
    hits = sum(np.intersect1d(a, b).size for a, b in zip(found, truth, strict=True))
    return float(hits / truth.size)


def _fixed_search_setting(plan: FaissPlan, options: Mapping[str, Any] | None) -> bool:
    key = "ef_search" if plan.index == "hnsw" else "nprobe"
    return key in (options or {})


def _tune(index: Any, points: np.ndarray, plan: FaissPlan, rows: np.ndarray,
          truth: np.ndarray, k: int, kk: int, metric: str) -> FaissPlan:
    """Double the search breadth (HNSW ``ef_search``, IVF ``nprobe``) until the sampled rows
    reach ``recall_floor``: searching the sample again is cheap next to the full search, and
    the index need not be rebuilt. Gives up at 8x, leaving the warning to say so."""
    from embedviz.compute.knn import _drop_self

    for _ in range(4):
        raw, idx = index.search(points[rows], kk)
        found, _dist = _drop_self(*_finish(points, idx, raw, kk, metric, rows), k)
        if _recall(found, truth) >= plan.recall_floor:
            break
        if plan.index == "hnsw":
            plan = replace(plan, ef_search=2 * plan.ef_search)
            index.hnsw.efSearch = plan.ef_search
        elif plan.nprobe < plan.nlist:
            plan = replace(plan, nprobe=min(plan.nlist, 2 * plan.nprobe))
            index.nprobe = plan.nprobe
        else:
            break
    return plan


def _finish(points: np.ndarray, idx: np.ndarray, raw: np.ndarray, kk: int, metric: str,
            rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """FAISS scores -> distances (cosine ``1 - ip``, euclidean ``sqrt``), holes filled."""
    dist = 1.0 - raw if metric == "cosine" else np.sqrt(np.maximum(raw, 0.0))
    dist = np.maximum(dist, 0.0).astype(np.float32)
    return _fill_missing(points, idx, dist, kk, metric, rows)


def _build(faiss: Any, points: np.ndarray, plan: FaissPlan, metric: str,
           random_state: int | None) -> Any:
    n, d = points.shape
    faiss_metric = faiss.METRIC_INNER_PRODUCT if metric == "cosine" else faiss.METRIC_L2
    if plan.index == "hnsw":
        index = faiss.IndexHNSWFlat(d, plan.M, faiss_metric)
        index.hnsw.efConstruction = plan.ef_construction
        index.hnsw.efSearch = plan.ef_search
        index.add(points)
        return index
    quantizer = faiss.IndexFlatIP(d) if metric == "cosine" else faiss.IndexFlatL2(d)
    index = faiss.IndexIVFFlat(quantizer, d, plan.nlist, faiss_metric)
    rng = np.random.default_rng(random_state)
    train = points if plan.train_size >= n else points[np.sort(rng.choice(n, plan.train_size,
                                                                          replace=False))]
    index.cp.seed = 0 if random_state is None else int(random_state)
    index.train(train)
    index.add(points)
    index.nprobe = plan.nprobe
    return index


def _search_all(index: Any, points: np.ndarray, kk: int, progress: bool,
                plan: FaissPlan) -> tuple[np.ndarray, np.ndarray]:
    n = points.shape[0]
    idx = np.empty((n, kk), dtype=np.int64)
    raw = np.empty((n, kk), dtype=np.float32)
    with tqdm(total=n, desc=f"knn (faiss {plan.index})", unit="row", disable=not progress,
              leave=False) as bar:
        for start in range(0, n, _SEARCH_BLOCK):
            stop = min(n, start + _SEARCH_BLOCK)
            raw[start:stop], idx[start:stop] = index.search(points[start:stop], kk)
            bar.update(stop - start)
    return idx, raw


def _fill_missing(points: np.ndarray, idx: np.ndarray, dist: np.ndarray, kk: int,
                  metric: str, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Rows where the index returned fewer than ``kk`` hits (-1 ids) are searched exactly.

    ``rows`` maps result rows to data rows when only some rows were queried."""
    from embedviz.compute.knn_exact import exact_knn, prepare

    holes = np.flatnonzero((idx < 0).any(axis=1))
    if holes.size == 0:
        return idx, dist
    ids = holes if rows is None else rows[holes]
    tensor = prepare(torch.from_numpy(points), metric)
    exact_idx, exact_dist = exact_knn(tensor, kk - 1, metric, query_rows=torch.from_numpy(ids))
    # exact_knn leaves each row's self out; put it back first so _drop_self sees a full row.
    idx[holes, 0], dist[holes, 0] = ids, 0.0
    idx[holes, 1:], dist[holes, 1:] = exact_idx.numpy(), exact_dist.numpy()
    return idx, dist
