"""knn: exactness against scikit-learn's brute force, self-exclusion, approx recall, errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.neighbors import NearestNeighbors

import embedviz
from embedviz.compute.knn import _drop_self, measure_recall
from embedviz.compute.knn_exact import exact_knn, prepare


def _sklearn_knn(X: np.ndarray, k: int, metric: str) -> tuple[np.ndarray, np.ndarray]:
    nn = NearestNeighbors(n_neighbors=k + 1, metric=metric, algorithm="brute").fit(X)
    dist, idx = nn.kneighbors(X)
    return idx[:, 1:], dist[:, 1:]


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_exact_matches_sklearn_brute_force(metric: str) -> None:
    X = np.random.default_rng(0).normal(size=(1500, 24)).astype(np.float32)
    graph = embedviz.knn(X, k=10, metric=metric, progress=False)
    ref_idx, ref_dist = _sklearn_knn(X, 10, metric)
    recall = np.mean([np.intersect1d(a, b).size / 10 for a, b in zip(graph.indices, ref_idx)])
    assert recall == 1.0
    np.testing.assert_allclose(graph.distances, ref_dist, atol=1e-5)
    assert graph.exact and graph.recall is None and graph.metric == metric
    assert graph.indices.dtype == np.int64 and graph.distances.dtype == np.float32
    assert graph.indices.shape == (1500, 10)


def test_digits_distances_match_and_self_excluded() -> None:
    X = load_digits().data
    graph = embedviz.knn(X, k=15, progress=False)
    _, ref_dist = _sklearn_knn(X, 15, "cosine")
    np.testing.assert_allclose(graph.distances, ref_dist, atol=1e-5)  # ties may swap ids
    assert not (graph.indices == np.arange(len(X))[:, None]).any()
    assert (np.diff(graph.distances, axis=1) >= 0).all()


def test_tiling_gives_the_same_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    import embedviz.compute.knn_exact as ke

    X = torch.from_numpy(np.random.default_rng(1).normal(size=(700, 8)).astype(np.float32))
    data = prepare(X, "cosine")
    whole_idx, whole_dist = exact_knn(data, 7, "cosine")
    monkeypatch.setattr(ke, "_MAX_TILE_COLUMNS", 64)
    monkeypatch.setattr(ke, "_CPU_SCORE_ELEMENTS", 64 * 50)  # 50-row blocks x 64-column tiles
    tiled_idx, tiled_dist = exact_knn(data, 7, "cosine")
    assert torch.equal(whole_idx, tiled_idx)
    assert torch.allclose(whole_dist, tiled_dist)


def test_duplicate_points_never_list_themselves() -> None:
    X = np.repeat(np.random.default_rng(2).normal(size=(50, 4)), 3, axis=0).astype(np.float32)
    graph = embedviz.knn(X, k=4, metric="euclidean", progress=False)
    assert not (graph.indices == np.arange(len(X))[:, None]).any()
    np.testing.assert_allclose(graph.distances[:, :2], 0.0, atol=1e-5)  # the two copies


def test_approx_reports_measured_recall() -> None:
    X = np.random.default_rng(3).normal(size=(2000, 16)).astype(np.float32)
    graph = embedviz.knn(X, k=10, method="approx", progress=False, recall_sample=300)
    assert not graph.exact
    assert graph.recall is not None and 0.9 <= graph.recall <= 1.0
    assert graph.recall == pytest.approx(measure_recall(X, graph.indices, sample=300))
    assert not (graph.indices == np.arange(len(X))[:, None]).any()


def test_drop_self_handles_missing_and_repeated_self() -> None:
    idx = np.array([[0, 5, 6, 4], [7, 8, 9, 3], [2, 2, 4, 5]])
    dist = np.array([[0.0, 0.1, 0.2, 0.3], [0.1, 0.2, 0.3, 0.4], [0.0, 0.0, 0.1, 0.2]], dtype=np.float32)
    out_idx, out_dist = _drop_self(idx, dist, 2)
    assert out_idx.tolist() == [[5, 6], [7, 8], [4, 5]]
    np.testing.assert_allclose(out_dist, [[0.1, 0.2], [0.1, 0.2], [0.1, 0.2]])


def test_to_sparse_round_trip() -> None:
    X = np.random.default_rng(4).normal(size=(100, 5))
    graph = embedviz.knn(X, k=5, progress=False)
    S = graph.to_sparse(weights="similarity")
    assert S.shape == (100, 100) and S.nnz == 500
    row = S.getrow(0)
    assert set(row.indices) == set(graph.indices[0])


def test_bad_inputs_name_the_fix() -> None:
    X = np.random.default_rng(5).normal(size=(30, 4))
    with pytest.raises(ValueError, match="smaller k"):
        embedviz.knn(X[:10], k=10, progress=False)
    bad = X.copy()
    bad[[3, 7]] = np.nan
    with pytest.raises(ValueError, match=r"2 row\(s\).*\[3, 7\].*drop_invalid=True"):
        embedviz.knn(bad, k=5, progress=False)
    with pytest.warns(UserWarning, match="Dropped 2"):
        graph = embedviz.knn(bad, k=5, progress=False, drop_invalid=True)
    assert graph.n == 28
    zero = X.copy()
    zero[4] = 0
    with pytest.raises(ValueError, match="all-zero.*metric='euclidean'"):
        embedviz.knn(zero, k=5, progress=False)
    assert embedviz.knn(zero, k=5, metric="euclidean", progress=False).n == 30
    with pytest.raises(TypeError, match="numbers are expected"):
        embedviz.knn(np.array([["a", "b"], ["c", "d"]]), k=1, progress=False)
    with pytest.raises(ValueError, match="Unknown metric"):
        embedviz.knn(X, metric="manhattan", progress=False)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised without CUDA")
def test_cuda_without_cuda_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="device='auto'"):
        embedviz.knn(np.ones((20, 3)), k=3, device="cuda", progress=False)


@pytest.mark.gpu
def test_gpu_exact_matches_cpu() -> None:
    X = np.random.default_rng(6).normal(size=(5000, 64)).astype(np.float32)
    for metric in ("cosine", "euclidean"):
        gpu = embedviz.knn(X, k=15, metric=metric, device="cuda", progress=False, cache=False)
        cpu = embedviz.knn(X, k=15, metric=metric, device="cpu", progress=False, cache=False)
        assert (gpu.indices == cpu.indices).mean() > 0.999
        np.testing.assert_allclose(gpu.distances, cpu.distances, atol=1e-4)
