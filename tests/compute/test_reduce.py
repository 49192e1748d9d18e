"""reduce: umap-learn on the shared graph, warm start, semi-supervised, the torch UMAP, PCA."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.manifold import trustworthiness

import embedviz
from embedviz import settings
from embedviz.compute import reduce as reduce_module
from embedviz.compute.layout import align_to
from embedviz.compute.umap_torch import fuzzy_graph


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray, embedviz.KNNGraph]:
    X, y = load_digits(return_X_y=True)
    return X.astype(np.float32), y, embedviz.knn(X, k=15, progress=False, cache=False)


def _mean_displacement(a: np.ndarray, b: np.ndarray) -> float:
    """Mean distance moved, as a fraction of the map's diagonal."""
    return float(np.linalg.norm(a - b, axis=1).mean() / np.linalg.norm(a.max(0) - a.min(0)))


def _class_separation(xy: np.ndarray, labels: np.ndarray) -> float:
    """Mean within-class spread over mean distance between class centres (lower = apart)."""
    centres = np.stack([xy[labels == c].mean(0) for c in np.unique(labels)])
    within = np.mean([np.linalg.norm(xy[labels == c] - centres[i], axis=1).mean()
                      for i, c in enumerate(np.unique(labels))])
    between = np.linalg.norm(centres[:, None] - centres[None], axis=-1).sum() / (len(centres) ** 2 - len(centres))
    return float(within / between)


@pytest.fixture(scope="module")
def learn_layout(digits) -> np.ndarray:
    X, _, graph = digits
    return embedviz.reduce(X, knn=graph, method="umap-learn", random_state=0, n_epochs=200,
                           progress=False, cache=False)


def test_umap_learn_on_shared_graph_keeps_neighbourhoods(digits, learn_layout) -> None:
    X, _, _ = digits
    assert learn_layout.shape == (len(X), 2) and learn_layout.dtype == np.float32
    assert trustworthiness(X, learn_layout, n_neighbors=15) > 0.97


def test_warm_start_stays_close_to_init(digits, learn_layout) -> None:
    X, _, graph = digits
    moved = embedviz.reduce(X, knn=graph, method="umap-learn", init=learn_layout,
                            random_state=1, progress=False, cache=False)
    displacement = _mean_displacement(learn_layout, moved)
    print(f"umap-learn warm start: mean displacement {displacement:.4f} of the map diagonal")
    assert displacement < 0.08
    assert trustworthiness(X, moved, n_neighbors=15) > 0.97


def test_fuzzy_graph_matches_umap_learn(digits) -> None:
    from umap.umap_ import fuzzy_simplicial_set

    X, _, graph = digits
    n = graph.n
    idx = np.hstack([np.arange(n)[:, None], graph.indices])
    dist = np.hstack([np.zeros((n, 1), np.float32), graph.distances])
    ref, _, _ = fuzzy_simplicial_set(X, 16, 0, "cosine", knn_indices=idx, knn_dists=dist)
    rows, cols, w = fuzzy_graph(torch.from_numpy(graph.indices), torch.from_numpy(graph.distances))
    ours = np.zeros((n, n), np.float32)
    ours[rows.numpy(), cols.numpy()] = w.numpy()
    np.testing.assert_allclose(ours, ref.toarray(), atol=1e-4)


def test_torch_umap_quality_close_to_umap_learn(digits, learn_layout) -> None:
    X, _, graph = digits
    xy = embedviz.reduce(X, knn=graph, method="umap-torch", random_state=0, progress=False, cache=False)
    ours = trustworthiness(X, xy, n_neighbors=15)
    ref = trustworthiness(X, learn_layout, n_neighbors=15)
    print(f"trustworthiness: umap-torch {ours:.4f}, umap-learn {ref:.4f}")
    assert ours > ref - 0.01
    warm = embedviz.reduce(X, knn=graph, method="umap-torch", init=xy, random_state=1,
                           progress=False, cache=False)
    displacement = _mean_displacement(xy, warm)
    print(f"umap-torch warm start: mean displacement {displacement:.4f}")
    assert displacement < 0.08


