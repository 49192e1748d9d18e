"""``reduce``: a 2-D map of the embeddings (UMAP on the shared kNN graph, or a PCA preview)."""
from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass
from typing import Any, Literal, overload

import numpy as np
import torch

from embedviz import cache as _cache
from embedviz.common import renamed_keyword
from embedviz.compute.device import device_for, on_device
from embedviz.compute.knn import knn as _knn
from embedviz.compute.knn_graph import KNNGraph
from embedviz.compute.layout import WARM_START_EPOCHS, align_to, pca_2d, to_box
from embedviz.compute.validate import as_float_matrix, warn_large
from embedviz.settings import config

__all__ = ["ReduceInfo", "choose_algorithm", "reduce"]

METHODS = ("umap", "umap-learn", "umap-torch", "pca")
# umap-learn's layout time per point and thread (10.9 s for 2e4 points and 173 s for 1e5 on
# two busy threads, bench/bench_compute.py); used only for the large-job warning.
_UMAP_LEARN_THREAD_S_PER_POINT = 2e-3
# From `embedviz.config.umap_torch_threshold(...)` points method="umap" runs the torch UMAP on
# the CPU too: on the same graph and epochs it matched umap-learn's trustworthiness (0.982)
# in less time from about 10,000 points per umap-learn thread. Below it umap-learn stays
# (the design's CPU default), where both take seconds.
# umap-learn's spectral start takes 3 eigenvectors of the graph and scipy needs fewer than n
# (n=3: "Cannot use scipy.linalg.eigh for sparse A with k >= N"); smaller maps start random.
_MIN_SPECTRAL_POINTS = 4
# The cache's algorithm version of each layout back end: bump one whenever the same inputs
# give it another layout.
CACHE_VERSIONS = {"reduce-pca": 1, "reduce-umap-learn": 1, "reduce-umap-torch": 1, "reduce-sample": 1}
_INIT_FIX = "Pass a layout returned by embedviz.reduce, or init=None to start fresh."


@dataclass(frozen=True)
class ReduceInfo:
    """Which algorithm :func:`reduce` ran, and why: ``reduce(..., return_info=True)``.

    Attributes
    ----------
    method : str
        The ``method`` asked for (``"umap"``, ``"umap-learn"``, ``"umap-torch"``, ``"pca"``).
    algorithm : str
        The algorithm that made the layout: ``"umap-learn"``, ``"umap-torch"`` or ``"pca"``.
        With ``sample=``, the one that laid out the sample.
    init : str
        How the layout started: ``"spectral"`` or ``"random"`` (umap-learn), ``"pca"`` (the
        torch UMAP), ``"warm"`` (from ``init=``), or ``"none"`` for ``method="pca"``.
    device : str
        The device it was planned on (an accelerator failure reruns it on the CPU, with a
        notice).
    n_points : int
        Rows laid out (after ``drop_invalid``).
    sample : int or None
        Rows laid out by UMAP when ``sample=`` placed the others among them; None otherwise.
    reason : str
        One sentence saying why ``algorithm`` was chosen, for a caption or a log.
    threads : int or None
        The threads umap-learn runs on (one when seeded, ``embedviz.config.threads`` when
        not); None for the other algorithms.

    Examples
    --------
    >>> info = choose_algorithm(50_000, device="cpu")
    >>> info.algorithm in ("umap-learn", "umap-torch")
    True
    """

    method: str
    algorithm: str
    init: str
    device: str
    n_points: int
    sample: int | None
    reason: str
    threads: int | None = None


