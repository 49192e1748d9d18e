"""``cluster``: k-means in torch (GPU when present) or HDBSCAN (the ``hdbscan`` package) on the map."""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch

from embedviz import cache as _cache
from embedviz.compute.device import device_for, on_device
from embedviz.compute.kmeans import kmeans
from embedviz.compute.validate import as_float_matrix
from embedviz.settings import config

__all__ = ["Clustering", "cluster"]

METHODS = ("kmeans", "hdbscan")
# The cache's algorithm version of each method: bump one whenever the same inputs give it
# other clusters.
CACHE_VERSIONS = {"kmeans": 1, "hdbscan": 1}


@dataclass(frozen=True)
class Clustering:
    """Cluster labels and a summary of each cluster.

    ``labels``: (n,) int32, cluster id per row, -1 = noise (HDBSCAN only).
    ``sizes``: (c,) int64 members per cluster; ``centroids``: (c, d) float32 member means;
    ``exemplars``: (c,) int64 row index of the member nearest its centroid (a representative
    point to show). Cluster ``j`` is row ``j`` of the summary arrays.
    """

    labels: np.ndarray
    sizes: np.ndarray
    centroids: np.ndarray
    exemplars: np.ndarray
    method: str = "kmeans"

    @property
    def n_clusters(self) -> int:
        return int(self.sizes.shape[0])

    @property
    def noise(self) -> int:
        """Number of rows labelled -1."""
        return int((self.labels < 0).sum())


