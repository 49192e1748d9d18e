"""Label propagation on the shared kNN graph (Zhou et al. spreading, class-balanced seeds).

The graph is turned once into a symmetric normalised affinity ``S = D^-1/2 W D^-1/2`` held as a
torch sparse CSR tensor (on the GPU when there is one); several seed sets (one per
cross-validation fold) propagate together as extra columns of one sparse matmul.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from embedviz.compute.device import small_work_threads
from embedviz.compute.knn_graph import KNNGraph

Tick = Callable[[], None]


def edge_weights(knn: KNNGraph, *, power: float = 3.0) -> np.ndarray:
    """Similarity per directed edge: cosine^power for cosine graphs, a Gaussian otherwise."""
    d = knn.distances.astype(np.float32)
    if knn.metric == "cosine":
        return np.clip(1.0 - d, 0.0, 1.0) ** power
    sigma = float(np.median(d[:, -1])) or 1.0
    return np.exp(-((d / sigma) ** 2))


def _csr(crow: torch.Tensor, col: torch.Tensor, val: torch.Tensor, n: int) -> torch.Tensor:
    with warnings.catch_warnings():  # "CSR support is in beta": it is what we measured
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(crow, col, val, size=(n, n), check_invariants=False)


def symmetric_affinity(knn: KNNGraph, device: torch.device, *,
                       power: float = 3.0) -> torch.Tensor:
    """Symmetrised weighted adjacency ``W = (A + A^T) / 2``: torch sparse CSR on ``device``.

    Built on the device itself: at n = 1e6, k = 15 scipy took 5.2 s for this and the
    normalisation (H100 machine's CPU), which is most of a retrain's budget there.
    """
    n, k = knn.n, knn.k
    cols = torch.from_numpy(knn.indices.reshape(-1)).to(device).long()
    vals = torch.from_numpy(edge_weights(knn, power=power).reshape(-1)).to(device)
    rows = torch.arange(n, device=device).repeat_interleave(k)
    keep = rows != cols
    rows, cols, vals = rows[keep], cols[keep], vals[keep]
    both = torch.stack([torch.cat([rows, cols]), torch.cat([cols, rows])])
    coo = torch.sparse_coo_tensor(both, torch.cat([vals, vals]) * 0.5, (n, n),
                                  check_invariants=False).coalesce()
    with warnings.catch_warnings():  # "CSR support is in beta": it is what we measured
        warnings.simplefilter("ignore", UserWarning)
        return coo.to_sparse_csr()


def _csr_rows(W: torch.Tensor) -> torch.Tensor:
    crow = W.crow_indices()
    return torch.repeat_interleave(torch.arange(W.shape[0], device=crow.device), crow.diff())


def degrees(W: torch.Tensor, rows: torch.Tensor | None = None) -> torch.Tensor:
    """Row sums of a sparse CSR matrix (``rows``: each value's row, if already known)."""
    rows = _csr_rows(W) if rows is None else rows
    return torch.zeros(W.shape[0], dtype=W.dtype, device=W.device).index_add_(
        0, rows, W.values())


def normalised_operator(W: torch.Tensor) -> torch.Tensor:
    """``D^-1/2 W D^-1/2`` (same sparsity as ``W``, on its device)."""
    rows = _csr_rows(W)
    inv = degrees(W, rows).clamp_min(1e-12).rsqrt()
    vals = W.values() * inv[rows] * inv[W.col_indices()]
    return _csr(W.crow_indices(), W.col_indices(), vals, W.shape[0])


def balanced_seeds(
    codes: np.ndarray, weights: np.ndarray, n_classes: int, device: torch.device
) -> torch.Tensor:
    """(n, C) seed matrix on ``device``: each class's seeds sum to 1, so big lassos do not
    swamp small ones."""
    idx = np.flatnonzero(codes >= 0)
    Y = torch.zeros((codes.shape[0], n_classes), device=device)
    Y[torch.from_numpy(idx).to(device), torch.from_numpy(codes[idx]).to(device)] = (
        torch.from_numpy(weights[idx].astype(np.float32)).to(device))
    return Y / Y.sum(dim=0, keepdim=True).clamp_min(1e-12)


def spread(
    S: torch.Tensor,
    seeds: torch.Tensor,
    *,
    alpha: float = 0.99,
    n_iter: int = 30,
    tick: Tick | None = None,
) -> torch.Tensor:
    """Iterate ``F <- alpha S F + (1 - alpha) Y`` on S's device; ``seeds`` (n, m) may stack
    several seed sets side by side."""
    Y = seeds.to(S.device)
    F = Y.clone()
    # small products on one thread: OpenMP threads spin while other work holds their cores
    # (n=1e5, 40 columns: 0.11 s per step on one thread, 0.20 s on two sharing their cores)
    with small_work_threads(S.device, F.numel()):
        for _ in range(n_iter):
            F = torch.sparse.mm(S, F).mul_(alpha).add_(Y, alpha=1.0 - alpha)
            if tick is not None:
                tick()
    return F


def to_proba(F: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Row-normalised class distribution and the total propagated mass per point
    (computed where ``F`` is; rows the labels never reached become uniform)."""
    mass = F.sum(dim=1)
    proba = torch.where((mass > 1e-30)[:, None], F / mass.clamp_min(1e-30)[:, None],
                        torch.full_like(F, 1.0 / F.shape[1]))
    return proba.cpu().numpy(), mass.cpu().numpy()


@dataclass(frozen=True)
class Propagated:
    """One seed set's spread: mass per class ``F`` (n, C), its row-normalised ``prop`` and
    the total ``mass`` per point (computed once, used by every learner and score)."""

    F: np.ndarray
    prop: np.ndarray
    mass: np.ndarray

    @classmethod
    def of(cls, F: torch.Tensor) -> Propagated:
        prop, mass = to_proba(F)
        return cls(F=F.cpu().numpy(), prop=prop, mass=mass)


def reachability_reference(seed_mass: np.ndarray, mass: np.ndarray) -> float:
    """What "fully reached" means: the seeds' median mass (the largest of ``mass`` when
    there are no seeds)."""
    return float(np.median(seed_mass)) if seed_mass.size else float(mass.max())


def reachability(mass: np.ndarray, ref: float) -> np.ndarray:
    """Mass relative to the seeds' (``reachability_reference``), on a log scale in [0, 1].

    1 for points as reachable as the seeds' own neighbourhoods, 0 for points the labels
    reach with 1e-4 of that mass or less (other components, unlabelled sub-clusters).
    """
    rel = np.log10(np.maximum(mass, 1e-30) / max(ref, 1e-30))
    return np.clip(1.0 + rel / 4.0, 0.0, 1.0).astype(np.float32)


def neighbour_mean(W: torch.Tensor, M: torch.Tensor,
                   deg: torch.Tensor | None = None) -> torch.Tensor:
    """Edge-weighted mean of the neighbours' rows of ``M`` (self excluded), on ``W``'s
    device; a point with no neighbours keeps its own row. ``deg``: ``degrees(W)[:, None]``,
    for callers that take many means on one graph."""
    deg = degrees(W)[:, None] if deg is None else deg
    return torch.where(deg > 0, torch.sparse.mm(W, M) / deg.clamp_min(1e-12), M)


def neighbour_vote(W: torch.Tensor, proba: np.ndarray) -> np.ndarray:
    """Weighted average of the neighbours' class distributions (self excluded)."""
    P = torch.from_numpy(np.ascontiguousarray(proba, dtype=np.float32)).to(W.device)
    return neighbour_mean(W, P).cpu().numpy()