def test_torch_umap_optimisation_same_with_points_as_rows_or_complex(digits) -> None:
    """The CPU holds points as complex numbers, CUDA as (n, 2) rows: both give the same map."""
    from embedviz.compute.reduce_torch import _initial_layout
    from embedviz.compute.umap_torch import find_ab_params, optimize_layout

    X, _, graph = digits
    rows, cols, w = fuzzy_graph(torch.from_numpy(graph.indices), torch.from_numpy(graph.distances))
    a, b = find_ab_params(1.0, 0.1)
    maps = []
    for packed in (True, False):
        gen = torch.Generator().manual_seed(0)
        start = _initial_layout(X, torch.device("cpu"), gen)
        xy = optimize_layout(start, rows, cols, w, n_epochs=60, a=a, b=b, generator=gen, packed=packed)
        assert xy.shape == (len(X), 2) and xy.dtype == torch.float32 and torch.isfinite(xy).all()
        maps.append(xy.numpy())
    np.testing.assert_allclose(maps[0], maps[1], rtol=1e-3, atol=1e-3)


def _label_purity(xy: np.ndarray, labels: np.ndarray, k: int = 10) -> float:
    """Share of each point's k nearest map neighbours that carry its label."""
    from sklearn.neighbors import NearestNeighbors

    idx = NearestNeighbors(n_neighbors=k + 1).fit(xy).kneighbors(xy, return_distance=False)
    return float((labels[idx[:, 1:]] == labels[:, None]).mean())


