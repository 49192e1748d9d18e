"""Temporary: a cosine kNN graph with scikit-learn until ``embedviz.compute.knn`` lands.

Delete this module once ``embedviz.knn`` exists (``retrain.default_graph`` prefers it).
"""
from __future__ import annotations

import numpy as np
from sklearn.neighbors import NearestNeighbors

from embedviz.compute.knn_graph import KNNGraph


def knn_fallback(X: np.ndarray, k: int) -> KNNGraph:
    k = min(k, X.shape[0] - 1)
    nn = NearestNeighbors(n_neighbors=k + 1, metric="cosine", algorithm="brute").fit(X)
    dist, idx = nn.kneighbors(X)
    return KNNGraph(indices=idx[:, 1:].astype(np.int64),
                    distances=dist[:, 1:].astype(np.float32), metric="cosine")
