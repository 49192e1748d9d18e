"""Where to lasso next: dense uncertain regions, and clusters that hold no label yet."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.cluster import MiniBatchKMeans  # scikit-learn's, as in select.py (see there)


@dataclass(frozen=True)
class Suggestion:
    """A region to lasso next: its point ``indices``, why (``reason``) and a ``score``."""

    indices: np.ndarray
    reason: str  # "unlabelled cluster" or "uncertain"
    score: float


def _grow(seed: int, neighbours: np.ndarray, allowed: np.ndarray, size: int) -> np.ndarray:
    """Breadth-first region on the kNN graph from ``seed`` through allowed points."""
    region = [seed]
    seen = {seed}
    frontier = [seed]
    while frontier and len(region) < size:
        nxt = []
        for p in frontier:
            for q in neighbours[p]:
                q = int(q)
                if q not in seen and allowed[q]:
                    seen.add(q)
                    region.append(q)
                    nxt.append(q)
                    if len(region) >= size:
                        break
            if len(region) >= size:
                break
        frontier = nxt
    return np.asarray(region, dtype=np.int64)


def unlabelled_clusters(
    X: np.ndarray, labelled: np.ndarray, n_clusters: int, seed: int
) -> list[tuple[np.ndarray, float]]:
    """k-means clusters with no labelled point, biggest first, as (members, size share)."""
    n = X.shape[0]
    km = MiniBatchKMeans(n_clusters=min(n_clusters, n), n_init=3, random_state=seed,
                         batch_size=2048).fit(X)
    assign = km.labels_
    has_label = np.zeros(km.n_clusters, dtype=bool)
    has_label[np.unique(assign[labelled])] = True
    out = []
    for j in np.flatnonzero(~has_label):
        members = np.flatnonzero(assign == j)
        if members.size:
            dist = ((X[members] - km.cluster_centers_[j]) ** 2).sum(1)
            out.append((members[np.argsort(dist)], members.size / n))
    out.sort(key=lambda t: -t[1])
    return out


def suggest_regions(
    *,
    X: np.ndarray,
    neighbours: np.ndarray,
    distances: np.ndarray,
    confidence: np.ndarray,
    labelled_mask: np.ndarray,
    n_classes: int,
    n_regions: int,
    region_size: int,
    seed: int = 0,
) -> list[Suggestion]:
    """Up to ``n_regions`` regions: unlabelled clusters first (at most half), then the
    densest uncertain places, each grown on the graph and kept apart from the others."""
    allowed = ~labelled_mask
    out: list[Suggestion] = []
    if allowed.sum() == 0:
        return out
    taken = np.zeros_like(allowed)
    clusters = unlabelled_clusters(X, np.flatnonzero(labelled_mask),
                                   max(2 * n_classes + 2, 8), seed)
    for members, share in clusters[: max(1, n_regions // 2)]:
        out.append(Suggestion(members[:region_size], "unlabelled cluster", float(share)))
        taken[members[:region_size]] = True
    density = 1.0 / np.maximum(distances.mean(axis=1), 1e-6)
    score = (1.0 - confidence) * density / density.max()
    score[~allowed] = -np.inf
    order = np.argsort(-score)
    for p in order:
        if len(out) >= n_regions or not np.isfinite(score[p]):
            break
        if taken[p]:
            continue
        region = _grow(int(p), neighbours, allowed & ~taken, region_size)
        taken[region] = True
        taken[neighbours[region].ravel()] = True
        out.append(Suggestion(region, "uncertain", float(score[region].mean())))
    return out
