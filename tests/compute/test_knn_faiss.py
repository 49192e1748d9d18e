"""knn(method="faiss"): recall against exact, index choice from n and d, errors and warnings."""
from __future__ import annotations

import builtins
from typing import Any

import numpy as np
import pytest
import torch
from sklearn.datasets import make_blobs
from sklearn.neighbors import NearestNeighbors

import embedviz
from embedviz.compute import knn as knn_module
from embedviz.compute import knn_faiss
from embedviz.compute.knn_faiss import plan_index

pytest.importorskip("faiss")


def _blobs(n: int, d: int, seed: int = 0) -> np.ndarray:
    X, _ = make_blobs(n, d, centers=max(4, n // 1000), cluster_std=3.0, random_state=seed)
    return X.astype(np.float32)


def _sklearn_recall(X: np.ndarray, indices: np.ndarray, rows: np.ndarray, metric: str) -> float:
    k = indices.shape[1]
    nn = NearestNeighbors(n_neighbors=k + 1, metric=metric, algorithm="brute").fit(X)
    _, ref = nn.kneighbors(X[rows])
    return float(np.mean([np.intersect1d(a[a != r], indices[r]).size / k
                          for a, r in zip(ref, rows, strict=True)]))


@pytest.mark.slow
@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_recall_against_exact_on_20k_points(metric: str) -> None:
    X = _blobs(20_000, 48)
    graph = embedviz.knn(X, k=10, metric=metric, method="faiss", recall_sample=400,
                         progress=False, cache=False)
    assert not graph.exact and graph.indices.shape == (20_000, 10)
    assert not (graph.indices == np.arange(len(X))[:, None]).any()
    rows = np.random.default_rng(5).choice(len(X), 300, replace=False)
    measured = _sklearn_recall(X, graph.indices, rows, metric)
    assert graph.recall is not None and graph.recall >= 0.9
    assert measured >= 0.9 and abs(measured - graph.recall) < 0.05
    # the distances are the true ones for the neighbours found, sorted nearest first
    a, b = X[rows][:, None, :], X[graph.indices[rows]]
    if metric == "cosine":
        cos = (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
        true = 1.0 - cos
    else:
        true = np.linalg.norm(a - b, axis=-1)
    np.testing.assert_allclose(graph.distances[rows], true, atol=2e-4, rtol=1e-4)
    assert (np.diff(graph.distances, axis=1) >= -1e-6).all()


@pytest.mark.parametrize("index", ["hnsw", "ivf"])
def test_each_index_reports_the_recall_measure_recall_gives(index: str) -> None:
    X = _blobs(3000, 16, seed=1)
    graph = embedviz.knn(X, k=8, method="faiss", faiss_options={"index": index},
                         recall_sample=300, progress=False, cache=False)
    assert graph.recall == pytest.approx(knn_module.measure_recall(X, graph.indices, sample=300))
    assert graph.recall >= 0.9


def test_auto_index_choice_follows_the_documented_rule() -> None:
    small = plan_index(knn_faiss.HNSW_MAX_ROWS, 384, 15)
    assert small.index == "hnsw" and small.M == 32 and small.ef_search == 64
    assert plan_index(5000, 32, 30).M == 16 and plan_index(5000, 32, 30).ef_search == 120
    big = plan_index(1_000_000, 384, 15)
    assert big.index == "ivf" and big.nlist == 4000 and big.nprobe == 62
    assert big.train_size == 160_000
    mid = plan_index(knn_faiss.HNSW_MAX_ROWS + 1, 384, 15)
    assert mid.index == "ivf" and mid.nprobe == 8 and mid.train_size <= mid.nlist * 40
    forced = plan_index(1_000_000, 384, 15, {"index": "hnsw", "ef_search": 300, "threads": 3})
    assert (forced.index, forced.ef_search, forced.threads) == ("hnsw", 300, 3)
    assert plan_index(100, 8, 5).threads == knn_faiss.machine_threads()


def test_knn_auto_picks_by_n_d_and_device(monkeypatch: pytest.MonkeyPatch) -> None:
    from embedviz.settings import config

    config.cpu_macs_per_s = 4e10  # a CPU of known speed: the rule, not the test CPU's load
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert knn_module.choose_method("auto", 20_000, 384, cpu) == "exact"
    assert knn_module.choose_method("auto", 1_000_000, 384, cpu) == "faiss"
    assert knn_module.choose_method("auto", 1_000_000, 384, cuda) == "exact"
    assert knn_module.choose_method("auto", 200_000, 8, cpu) == "exact"  # small d: cheap
    monkeypatch.setattr(knn_faiss, "faiss_available", lambda: False)
    assert knn_module.choose_method("auto", 1_000_000, 384, cpu) == "approx"
    assert knn_module.choose_method("nndescent", 10, 4, cpu) == "approx"


def test_low_recall_warns_with_the_measure_and_the_fix() -> None:
    X = _blobs(4000, 64, seed=2)
    with pytest.warns(UserWarning, match=r"found 0\.\d+ of the exact 10 neighbours.*"
                                         r"'ef_search': 4\} \(now 2\)"):
        graph = embedviz.knn(X, k=10, method="faiss", recall_sample=200, progress=False,
                             faiss_options={"index": "hnsw", "ef_search": 2, "M": 4,
                                            "ef_construction": 4, "recall_floor": 0.99},
                             cache=False)
    assert graph.recall is not None and graph.recall < 0.99


def test_tuning_raises_nprobe_until_the_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    X = _blobs(6000, 32, seed=3)
    opts = {"index": "ivf", "nlist": 128, "recall_floor": 0.95}
    start = plan_index(6000, 32, 10, opts).nprobe
    with pytest.warns(UserWarning, match="below recall_floor"):
        fixed = knn_faiss.faiss_knn(X, 10, options={**opts, "nprobe": start},
                                    recall_sample=300, progress=False)
    seen: list[int] = []
    real = knn_faiss._search_all
    monkeypatch.setattr(knn_faiss, "_search_all",
                        lambda index, *a: seen.append(index.nprobe) or real(index, *a))
    tuned = knn_faiss.faiss_knn(X, 10, options=opts, recall_sample=300, progress=False)
    assert fixed.recall is not None and fixed.recall < 0.95
    assert seen and seen[0] > start and tuned.recall is not None and tuned.recall >= 0.95


def test_threads_are_set_and_restored() -> None:
    import faiss

    before = faiss.omp_get_max_threads()
    seen: list[int] = []
    with knn_faiss.omp_threads(faiss, 1):
        seen.append(faiss.omp_get_max_threads())
    assert seen == [1] and faiss.omp_get_max_threads() == before


def test_bad_options_are_refused() -> None:
    X = _blobs(500, 8)
    with pytest.raises(ValueError, match="Unknown faiss option"):
        embedviz.knn(X, k=5, method="faiss", faiss_options={"efsearch": 10}, progress=False)
    with pytest.raises(ValueError, match="Unknown faiss index"):
        embedviz.knn(X, k=5, method="faiss", faiss_options={"index": "pq"}, progress=False)
    with pytest.raises(ValueError, match="positive integer"):
        embedviz.knn(X, k=5, method="faiss", faiss_options={"nprobe": 0}, progress=False)


def test_missing_faiss_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_faiss(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "faiss":
            raise ImportError("No module named 'faiss'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_faiss)
    with pytest.raises(ImportError, match=r"pip install 'embedviz\[faiss\]'"):
        embedviz.knn(_blobs(300, 8), k=5, method="faiss", progress=False)