def choose_algorithm(
    n_points: int,
    *,
    method: str = "umap",
    device: str | torch.device = "auto",
    random_state: int | None = None,
    warm_start: bool = False,
    sample: int | None = None,
) -> ReduceInfo:
    """The algorithm :func:`reduce` runs for ``n_points`` rows, without running it.

    ``method="umap"`` means the faster UMAP for the size and device: the torch UMAP on CUDA,
    and on the CPU from ``embedviz.config.umap_torch_threshold(seeded=...)`` points (10,000
    per thread umap-learn would use, unless ``embedviz.config.umap_torch_from`` is set);
    umap-learn otherwise. Both reach the same trustworthiness on the same graph, but their
    layouts differ, so a map made under another size, core count or device can look
    different: pass ``method="umap-learn"`` or ``"umap-torch"`` to fix the algorithm.

    Parameters
    ----------
    n_points : int
        Rows to lay out (the sample's size when ``sample`` is given).
    method : {"umap", "umap-learn", "umap-torch", "pca"}, default "umap"
        As in :func:`reduce`.
    device : str or torch.device, default "auto"
        As in :func:`reduce`.
    random_state : int or None, default None
        As in :func:`reduce` (a seeded umap-learn runs on one thread, which lowers the size
        from which the torch UMAP is chosen).
    warm_start : bool, default False
        Whether an ``init`` layout is given.
    sample : int or None, default None
        Rows laid out by UMAP when ``reduce(sample=...)`` places the others.

    Returns
    -------
    ReduceInfo
        The choice and its reason.

    Raises
    ------
    ValueError
        Unknown ``method``.

    Examples
    --------
    >>> import embedviz
    >>> embedviz.config.umap_torch_from = 20_000
    >>> choose_algorithm(25_000, device="cpu").algorithm
    'umap-torch'
    >>> choose_algorithm(25_000, method="umap-learn", device="cpu").algorithm
    'umap-learn'
    >>> embedviz.config.umap_torch_from = None
    """
    if method not in METHODS:
        raise ValueError(f"Unknown method {method!r}; use one of {list(METHODS)}.")
    family = "dense" if method == "pca" else "umap"
    dev = device_for(family, device)
    if method == "pca":
        return ReduceInfo(method, "pca", "none", str(dev), n_points, None,
                          "method='pca' asked for: a linear preview.")
    if method != "umap":
        algorithm, reason = method, f"method={method!r} asked for."
    elif dev.type == "cuda":
        algorithm, reason = "umap-torch", f"method='umap' on {dev.type}: the torch UMAP."
    else:
        threshold = config.umap_torch_threshold(seeded=random_state is not None)
        if n_points >= threshold:
            algorithm = "umap-torch"
            reason = (f"method='umap' on the CPU with {n_points:,} points, at least "
                      f"umap_torch_from={threshold:,}: the torch UMAP.")
        else:
            algorithm = "umap-learn"
            reason = (f"method='umap' on the CPU with {n_points:,} points, fewer than "
                      f"umap_torch_from={threshold:,}: umap-learn.")
    if warm_start:
        init = "warm"
    elif algorithm == "umap-torch":
        init = "pca"
    else:
        init = "spectral" if n_points >= _MIN_SPECTRAL_POINTS else "random"
    threads = _umap_learn_jobs(random_state) if algorithm == "umap-learn" else None
    return ReduceInfo(method, algorithm, init, str(dev), n_points, sample, reason, threads)


@overload
def reduce(
    X: Any,
    *,
    method: str = "umap",
    knn: KNNGraph | None = None,
    init: Any = None,
    y: Any = None,
    device: str | torch.device = "auto",
    random_state: int | None = None,
    k: int | None = None,
    min_dist: float = 0.1,
    n_epochs: int | None = None,
    metric: str = "cosine",
    drop_invalid: bool = False,
    progress: bool = True,
    cache: bool = True,
    sample: int | str | None = None,
    n_neighbors: int | None = None,
    return_info: Literal[False] = False,
) -> np.ndarray: ...


@overload
def reduce(
    X: Any,
    *,
    method: str = "umap",
    knn: KNNGraph | None = None,
    init: Any = None,
    y: Any = None,
    device: str | torch.device = "auto",
    random_state: int | None = None,
    k: int | None = None,
    min_dist: float = 0.1,
    n_epochs: int | None = None,
    metric: str = "cosine",
    drop_invalid: bool = False,
    progress: bool = True,
    cache: bool = True,
    sample: int | str | None = None,
    n_neighbors: int | None = None,
    return_info: Literal[True],
) -> tuple[np.ndarray, ReduceInfo]: ...


