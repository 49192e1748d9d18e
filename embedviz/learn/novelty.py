"""Novelty (does a point belong to no labelled class?), label noise, and class discovery."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.stats import rankdata
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

from embedviz.learn.propagate import neighbour_vote


def label_noise(W: sp.csr_matrix, proba: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """For labelled points, 1 - the share of graph-neighbour votes for the given label."""
    vote = neighbour_vote(W, proba)
    noise = np.zeros(codes.shape[0], dtype=np.float32)
    idx = np.flatnonzero(codes >= 0)
    noise[idx] = 1.0 - vote[idx, codes[idx]]
    return np.clip(noise, 0.0, 1.0)


def _rank01(x: np.ndarray) -> np.ndarray:
    return ((rankdata(x) - 1) / max(x.size - 1, 1)).astype(np.float32)


def novelty_score(
    *,
    reach: np.ndarray,
    graph_conf: np.ndarray,
    prototype_sim: np.ndarray,
    labelled: np.ndarray,
) -> np.ndarray:
    """How unlike every labelled class a point is, in [0, 1].

    Averages two views by rank: the graph (1 - reachability x confidence of propagation: the
    labels reach it weakly or ambiguously) and the features (1 - cosine similarity to the
    nearest class prototype: unseen sub-clusters of a known class still point towards it).
    Labelled points get 0.
    """
    graph = 1.0 - reach * graph_conf
    feature = 1.0 - prototype_sim.max(axis=1)
    score = 0.5 * (_rank01(graph) + _rank01(feature))
    score[labelled] = 0.0
    return score.astype(np.float32)


def discover_classes(
    X: np.ndarray,
    novelty: np.ndarray,
    *,
    quantile: float = 0.75,
    max_classes: int = 8,
    min_size: int = 5,
    seed: int = 0,
    max_points: int = 5000,
) -> list[np.ndarray]:
    """Cluster the most novel points; the count is chosen by silhouette (2..max_classes).

    Returns index arrays (into X), most novel cluster first; [] if too few novel points.
    """
    cut = float(np.quantile(novelty, quantile))
    cand = np.flatnonzero(novelty >= cut)
    if cand.size < 2 * min_size:
        return []
    rng = np.random.default_rng(seed)
    fit_idx = cand if cand.size <= max_points else rng.choice(cand, max_points, replace=False)
    best: tuple[float, KMeans] | None = None
    for k in range(2, min(max_classes, fit_idx.size // min_size) + 1):
        km = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(X[fit_idx])
        s = float(silhouette_score(X[fit_idx], km.labels_, metric="cosine",
                                   sample_size=min(2000, fit_idx.size), random_state=seed))
        if best is None or s > best[0]:
            best = (s, km)
    if best is None:
        return [cand]
    assign = best[1].predict(X[cand])
    clusters = [cand[assign == j] for j in range(best[1].n_clusters)]
    clusters = [c for c in clusters if c.size >= min_size]
    clusters.sort(key=lambda c: -float(novelty[c].mean()))
    return clusters
