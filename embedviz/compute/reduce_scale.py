"""Maps past one full UMAP: lay out a random sample, then place every other row among it.

The sample gets the full ``reduce`` (UMAP on its own kNN graph). Each remaining row is put at
the distance-weighted mean of the layout positions of its nearest sample rows, which is how
umap-learn's ``transform`` starts its points, without the per-point optimisation that
follows. The neighbours come from FAISS (an IVF-Flat index over the sample) when it is
installed, else from the exact torch search, in row blocks with a progress bar.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

__all__ = ["AUTO_PLACE_FROM", "place_rows", "sample_and_place", "sample_rows", "sample_size_for"]

# From this many rows on the CPU, sample="auto" lays out a sample and places the rest: the
# full UMAP needs the whole kNN graph and grows with n, sample+place grows with the sample.
# bench/bench_scale.py, 2e5 x 384 clustered blobs, one run on a loaded CPU (ratios only):
# sample 50k + place 150k 258 s in all, trustworthiness 0.9793 (2,000 rows, k=10); the full
# torch UMAP 291 s on top of its FAISS graph's 725 s, trustworthiness 0.9793. On a GPU the
# full UMAP stays (CUDA runs 1e6 points in seconds).
AUTO_PLACE_FROM = 200_000
_QUERY_BLOCK = 65_536


def sample_size_for(n: int) -> int:
    """Rows laid out by UMAP when ``sample="auto"``: 50,000, or all rows below that."""
    return min(n, 50_000)


def sample_rows(sample: int | str, n: int, device: torch.device, knn: Any, init: Any,
                y: Any) -> int | None:
    """How many rows ``reduce(..., sample=...)`` lays out, or None for the full UMAP.

    Parameters
    ----------
    sample : int or "auto"
        An int lays out that many rows when n is larger; ``"auto"`` takes
        :func:`sample_size_for` rows from ``AUTO_PLACE_FROM`` rows on the CPU.
    n : int
        Rows of the data.
    device : torch.device
        Where the UMAP would run.
    knn, init, y
        ``reduce``'s other inputs: a whole-data graph, warm start or labels need the full UMAP.

    Returns
    -------
    int or None

    Raises
    ------
    ValueError
        For an unknown ``sample`` or one combined with ``knn``, ``init`` or ``y``.

    Examples
    --------
    >>> sample_rows("auto", 1_000_000, torch.device("cpu"), None, None, None)
    50000
    """
    if sample == "auto":
        size = sample_size_for(n) if device.type == "cpu" and n >= AUTO_PLACE_FROM else None
    elif isinstance(sample, (int, np.integer)) and not isinstance(sample, bool) and sample > 0:
        size = int(sample) if n > sample else None
    else:
        raise ValueError(f"sample must be None, 'auto' or a positive int; got {sample!r}.")
    if size is not None and (knn is not None or init is not None or y is not None):
        raise ValueError("sample= lays out a sample on its own graph, so it cannot take knn=, "
                         "init= or y= for all rows; drop those, or pass sample=None.")
    return size


def sample_and_place(
    data: np.ndarray,
    *,
    sample: int,
    k: int = 15,
    metric: str = "cosine",
    random_state: int | None = None,
    progress: bool = True,
    device: str | torch.device = "auto",
    method: str = "umap",
    **reduce_kwargs: Any,
) -> np.ndarray:
    """An (n, 2) layout: UMAP on ``sample`` random rows, every other row placed among them.

    Parameters
    ----------
    data : ndarray of shape (n, d)
        Finite rows.
    sample : int
        Rows to lay out with UMAP (at least ``k + 2``).
    k : int
        Sample neighbours that place each other row.
    metric : {"cosine", "euclidean"}
    random_state : int or None
        Seeds the sample and the UMAP of it.
    progress : bool
        tqdm bars for the sample's UMAP and the placement.
    device : str or torch.device
        Where the UMAP of the sample runs.
    method : {"umap", "umap-learn", "umap-torch"}, default "umap"
        The UMAP of the sample, as in :func:`embedviz.reduce`.
    **reduce_kwargs
        Passed to :func:`embedviz.reduce` for the sample (``min_dist``, ``n_epochs``, ...).

    Returns
    -------
    ndarray of float32, shape (n, 2)

    Raises
    ------
    ValueError
        When ``sample`` is too small for ``k`` or not below n.

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(3000, 8)).astype(np.float32)
    >>> sample_and_place(X, sample=500, progress=False).shape  # doctest: +SKIP
    (3000, 2)
    """
    from embedviz.compute.reduce import reduce

    n = data.shape[0]
    if not k + 2 <= sample < n:
        raise ValueError(f"sample={sample} must be at least k + 2 = {k + 2} and below the "
                         f"{n:,} rows; pass sample=None for the full UMAP.")
    rng = np.random.default_rng(random_state)
    rows = np.sort(rng.choice(n, size=sample, replace=False))
    xy = np.empty((n, 2), dtype=np.float32)
    xy[rows] = reduce(data[rows], method=method, metric=metric, random_state=random_state,
                      progress=progress, device=device, cache=False, **reduce_kwargs)
    rest = np.setdiff1d(np.arange(n), rows, assume_unique=True)
    xy[rest] = place_rows(data[rest], data[rows], xy[rows], k=k, metric=metric,
                          progress=progress)
    return xy


def place_rows(queries: np.ndarray, anchors: np.ndarray, anchor_xy: np.ndarray, *, k: int = 15,
               metric: str = "cosine", progress: bool = True) -> np.ndarray:
    """Positions for ``queries``: the distance-weighted mean of their k nearest anchors' ``xy``.

    Parameters
    ----------
    queries : ndarray of shape (m, d)
    anchors : ndarray of shape (s, d)
        The laid-out rows.
    anchor_xy : ndarray of shape (s, 2)
        Their layout.
    k : int
        Anchors per query.
    metric : {"cosine", "euclidean"}
    progress : bool

    Returns
    -------
    ndarray of float32, shape (m, 2)

    Examples
    --------
    >>> a = np.eye(3, dtype=np.float32)
    >>> place_rows(a[:1], a, np.array([[0, 0], [1, 0], [0, 1]], np.float32), k=1,
    ...            progress=False)
    array([[0., 0.]], dtype=float32)
    """
    k = min(k, anchors.shape[0])
    idx, dist = _nearest_anchors(queries, anchors, k, metric, progress)
    # Closer anchors count more; the softness is each row's own nearest distance, so dense and
    # sparse regions are treated alike (a fixed width would snap sparse rows to one anchor).
    scale = np.maximum(dist[:, :1], 1e-6)
    weights = np.exp(-(dist - dist[:, :1]) / scale)
    weights /= weights.sum(axis=1, keepdims=True)
    out: np.ndarray = (weights[:, :, None] * anchor_xy[idx]).sum(axis=1)
    return out.astype(np.float32)


def _nearest_anchors(queries: np.ndarray, anchors: np.ndarray, k: int, metric: str,
                     progress: bool) -> tuple[np.ndarray, np.ndarray]:
    from embedviz.compute.knn_faiss import faiss_available

    q = np.ascontiguousarray(queries, dtype=np.float32)
    a = np.ascontiguousarray(anchors, dtype=np.float32)
    if metric == "cosine":
        q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
        a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    idx = np.empty((len(q), k), dtype=np.int64)
    dist = np.empty((len(q), k), dtype=np.float32)
    if faiss_available():
        search, block = _faiss_search(a, metric), _QUERY_BLOCK
    else:  # the (block, s) distance matrix stays near 128 MiB
        search, block = _torch_search(a, metric), max(256, 2**25 // len(a))
    with tqdm(total=len(q), desc="reduce (place rows)", unit="row", disable=not progress,
              leave=False) as bar:
        for start in range(0, len(q), block):
            stop = min(len(q), start + block)
            idx[start:stop], dist[start:stop] = search(q[start:stop], k)
            bar.update(stop - start)
    return idx, dist


def _faiss_search(anchors: np.ndarray, metric: str) -> Any:
    from embedviz.compute.knn_faiss import omp_threads, plan_index, require_faiss

    faiss = require_faiss()
    s, d = anchors.shape
    plan = plan_index(s, d, 15, {"index": "ivf"})
    quantizer = faiss.IndexFlatIP(d) if metric == "cosine" else faiss.IndexFlatL2(d)
    faiss_metric = faiss.METRIC_INNER_PRODUCT if metric == "cosine" else faiss.METRIC_L2
    index = faiss.IndexIVFFlat(quantizer, d, plan.nlist, faiss_metric)
    with omp_threads(faiss, plan.threads):
        index.train(anchors)
        index.add(anchors)
    # Placement averages k positions, so a missed neighbour moves a point little; 4x the
    # default breadth keeps holes (-1 ids) rare on small samples.
    index.nprobe = min(plan.nlist, 4 * plan.nprobe)

    def search(q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        with omp_threads(faiss, plan.threads):
            raw, idx = index.search(q, k)
        holes = idx < 0
        if holes.any():  # too few hits in the probed lists: repeat the nearest one found
            idx = np.where(holes, idx[:, :1], idx)
            raw = np.where(holes, raw[:, :1], raw)
        dist = 1.0 - raw if metric == "cosine" else np.sqrt(np.maximum(raw, 0.0))
        return idx, np.maximum(dist, 0.0).astype(np.float32)

    return search


def _torch_search(anchors: np.ndarray, metric: str) -> Any:
    a = torch.from_numpy(anchors)
    sq = (a * a).sum(1)

    def search(q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        t = torch.from_numpy(q)
        if metric == "cosine":
            dist = 1.0 - t @ a.T
        else:
            dist = ((t * t).sum(1, keepdim=True) - 2 * t @ a.T + sq).clamp_min(0).sqrt()
        best, idx = torch.topk(dist, k, dim=1, largest=False)
        return idx.numpy().astype(np.int64), best.clamp_min(0).numpy().astype(np.float32)

    return search