def reduce(
    X: Any,
    *,
    method: str = "umap",
    knn: KNNGraph | None = None,
    init: Any = None,
    y: Any = None,
    device: str | torch.device = "auto",
    random_state: int | None = None,
    k: int | None = None,
    min_dist: float = 0.1,
    n_epochs: int | None = None,
    metric: str = "cosine",
    drop_invalid: bool = False,
    progress: bool = True,
    cache: bool = True,
    sample: int | str | None = None,
    n_neighbors: int | None = None,
    return_info: bool = False,
) -> np.ndarray | tuple[np.ndarray, ReduceInfo]:
    """Lay out the rows of ``X`` as a 2-D map.

    Needs at least 3 rows. Results are cached by content (``cache=False`` to skip).

    Parameters
    ----------
    X : array-like, shape (n, d)
        The embeddings: a numpy array, torch tensor, pandas frame or nested list of numbers.
    method : {"umap", "umap-learn", "umap-torch", "pca"}, default "umap"
        ``"umap"`` is the faster UMAP for the size and device (:func:`choose_algorithm`):
        umap-learn on the CPU, or the torch UMAP (:mod:`embedviz.compute.umap_torch`) when
        ``device`` resolves to CUDA, or on the CPU from ``embedviz.config.umap_torch_from``
        points (10,000 per umap-learn thread; a seeded umap-learn uses one), where it is
        faster at equal quality. The two give different layouts, so ``return_info=True``
        says which ran. ``"umap-learn"`` and ``"umap-torch"`` force one (the torch UMAP runs
        where ``device`` says, falling back to the CPU with a notice where that device
        fails). ``"pca"`` is a fast torch preview.
    knn : KNNGraph, optional
        The shared graph from :func:`embedviz.knn` on the same ``X``; computed with
        ``k`` and ``metric`` when omitted.
    init : array-like, shape (n, 2), optional
        An earlier layout to warm-start from (``n_epochs`` then defaults to 200); the result
        is scaled and shifted onto its frame so the two overlay.
    y : array-like of int, shape (n,), optional
        Class ids, -1 for unlabelled rows, for a semi-supervised layout.
    device : str or torch.device, default "auto"
        Where the torch UMAP and PCA run: ``"auto"`` (CUDA, MPS, else CPU), ``"cpu"``,
        ``"cuda"``, ...
    random_state : int or None, default None
        Seed for a reproducible layout (umap-learn then runs on one thread).
    k : int, optional
        UMAP's neighbour count, at most ``knn.k`` (default: all of ``knn``'s neighbours, or
        15, fewer for tiny ``X``, when the graph is computed here).
    min_dist : float, default 0.1
        UMAP's minimum distance between laid-out points.
    n_epochs : int, optional
        UMAP's optimisation epochs (default: the back end's own).
    metric : {"cosine", "euclidean"}, default "cosine"
        Distance of the graph computed when ``knn`` is omitted.
    drop_invalid : bool, default False
        Remove rows holding NaN or inf (with a warning) instead of raising.
    progress : bool, default True
        Show a progress bar.
    cache : bool, default True
        Read and write the on-disk cache.
    sample : int or "auto", optional
        Lay out this many random rows with UMAP and place the others among their nearest
        laid-out rows (:func:`embedviz.compute.reduce_scale.sample_and_place`); ``"auto"``
        takes 50,000 rows from 200,000 rows on the CPU. None (default) or a sample no
        smaller than ``X`` lays out every row; it cannot be combined with ``knn``, ``init``
        or ``y``.
    n_neighbors : int, optional
        Deprecated name of ``k`` (a FutureWarning says so); it will be removed.
    return_info : bool, default False
        Also return a :class:`ReduceInfo` saying which algorithm ran and why.

    Returns
    -------
    numpy.ndarray
        (n, 2) float32 coordinates, row ``i`` for row ``i`` of ``X``.
    ReduceInfo
        Only with ``return_info=True``: ``(xy, info)``.

    Raises
    ------
    ValueError
        Unknown ``method``; fewer than 3 rows; ``X`` not 2-D or holding NaN/inf rows
        (without ``drop_invalid``); ``knn`` with other rows than ``X`` or fewer neighbours
        than ``k``; ``init`` or ``y`` of the wrong shape, or ``init`` without
        spread; ``sample`` not None, "auto" or a positive int, or combined with ``knn``,
        ``init`` or ``y``; a layout came out with NaN or inf.
    TypeError
        ``X`` is not numeric, ``knn`` is not a :class:`KNNGraph`, or ``y`` is not integer.
    RuntimeError
        ``device`` names a device that is absent.

    Examples
    --------
    >>> import numpy as np
    >>> import embedviz
    >>> X = np.random.default_rng(0).normal(size=(300, 16))
    >>> xy = embedviz.reduce(X, method="pca", cache=False)
    >>> xy.shape, xy.dtype
    ((300, 2), dtype('float32'))
    >>> graph = embedviz.knn(X, k=10, progress=False, cache=False)
    >>> xy = embedviz.reduce(X, knn=graph, random_state=0, progress=False, cache=False)
    >>> xy.shape
    (300, 2)
    >>> xy, info = embedviz.reduce(X, method="umap-learn", knn=graph, random_state=0,
    ...                            progress=False, cache=False, return_info=True)
    >>> info.algorithm
    'umap-learn'
    """
    if method not in METHODS:
        raise ValueError(f"Unknown method {method!r}; use one of {list(METHODS)}.")
    k = renamed_keyword("reduce", "n_neighbors", n_neighbors, "k", k)
    data = as_float_matrix(X, name="X", drop_invalid=drop_invalid, min_rows=3)
    n = data.shape[0]
    dev = device_for("umap", device)
    init_xy = _check_init(init, n)
    labels = _check_y(y, n)
    info = choose_algorithm(n, method=method, device=device, random_state=random_state,
                            warm_start=init_xy is not None)

    def out(xy: np.ndarray) -> np.ndarray | tuple[np.ndarray, ReduceInfo]:
        return (xy, info) if return_info else xy

    if method == "pca":
        return out(_cached("reduce-pca", [data], {}, lambda: on_device(
            "dense", device, lambda at: pca_2d(data, at), step="reduce (pca)"), cache))
    if sample is not None:
        from embedviz.compute import reduce_scale

        size = reduce_scale.sample_rows(sample, n, dev, knn, init_xy, labels)
        if size is not None:
            info = choose_algorithm(size, method=method, device=device,
                                    random_state=random_state, sample=size)
            run_scaled = lambda: reduce_scale.sample_and_place(  # noqa: E731
                data, sample=size, k=k or 15, metric=metric, device=dev,
                random_state=random_state, progress=progress, min_dist=min_dist,
                n_epochs=n_epochs, method=info.algorithm)
            return out(_cached("reduce-sample", [data], {
                "sample": size, "k": k, "metric": metric, "min_dist": min_dist,
                "n_epochs": n_epochs, "random_state": random_state,
                "algorithm": info.algorithm}, run_scaled, cache))

    graph = _check_graph(knn, n, k) if knn is not None else _knn(
        data, k=k or min(15, n - 1), metric=metric, device=device,
        progress=progress, cache=cache,
    )
    if k is not None and graph.k > k:
        graph = KNNGraph(graph.indices[:, :k], graph.distances[:, :k],
                         metric=graph.metric, exact=graph.exact, recall=graph.recall)
    backend = info.algorithm
    params = {"backend": backend, "min_dist": min_dist, "n_epochs": n_epochs,
              "random_state": random_state}
    parts = [data, graph.indices, graph.distances, init_xy, labels]
    if backend == "umap-learn":
        params["umap-learn"] = _cache.library_version("umap-learn")
        threads = _umap_learn_jobs(random_state)
        warn_large(f"umap-learn on {n:,} points on the CPU",
                   n * _UMAP_LEARN_THREAD_S_PER_POINT / threads,
                   fix="Run on a GPU (device='cuda'), or preview with method='pca'.", threshold_s=120)

        def run() -> np.ndarray:
            return _umap_learn(data, graph, init_xy, labels, random_state=random_state,
                               min_dist=min_dist, n_epochs=n_epochs, progress=progress)
    else:

        def run() -> np.ndarray:
            from embedviz.compute.reduce_torch import umap_torch_layout

            return on_device("umap", dev, lambda at: umap_torch_layout(
                graph, data=data, init=init_xy, y=labels, device=at, random_state=random_state,
                min_dist=min_dist, n_epochs=n_epochs, progress=progress), step="reduce (umap)")

    return out(_cached(f"reduce-{backend}", parts, params, run, cache))