def cluster(
    X: Any,
    *,
    method: str = "kmeans",
    n_clusters: int = 10,
    min_cluster_size: int | None = None,
    min_samples: int | None = None,
    device: str | torch.device = "auto",
    random_state: int | None = 0,
    n_init: int = 3,
    max_iter: int = 100,
    drop_invalid: bool = False,
    cache: bool = True,
) -> Clustering:
    """Cluster the rows of ``X`` (usually the 2-D map from :func:`embedviz.reduce`).

    Results are cached by content (``cache=False`` to skip).

    Parameters
    ----------
    X : array-like, shape (n, d)
        The points: a numpy array, torch tensor, pandas frame or nested list of numbers.
    method : {"kmeans", "hdbscan"}, default "kmeans"
        ``"kmeans"``: ``n_clusters`` clusters, k-means++ starts, Lloyd iterations in torch on
        ``device``. ``"hdbscan"``: HDBSCAN (the ``hdbscan`` package's Boruvka tree search,
        the same clusters as scikit-learn's); rows it leaves out are labelled -1. HDBSCAN on
        more than 16 dimensions warns: cluster the 2-D map instead.
    n_clusters : int, default 10
        Number of k-means clusters, at most n (k-means only).
    min_cluster_size : int, optional
        Smallest HDBSCAN cluster, at least 2 (default ``max(5, n // 100)``, at most 500).
    min_samples : int, optional
        HDBSCAN's neighbourhood size for core points, counting the point itself as
        scikit-learn does (default ``min(min_cluster_size, 10)``).
    device : str or torch.device, default "auto"
        Where k-means runs: ``"auto"`` (CUDA, MPS, else CPU), ``"cpu"``, ``"cuda"``, ...
    random_state : int or None, default 0
        Seed of the k-means++ starts; None for a different result each call.
    n_init : int, default 3
        Number of k-means++ starts; the one with the lowest inertia is kept.
    max_iter : int, default 100
        Most Lloyd iterations per start.
    drop_invalid : bool, default False
        Remove rows holding NaN or inf (with a warning) instead of raising.
    cache : bool, default True
        Read and write the on-disk cache.

    Returns
    -------
    Clustering
        ``labels`` (n,) int32 cluster id per row (-1 = noise, HDBSCAN only), and per
        cluster ``sizes``, ``centroids`` (member means) and ``exemplars`` (the row nearest
        its centroid).

    Raises
    ------
    ValueError
        Unknown ``method``; ``n_clusters`` not a positive integer or more than the rows;
        ``min_cluster_size`` below 2; ``X`` not 2-D or holding NaN/inf rows (without
        ``drop_invalid``).
    TypeError
        ``X`` is not numeric (or is a sparse matrix).
    RuntimeError
        ``device`` names a device that is absent.

    Examples
    --------
    >>> import numpy as np
    >>> import embedviz
    >>> rng = np.random.default_rng(0)
    >>> xy = np.vstack([rng.normal(0, 1, (50, 2)), rng.normal(10, 1, (50, 2))])
    >>> result = embedviz.cluster(xy, n_clusters=2, cache=False)
    >>> result.n_clusters, sorted(result.sizes.tolist())
    (2, [50, 50])
    """
    if method not in METHODS:
        raise ValueError(f"Unknown method {method!r}; use one of {list(METHODS)}.")
    data = as_float_matrix(X, name="X", drop_invalid=drop_invalid)
    n, d = data.shape
    if method == "kmeans":
        if not isinstance(n_clusters, (int, np.integer)) or n_clusters < 1:
            raise ValueError(f"n_clusters must be a positive integer; got {n_clusters!r}.")
        if n_clusters > n:
            raise ValueError(f"n_clusters={n_clusters} is more than the {n} rows; pass n_clusters<={n}.")
        dev = device_for("kmeans", device)  # an absent device is refused before any work
        params: dict[str, Any] = {"n_clusters": int(n_clusters), "random_state": random_state,
                                  "n_init": n_init, "max_iter": max_iter}

        def run() -> dict[str, np.ndarray]:
            labels = on_device("kmeans", dev, lambda at: kmeans(
                data, int(n_clusters), device=at, random_state=random_state, n_init=n_init,
                max_iter=max_iter), step="cluster (k-means)")
            return {"labels": labels}
    else:
        size = min_cluster_size if min_cluster_size is not None else max(5, min(n // 100, 500))
        if size < 2:
            raise ValueError(f"min_cluster_size must be at least 2; got {size}.")
        if d > 16:
            warnings.warn(
                f"HDBSCAN on {d}-dimensional data is slow and finds little; cluster the 2-D map "
                "instead: cluster(embedviz.reduce(X), method='hdbscan').", stacklevel=2)
        # min_samples defaults to min(size, 10), as umap-learn's clustering guide suggests:
        # sklearn's default (= min_cluster_size) took 116 s on a 1e5-point map.
        samples = min_samples if min_samples is not None else min(int(size), 10)
        params = {"min_cluster_size": int(size), "min_samples": int(samples), "impl": "hdbscan",
                  "hdbscan": _cache.library_version("hdbscan")}

        def run() -> dict[str, np.ndarray]:
            return {"labels": _hdbscan(data, int(size), int(samples))}

    out = _cache.cached_call(f"cluster-{method}", data=[data], params=params,
                             version=CACHE_VERSIONS[method],
                             compute=run, enabled=cache)
    return summarize(data, out["labels"], method=method)


def _hdbscan(data: np.ndarray, size: int, samples: int) -> np.ndarray:
    """HDBSCAN labels from the ``hdbscan`` package (exact minimum spanning tree).

    scikit-learn's HDBSCAN builds the tree with Prim's algorithm over all pairs: 52-116 s on a
    1e5-point map (bench_compute). The ``hdbscan`` package's Boruvka kd-tree
    took 2.9 s on the same map, with the same partition (ARI 1.0, same noise points). Its
    ``min_samples`` leaves the point itself out, so ours (scikit-learn's meaning) is one more.
    """
    import hdbscan

    model = hdbscan.HDBSCAN(min_cluster_size=size, min_samples=max(samples - 1, 1),
                            approx_min_span_tree=False,
                            core_dist_n_jobs=config.threads)
    labels = model.fit_predict(np.ascontiguousarray(data, dtype=np.float64))
    return np.ascontiguousarray(labels, dtype=np.int32)


def summarize(data: np.ndarray, labels: np.ndarray, *, method: str) -> Clustering:
    """Sizes, centroids and exemplars of each cluster id 0..c-1 in ``labels``."""
    labels = np.ascontiguousarray(labels, dtype=np.int32)
    n_clusters = int(labels.max()) + 1 if labels.size and labels.max() >= 0 else 0
    member = labels >= 0
    sizes = np.bincount(labels[member], minlength=n_clusters).astype(np.int64)
    rows = np.flatnonzero(member)
    onehot = sp.csr_matrix((np.ones(rows.size), (labels[rows], rows)), shape=(n_clusters, data.shape[0]))
    sums = np.asarray(onehot @ data.astype(np.float64))
    centroids = (sums / np.maximum(sizes, 1)[:, None]).astype(np.float32)
    exemplars = np.full(n_clusters, -1, dtype=np.int64)
    if n_clusters:
        dist = ((data[rows] - centroids[labels[rows]]) ** 2).sum(1)
        order = np.lexsort((dist, labels[rows]))  # by cluster, then by distance
        first = np.unique(labels[rows][order], return_index=True)[1]
        exemplars[labels[rows][order][first]] = rows[order][first]
    return Clustering(labels=labels, sizes=sizes, centroids=centroids,
                      exemplars=exemplars, method=method)
