"""reduce(sample=...): a UMAP of a sample with the other rows placed among it."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import make_blobs
from sklearn.manifold import trustworthiness

import embedviz
from embedviz.compute import reduce_scale
from embedviz.compute.reduce_scale import place_rows, sample_rows


def test_place_rows_weights_the_nearest_anchors() -> None:
    anchors = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float32)
    xy = np.array([[0, 0], [10, 0], [0, 10]], dtype=np.float32)
    queries = np.array([[1, 0.01, 0], [0.7, 0.7, 0]], dtype=np.float32)
    out = place_rows(queries, anchors, xy, k=2, metric="cosine", progress=False)
    assert np.linalg.norm(out[0] - xy[0]) < 1.0  # next to the anchor it points at
    assert out[1] == pytest.approx([5.0, 0.0], abs=1e-3)  # halfway between two equals


@pytest.mark.slow
def test_sampled_map_keeps_clusters_apart_and_is_trustworthy() -> None:
    X, y = make_blobs(6000, 32, centers=6, cluster_std=1.0, random_state=0)
    X = X.astype(np.float32)
    xy = embedviz.reduce(X, sample=1500, random_state=0, progress=False, cache=False)
    assert xy.shape == (6000, 2) and np.isfinite(xy).all()
    rows = np.random.default_rng(1).choice(6000, 1000, replace=False)
    assert trustworthiness(X[rows], xy[rows], n_neighbors=10) > 0.85
    centres = np.stack([xy[y == c].mean(0) for c in range(6)])
    spread = max(np.linalg.norm(xy[y == c] - centres[c], axis=1).mean() for c in range(6))
    gaps = [np.linalg.norm(centres[a] - centres[b]) for a in range(6) for b in range(a + 1, 6)]
    assert min(gaps) > spread  # placed rows land with their own cluster


def test_sample_choice_and_errors() -> None:
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    n_big = reduce_scale.AUTO_PLACE_FROM
    assert sample_rows("auto", n_big, cpu, None, None, None) == 50_000
    assert sample_rows("auto", n_big - 1, cpu, None, None, None) is None
    assert sample_rows("auto", 10 * n_big, cuda, None, None, None) is None
    assert sample_rows(1000, 5000, cpu, None, None, None) == 1000
    assert sample_rows(1000, 800, cpu, None, None, None) is None
    with pytest.raises(ValueError, match="positive int"):
        sample_rows("half", 5000, cpu, None, None, None)
    with pytest.raises(ValueError, match="cannot take knn="):
        sample_rows(100, 5000, cpu, None, np.zeros((5000, 2)), None)
    X = np.random.default_rng(0).normal(size=(100, 4)).astype(np.float32)
    with pytest.raises(ValueError, match="at least k \\+ 2"):
        embedviz.reduce(X, sample=10, progress=False)