def _umap_learn_jobs(random_state: int | None) -> int:
    """umap-learn's threads: one when seeded (its parallel epochs are not reproducible, and
    it refuses a seed with more), else ``embedviz.config.threads``."""
    return 1 if random_state is not None else config.threads


def _cached(func: str, parts: list, params: dict, run: Any, enabled: bool) -> np.ndarray:
    """``run()`` through the cache; a layout with NaN or inf raises and is never stored."""
    out = _cache.cached_call(func, data=parts, params=params, version=CACHE_VERSIONS[func],
                             compute=lambda: {"xy": _finite_layout(run(), func)}, enabled=enabled)
    return np.ascontiguousarray(out["xy"], dtype=np.float32)


def _check_graph(graph: Any, n: int, k: int | None) -> KNNGraph:
    if not isinstance(graph, KNNGraph):
        raise TypeError(f"knn must be a KNNGraph from embedviz.knn(X); got {type(graph).__name__}.")
    if graph.n != n:
        raise ValueError(
            f"knn has {graph.n} rows but X has {n}; compute the graph on the same X "
            "(embedviz.knn(X)) — with drop_invalid=True on both calls if rows were dropped."
        )
    if k is not None and k > graph.k:
        raise ValueError(f"k={k} but knn has only k={graph.k}; "
                         f"recompute it with embedviz.knn(X, k={k}).")
    return graph


