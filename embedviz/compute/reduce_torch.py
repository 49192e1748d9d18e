"""The torch UMAP path of ``reduce``: graph -> fuzzy set -> initial layout -> optimisation."""
from __future__ import annotations

import numpy as np
import torch

from embedviz.compute.device import small_work_threads
from embedviz.compute.knn_graph import KNNGraph
from embedviz.compute.layout import WARM_START_EPOCHS, align_to, pca_2d, to_box
from embedviz.compute.umap_torch import find_ab_params, fuzzy_graph, optimize_layout


def _initial_layout(data: np.ndarray, dev: torch.device, gen: torch.Generator) -> torch.Tensor:
    """PCA of the data scaled to [0, 10] plus a little noise (umap-learn's ``init='pca'``)."""
    xy = torch.from_numpy(pca_2d(data, dev)).to(dev)
    lo, hi = xy.min(0).values, xy.max(0).values
    xy = 10.0 * (xy - lo) / (hi - lo).clamp_min(1e-12)
    noise = torch.randn(xy.shape, generator=gen, device=gen.device).to(dev)
    return xy + 1e-4 * noise


def umap_torch_layout(
    graph: KNNGraph,
    *,
    data: np.ndarray,
    init: np.ndarray | None,
    y: np.ndarray | None,
    device: torch.device,
    random_state: int | None,
    min_dist: float,
    n_epochs: int | None,
    progress: bool,
    learning_rate: float = 1.0,
    keep_init_scale: bool = False,
) -> np.ndarray:
    """UMAP layout (n, 2) float32 computed in torch on ``device`` from the shared graph.

    ``keep_init_scale`` starts from ``init`` as it is instead of boxed into [0, 10] the way
    umap-learn starts: right for an ``init`` that is itself a UMAP layout, which is already
    at the scale UMAP's loss settles at, so points move only where the graph asks them to.
    """
    # One thread up to 2e6 edges (~1.3e5 points): each epoch is a chain of gathers, scatters
    # and small element-wise ops that wait for every thread (1e5 points x 200 epochs: 32.9 s
    # on one thread, 81.5 s on two that shared their cores with other work); beyond that
    # `embedviz.config.torch_threads`.
    with small_work_threads(device, graph.n * graph.k):
        return _layout(graph, data=data, init=init, y=y, device=device, random_state=random_state,
                       min_dist=min_dist, n_epochs=n_epochs, progress=progress,
                       learning_rate=learning_rate, keep_init_scale=keep_init_scale)


def _layout(graph: KNNGraph, *, data: np.ndarray, init: np.ndarray | None, y: np.ndarray | None,
            device: torch.device, random_state: int | None, min_dist: float,
            n_epochs: int | None, progress: bool, learning_rate: float = 1.0,
            keep_init_scale: bool = False) -> np.ndarray:
    gen = torch.Generator(device=device)
    gen.manual_seed(int(random_state) if random_state is not None
                    else int(np.random.default_rng().integers(2**31)))
    indices = torch.from_numpy(graph.indices).to(device)
    dist = torch.from_numpy(graph.distances).to(device, torch.float32)
    labels = torch.from_numpy(y).to(device) if y is not None else None
    rows, cols, weights = fuzzy_graph(indices, dist, y=labels)
    if init is not None:
        boxed = np.asarray(init, dtype=np.float32) if keep_init_scale else to_box(init)
        start = torch.from_numpy(np.ascontiguousarray(boxed)).to(device)
        n_epochs = n_epochs or WARM_START_EPOCHS
    else:
        start = _initial_layout(data, device, gen)
    epochs = n_epochs or (500 if graph.n <= 10_000 else 200)
    a, b = find_ab_params(1.0, min_dist)
    xy = optimize_layout(start, rows, cols, weights, n_epochs=epochs, a=a, b=b,
                         learning_rate=learning_rate, generator=gen,
                         progress=progress).cpu().numpy()
    return align_to(xy, init) if init is not None else xy.astype(np.float32)
