"""cluster: torch k-means against scikit-learn, HDBSCAN on a map, the summary, errors."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits, make_blobs
from sklearn.metrics import adjusted_rand_score

import embedviz


def test_kmeans_finds_separated_blobs_and_matches_sklearn_inertia() -> None:
    X, truth = make_blobs(3000, centers=6, cluster_std=0.5, random_state=0)
    result = embedviz.cluster(X, n_clusters=6)
    assert result.labels.dtype == np.int32 and result.labels.shape == (3000,)
    assert adjusted_rand_score(truth, result.labels) == pytest.approx(1.0)
    digits = load_digits().data
    ours = embedviz.cluster(digits, n_clusters=10)
    inertia = ((digits - ours.centroids[ours.labels]) ** 2).sum()
    ref = KMeans(10, n_init=3, random_state=0).fit(digits).inertia_
    assert inertia <= ref * 1.02


def test_summary_is_consistent() -> None:
    X, _ = make_blobs(500, centers=4, random_state=1)
    result = embedviz.cluster(X, n_clusters=4)
    assert result.n_clusters == 4 and result.noise == 0
    assert result.sizes.sum() == 500
    for c in range(4):
        members = X[result.labels == c]
        np.testing.assert_allclose(result.centroids[c], members.mean(0), rtol=1e-4, atol=1e-4)
        ex = result.exemplars[c]
        assert result.labels[ex] == c
        dists = np.linalg.norm(members - result.centroids[c], axis=1)
        assert np.linalg.norm(X[ex] - result.centroids[c]) == pytest.approx(dists.min(), rel=1e-4)


def test_kmeans_is_reproducible_with_a_seed() -> None:
    X = np.random.default_rng(2).normal(size=(400, 3))
    a = embedviz.cluster(X, n_clusters=5, random_state=3, cache=False)
    b = embedviz.cluster(X, n_clusters=5, random_state=3, cache=False)
    assert np.array_equal(a.labels, b.labels)


def test_hdbscan_on_a_map_marks_noise() -> None:
    rng = np.random.default_rng(3)
    X, truth = make_blobs(900, centers=3, cluster_std=0.3, random_state=3)
    noise = rng.uniform(X.min(), X.max(), size=(60, 2))
    data = np.vstack([X, noise])
    result = embedviz.cluster(data, method="hdbscan", min_cluster_size=20)
    assert result.n_clusters == 3
    assert adjusted_rand_score(truth, result.labels[:900]) > 0.95
    assert result.noise > 0 and (result.labels[900:] == -1).mean() > 0.5
    assert result.sizes.sum() + result.noise == len(data)


@pytest.mark.parametrize("min_samples", [2, 5, 10])
def test_hdbscan_finds_the_same_clusters_and_noise_as_scikit_learn(min_samples: int) -> None:
    from sklearn.cluster import HDBSCAN

    rng = np.random.default_rng(7)
    X, _ = make_blobs(3000, centers=6, cluster_std=[0.2, 0.4, 0.8, 0.3, 1.0, 0.5], random_state=7)
    data = np.vstack([X, rng.uniform(X.min(), X.max(), size=(300, 2))])
    ours = embedviz.cluster(data, method="hdbscan", min_cluster_size=30, min_samples=min_samples,
                            cache=False)
    ref = HDBSCAN(min_cluster_size=30, min_samples=min_samples, copy=True).fit_predict(data)
    # Mutual-reachability distances tie often, so two exact spanning trees may differ and move
    # a border point or two in or out of the noise (1-2 of 3,300 here).
    assert ours.n_clusters == ref.max() + 1
    assert ((ours.labels < 0) != (ref < 0)).sum() <= 5
    assert adjusted_rand_score(ref, ours.labels) > 0.99


def test_bad_inputs_name_the_fix() -> None:
    X = np.random.default_rng(4).normal(size=(20, 2))
    with pytest.raises(ValueError, match="n_clusters<=20"):
        embedviz.cluster(X, n_clusters=30)
    with pytest.raises(ValueError, match="Unknown method"):
        embedviz.cluster(X, method="dbscan")
    bad = X.copy()
    bad[5, 1] = np.inf
    with pytest.raises(ValueError, match=r"rows \[5\]"):
        embedviz.cluster(bad, n_clusters=2)
    with pytest.warns(UserWarning, match="2-D map"):
        embedviz.cluster(np.random.default_rng(5).normal(size=(200, 32)), method="hdbscan")


@pytest.mark.gpu
def test_gpu_kmeans_matches_cpu() -> None:
    X, _ = make_blobs(20000, centers=8, cluster_std=0.5, random_state=0)
    gpu = embedviz.cluster(X, n_clusters=8, device="cuda", cache=False)
    cpu = embedviz.cluster(X, n_clusters=8, device="cpu", cache=False)
    assert adjusted_rand_score(gpu.labels, cpu.labels) > 0.99