def _weak_classes() -> tuple[np.ndarray, np.ndarray, embedviz.KNNGraph]:
    """600 points in 16-d, two classes told apart only by a weak shift along one axis."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 16)).astype(np.float32)
    y_true = (rng.random(600) < 0.5).astype(int)
    X[:, 0] += 0.8 * y_true
    return X, y_true, embedviz.knn(X, k=15, progress=False, cache=False)


@pytest.mark.parametrize(("method", "seeds"), [("umap-learn", 4), ("umap-torch", 3)])
def test_semi_supervised_layout(method: str, seeds: int) -> None:
    """``y=`` pulls labelled classes together where the features barely do (data with a weak
    class signal: on digits the classes are apart already, and the gain is within the noise
    of the CPU's floating point). Share of labelled points' map neighbours with their label,
    plain -> with labels: umap-learn gains 0.009-0.073 (mean 0.046) over 4 seeds, the torch
    UMAP 0.49-0.55 -> 0.55-0.60 over 3."""
    X, y_true, graph = _weak_classes()
    gains = []
    for seed in range(seeds):
        y = np.where(np.random.default_rng(seed).random(len(X)) < 0.3, y_true, -1)
        kw = dict(knn=graph, method=method, random_state=seed, n_epochs=150,
                  progress=False, cache=False)
        plain, semi = embedviz.reduce(X, **kw), embedviz.reduce(X, y=y, **kw)
        seen = y >= 0
        gains.append(_label_purity(semi[seen], y[seen]) - _label_purity(plain[seen], y[seen]))
    assert min(gains) > 0 and np.mean(gains) > 0.03, gains


def test_pca_matches_sklearn_up_to_sign(digits) -> None:
    X, _, _ = digits
    xy = embedviz.reduce(X, method="pca", progress=False)
    ref = PCA(n_components=2).fit_transform(X)
    np.testing.assert_allclose(np.abs(xy), np.abs(ref), rtol=1e-3, atol=1e-2)
    assert np.array_equal(xy, embedviz.reduce(X, method="pca", progress=False, cache=False))


def test_align_to_recovers_scale_and_shift() -> None:
    ref = np.random.default_rng(0).normal(size=(100, 2)).astype(np.float32)
    np.testing.assert_allclose(align_to(ref * 3.0 + 7.0, ref), ref, atol=1e-5)


def test_reduce_computes_its_own_graph_when_none_given() -> None:
    X = np.random.default_rng(1).normal(size=(300, 8)).astype(np.float32)
    xy = embedviz.reduce(X, method="umap-torch", k=10, random_state=0, n_epochs=50,
                         progress=False)
    assert xy.shape == (300, 2) and np.isfinite(xy).all()


@pytest.mark.parametrize("cores", [1, 4])
def test_umap_on_the_cpu_picks_the_torch_layout_for_large_n(cores: int, monkeypatch) -> None:
    monkeypatch.setattr(settings, "detected_cores", lambda: cores)
    monkeypatch.delenv("EMBEDVIZ_THREADS", raising=False)
    monkeypatch.delenv("EMBEDVIZ_UMAP_TORCH_FROM", raising=False)
    X = np.random.default_rng(2).normal(size=(400, 8)).astype(np.float32)
    graph = embedviz.knn(X, k=10, progress=False, cache=False)
    opts = dict(knn=graph, device="cpu", n_epochs=30, progress=False, cache=False)
    small, info = embedviz.reduce(X, method="umap", random_state=0, return_info=True, **opts)
    assert (info.method, info.algorithm, info.n_points) == ("umap", "umap-learn", 400)
    np.testing.assert_array_equal(small, embedviz.reduce(X, method="umap-learn", random_state=0,
                                                         **opts))
    # the threshold counts the threads umap-learn would run on: one when seeded, else cores
    # (planned, not run: numba refuses more threads than the machine has)
    unseeded = reduce_module.choose_algorithm(len(X), device="cpu")
    assert unseeded.algorithm == "umap-learn"
    assert f"{10_000 * cores:,}" in unseeded.reason
    embedviz.config.umap_torch_from = 300
    large, info = embedviz.reduce(X, method="umap", random_state=0, return_info=True, **opts)
    assert info.algorithm == "umap-torch" and "300" in info.reason
    np.testing.assert_array_equal(large, embedviz.reduce(X, method="umap-torch", random_state=0,
                                                         **opts))
    # a forced choice holds above the threshold, and says so
    forced, info = embedviz.reduce(X, method="umap-learn", random_state=0, return_info=True,
                                   **opts)
    assert (info.method, info.algorithm) == ("umap-learn", "umap-learn")
    np.testing.assert_array_equal(forced, small)
    # warm start and semi-supervised layouts go the same way
    y = np.where(np.arange(len(X)) % 3 == 0, np.arange(len(X)) % 2, -1)
    warm, info = embedviz.reduce(X, method="umap", init=large, y=y, random_state=0,
                                 return_info=True, **opts)
    assert (info.algorithm, info.init) == ("umap-torch", "warm")
    np.testing.assert_array_equal(warm, embedviz.reduce(X, method="umap-torch", init=large, y=y,
                                                        random_state=0, **opts))
    assert np.isfinite(warm).all() and np.allclose(warm.mean(0), large.mean(0), atol=1e-3)


def test_reduce_reports_the_sample_and_a_cached_run_alike() -> None:
    X = np.random.default_rng(5).normal(size=(600, 8)).astype(np.float32)
    opts = dict(device="cpu", random_state=0, n_epochs=20, progress=False)
    xy, info = embedviz.reduce(X, method="umap-torch", sample=200, return_info=True, **opts)
    assert xy.shape == (600, 2)
    assert (info.algorithm, info.sample, info.n_points) == ("umap-torch", 200, 200)
    again, cached = embedviz.reduce(X, method="umap-torch", sample=200, return_info=True, **opts)
    np.testing.assert_array_equal(again, xy)
    assert cached == info
    _, pca = embedviz.reduce(X, method="pca", return_info=True, **opts)
    assert (pca.algorithm, pca.init, pca.sample) == ("pca", "none", None)


def test_bad_inputs_name_the_fix(digits) -> None:
    X, _, graph = digits
    with pytest.raises(ValueError, match="Unknown method"):
        embedviz.reduce(X, method="tsne")
    with pytest.raises(ValueError, match=r"init must have shape \(1797, 2\)"):
        embedviz.reduce(X, knn=graph, init=np.zeros((10, 2)))
    with pytest.raises(ValueError, match="same X"):
        embedviz.reduce(X[:100], knn=graph)
    with pytest.raises(TypeError, match="KNNGraph"):
        embedviz.reduce(X, knn=(graph.indices, graph.distances))
    with pytest.raises(TypeError, match="factorize"):
        embedviz.reduce(X, knn=graph, y=np.array(["a"] * len(X)))
    with pytest.raises(ValueError, match="recompute"):
        embedviz.reduce(X, knn=graph, k=30)


@pytest.fixture(scope="module")
def small() -> tuple[np.ndarray, embedviz.KNNGraph]:
    X = np.random.default_rng(3).normal(size=(200, 8)).astype(np.float32)
    return X, embedviz.knn(X, k=10, progress=False, cache=False)


@pytest.mark.parametrize("method", ["umap-learn", "umap-torch"])
@pytest.mark.parametrize(("init", "match"), [
    (np.zeros((200, 2)), "all its points are the same"),
    (np.full((200, 2), 5.0), "all its points are the same"),
    (np.c_[np.arange(200.0), np.zeros(200)], "column 1 is constant"),
    (np.where(np.arange(200)[:, None] == 7, np.nan, np.ones((200, 2)) * np.arange(200)[:, None]),
     r"rows \[7\]"),
])
def test_degenerate_init_is_refused_naming_the_fix(small, method, init, match) -> None:
    X, graph = small
    with pytest.raises(ValueError, match=f"{match}.*init=None"):
        embedviz.reduce(X, knn=graph, method=method, init=init, progress=False, cache=False)


def test_nan_layout_raises_and_is_not_cached(small, monkeypatch) -> None:
    X, graph = small
    monkeypatch.setattr(reduce_module, "_umap_learn",
                        lambda data, *a, **k: np.full((len(data), 2), np.nan, np.float32))
    for _ in range(2):  # a second call must not be served a stored NaN layout either
        with pytest.raises(ValueError, match="NaN or inf coordinates for 200 of 200"):
            embedviz.reduce(X, knn=graph, method="umap-learn", progress=False)


def test_every_method_maps_three_points_and_refuses_two() -> None:
    X = np.random.default_rng(4).normal(size=(3, 8)).astype(np.float32)
    for method in ("umap", "umap-learn", "umap-torch", "pca"):
        xy = embedviz.reduce(X, method=method, random_state=0, progress=False, cache=False)
        assert xy.shape == (3, 2) and np.isfinite(xy).all(), method
        with pytest.raises(ValueError, match="at least 3"):
            embedviz.reduce(X[:2], method=method, progress=False, cache=False)


@pytest.mark.gpu
def test_gpu_umap_torch(digits) -> None:
    X, _, graph = digits
    xy = embedviz.reduce(X, knn=graph, device="cuda", random_state=0, progress=False, cache=False)
    assert trustworthiness(X, xy, n_neighbors=15) > 0.97


def test_the_old_neighbour_keyword_still_works_and_names_the_new_one(small) -> None:
    X, graph = small
    opts = dict(knn=graph, method="umap-torch", random_state=0, n_epochs=20, progress=False,
                cache=False)
    with pytest.warns(FutureWarning, match=r"reduce\(k=\.\.\.\)"):
        old = embedviz.reduce(X, n_neighbors=5, **opts)
    np.testing.assert_array_equal(old, embedviz.reduce(X, k=5, **opts))
    with pytest.raises(TypeError, match="only k="):
        embedviz.reduce(X, k=5, n_neighbors=5, **opts)