def _finite_layout(xy: np.ndarray, func: str) -> np.ndarray:
    """Raise rather than return (or cache) a layout holding NaN or inf."""
    bad = int((~np.isfinite(xy).all(axis=1)).sum())
    if bad:
        raise ValueError(
            f"{func.removeprefix('reduce-')} returned NaN or inf coordinates for {bad} of "
            f"{len(xy)} point(s), so there is no usable map. Try method='umap-torch' (or "
            "method='pca' for a quick preview), or another init or random_state."
        )
    return xy


def _check_init(init: Any, n: int) -> np.ndarray | None:
    """``init`` as a finite (n, 2) float32 layout with spread on both axes, or None."""
    if init is None:
        return None
    xy = as_float_matrix(init, name="init", invalid_fix=_INIT_FIX)
    if xy.shape != (n, 2):
        raise ValueError(f"init must have shape ({n}, 2) like the previous layout; got {xy.shape}.")
    flat = [axis for axis in (0, 1) if not np.ptp(xy[:, axis]) > 0]
    if flat:
        what = "all its points are the same" if len(flat) == 2 else f"column {flat[0]} is constant"
        raise ValueError(f"init is not a usable layout: {what}, so UMAP cannot scale it. {_INIT_FIX}")
    return xy


def _check_y(y: Any, n: int) -> np.ndarray | None:
    if y is None:
        return None
    labels = np.asarray(y)
    if labels.shape != (n,):
        raise ValueError(f"y must have shape ({n},), one label per row (-1 = unlabelled); got {labels.shape}.")
    if labels.dtype.kind not in "iu":
        raise TypeError("y must hold integer class ids with -1 for unlabelled points; map names "
                        "to ids first, e.g. with pandas.factorize.")
    return labels.astype(np.int64)


def _umap_learn(
    data: np.ndarray, graph: KNNGraph, init_xy: np.ndarray | None, labels: np.ndarray | None,
    *, random_state: int | None, min_dist: float, n_epochs: int | None, progress: bool,
) -> np.ndarray:
    import umap

    n = graph.n
    own = np.arange(n, dtype=np.int64)[:, None]
    indices = np.hstack([own, graph.indices])  # umap-learn wants self as the first neighbour
    distances = np.hstack([np.zeros((n, 1), np.float32), graph.distances])
    init_arg: Any = "spectral" if n >= _MIN_SPECTRAL_POINTS else "random"
    if init_xy is not None:
        init_arg = to_box(init_xy)
        n_epochs = n_epochs or WARM_START_EPOCHS
    model = umap.UMAP(
        n_neighbors=graph.k + 1, metric=graph.metric, min_dist=min_dist, n_epochs=n_epochs,
        init=init_arg, random_state=random_state, precomputed_knn=(indices, distances),
        verbose=progress,  # the bar goes when done: it sat over the Explorer for good
        tqdm_kwds={"disable": not progress, "desc": "reduce (umap-learn)", "leave": False},
        n_jobs=_umap_learn_jobs(random_state),
    )
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.filterwarnings("ignore", message=".*precomputed_knn.*")
        warnings.filterwarnings("ignore", message=".*n_jobs value.*")
        warnings.filterwarnings("ignore", message=".*random_state.*")
        xy = model.fit_transform(data, y=labels).astype(np.float32)
    return align_to(xy, init_xy) if init_xy is not None else xy
