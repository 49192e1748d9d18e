"""Behaviour of Retrainer on small seeded data (no timing)."""
from __future__ import annotations

import numpy as np
import pytest

import embedviz
from embedviz.learn import Retrainer

from .conftest import make_blobs


@pytest.fixture(scope="module")
def fitted(lassoed):
    X, y, labels, groups, wrong = lassoed
    model = Retrainer(adapter_steps=40, random_state=0).fit(X, labels, groups=groups)
    return model, lassoed


def test_public_name_is_the_learn_class():
    assert embedviz.Retrainer is Retrainer


def test_lassoed_classes_are_recovered(fitted):
    model, (X, y, labels, groups, wrong) = fitted
    test = (labels < 0) & (y < 3)
    assert (model.nearest_[test] == y[test]).mean() > 0.95
    assert model.label_distributions_.shape == (X.shape[0], 3)
    np.testing.assert_allclose(model.label_distributions_.sum(axis=1), 1.0, atol=1e-4)
    np.testing.assert_array_equal(model.classes_, [0, 1, 2])
    np.testing.assert_allclose(model.confidence_, model.label_distributions_.max(axis=1)
                               * (1.0 - model.novelty_), rtol=1e-5)


def test_unlassoed_class_gets_high_novelty(fitted):
    model, (X, y, labels, groups, wrong) = fitted
    unl = labels < 0
    novel, known = model.novelty_[unl & (y == 3)], model.novelty_[unl & (y < 3)]
    # every novel point is more novel than the typical known one; the bulk is well apart
    assert np.median(novel) > np.quantile(known, 0.95)


def test_novelty_is_a_probability_that_separates_at_one_half(fitted):
    """Novelty is a probability (fitted on leave-one-class-out trials, then smoothed over
    the graph): points of lassoed classes sit below 0.5, the unlassoed class above."""
    model, (X, y, labels, groups, wrong) = fitted
    unl = labels < 0
    assert (model.novelty_[unl & (y < 3)] >= 0.5).mean() < 0.1
    assert (model.novelty_[unl & (y == 3)] >= 0.5).mean() > 0.9
    assert model.novelty_.min() >= 0.0 and model.novelty_.max() <= 1.0
    assert np.all(model.novelty_[labels >= 0] == 0)


@pytest.mark.parametrize("lassos_per_class, most_flagged", [(1, 0.35), (2, 0.05)])
def test_few_points_look_novel_when_every_class_is_lassoed(lassos_per_class, most_flagged):
    """Digits, 15-point lassos, every class lassoed: 14 % (one lasso per class) and 0 %
    (two) of the other points reach 0.5, where 87 % and 92 % are predicted right. Ranks over
    all points put 46 % and 28 % there."""
    from sklearn.datasets import load_digits
    from sklearn.neighbors import NearestNeighbors

    X, y = load_digits(return_X_y=True)
    X = X.astype(np.float32)
    balls = NearestNeighbors(n_neighbors=15).fit(X)
    rng = np.random.default_rng(0)
    labels, groups = np.full(y.shape[0], -1), np.full(y.shape[0], -1)
    for lasso in range(10 * lassos_per_class):
        c = lasso // lassos_per_class
        seed = rng.choice(np.flatnonzero((y == c) & (labels < 0)))
        ball = balls.kneighbors(X[seed:seed + 1])[1][0]
        labels[ball], groups[ball] = c, lasso
    model = Retrainer(adapter_steps=40, random_state=0).fit(X, labels, groups=groups)
    assert (model.novelty_[labels < 0] >= 0.5).mean() < most_flagged


def test_mislabelled_point_in_a_lasso_gets_high_noise(fitted):
    model, (X, y, labels, groups, wrong) = fitted
    others = np.flatnonzero((labels >= 0) & (np.arange(len(y)) != wrong))
    assert model.noise_[wrong] > 0.5
    assert model.noise_[wrong] > model.noise_[others].max()
    assert model.nearest_[wrong] == 0  # and the prediction corrects it
    assert np.all(model.noise_[labels < 0] == 0)


def test_predict_new_points_through_the_head(fitted):
    model, (X, y, labels, groups, wrong) = fitted
    Xn, yn = make_blobs(seed=0, n_per=80)  # same centres, same seed -> same classes
    rng = np.random.default_rng(5)
    Xn = Xn + 0.05 * rng.normal(size=Xn.shape).astype(np.float32)
    known = yn < 3
    assert (model.predict(Xn[known]) == yn[known]).mean() > 0.95
    p = model.predict_proba(Xn[:7])
    assert p.shape == (7, 3)
    np.testing.assert_allclose(p.sum(1), 1.0, atol=1e-4)


def test_transform_keeps_structure_and_separates_classes(fitted):
    model, (X, y, labels, groups, wrong) = fitted
    Z = model.transform(X)
    assert Z.shape[0] == X.shape[0] and Z.shape[1] == X.shape[1] + 3
    Zn = Z / np.linalg.norm(Z, axis=1, keepdims=True)
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    sim_z, sim_x = Zn @ Zn.T, Xn @ Xn.T
    same = y[:, None] == y[None, :]
    known = (y[:, None] < 3) & (y[None, :] < 3)
    gap_z = sim_z[same & known].mean() - sim_z[~same & known].mean()
    gap_x = sim_x[same & known].mean() - sim_x[~same & known].mean()
    assert gap_z > gap_x  # classes pulled apart ...
    i = np.flatnonzero(y == 0)
    corr = np.corrcoef(sim_z[np.ix_(i, i)].ravel(), sim_x[np.ix_(i, i)].ravel())[0, 1]
    assert corr > 0.9  # ... while the structure inside a class is kept


def test_refine_graph_reweights_the_shared_graph_like_transform(fitted):
    model, (X, y, labels, groups, wrong) = fitted
    shared = model._graph
    g = model.refine_graph()
    assert g.indices.shape == shared.indices.shape
    # the same neighbours, no new search ...
    assert (np.sort(g.indices, axis=1) == np.sort(shared.indices, axis=1)).all()
    assert (np.diff(g.distances, axis=1) >= 0).all()
    # ... at the distances transform() gives them
    Z = model.transform(X)
    i, j = 7, int(g.indices[7, 3])
    assert np.isclose(g.distances[7, 3], 1.0 - Z[i] @ Z[j], atol=1e-4)
    # edges between classes lengthen more than edges within one
    same = y[g.indices] == y[:, None]
    cross = g.distances[~same].mean() - shared.distances[y[shared.indices] != y[:, None]].mean()
    within = g.distances[same].mean() - shared.distances[y[shared.indices] == y[:, None]].mean()
    assert cross > within


def test_refine_graph_on_a_euclidean_graph_measures_cosine_like_transform(lassoed):
    X, y, labels, groups, wrong = lassoed
    graph = embedviz.knn(X, k=10, metric="euclidean", progress=False, cache=False)
    model = Retrainer(adapter_steps=20).fit(X, labels, knn=graph, groups=groups)
    g = model.refine_graph()
    Z = model.transform(X)
    expected = 1.0 - np.einsum("ikd,id->ik", Z[g.indices], Z)
    assert g.metric == "cosine"
    assert np.allclose(g.distances, expected, atol=1e-4)


def test_discover_finds_the_unlassoed_class(fitted):
    model, (X, y, labels, groups, wrong) = fitted
    found = model.discover()
    assert found, "expected at least one candidate class"
    top = found[0].indices
    assert (y[top] == 3).mean() > 0.8
    assert found[0].novelty == pytest.approx(model.novelty_[top].mean())
    assert all((model.novelty_[c.indices] >= 0.5).all() for c in found)  # no label fits
    with pytest.raises(ValueError, match="min_novelty is a probability"):
        model.discover(min_novelty=75)
    with pytest.raises(ValueError, match="must be positive integers"):
        model.discover(min_size=0)
    one = model.discover(max_classes=1)                 # degenerate: every novel point, one group
    assert len(one) == 1 and (model.novelty_[one[0].indices] >= 0.5).all()


def test_discover_finds_nothing_when_every_class_is_lassoed():
    X, y = make_blobs(seed=2)
    rng = np.random.default_rng(2)
    labels, groups = np.full(y.shape[0], -1), np.full(y.shape[0], -1)
    for c in range(4):
        idx = rng.permutation(np.flatnonzero(y == c))
        labels[idx[:30]], groups[idx[:15]], groups[idx[15:30]] = c, 2 * c, 2 * c + 1
    model = Retrainer(adapter_steps=40, random_state=0).fit(X, labels, groups=groups)
    assert model.discover() == []


def test_suggest_points_at_the_unlabelled_class(fitted):
    model, (X, y, labels, groups, wrong) = fitted
    regions = model.suggest(n_regions=4, region_size=20)
    assert 1 <= len(regions) <= 4
    assert all((labels[r.indices] < 0).all() for r in regions)
    clusters = [r for r in regions if r.reason == "unlabelled cluster"]
    assert clusters and (y[clusters[0].indices] == 3).mean() > 0.8
    flat = np.concatenate([r.indices for r in regions])
    assert flat.size == np.unique(flat).size  # regions do not overlap


@pytest.mark.parametrize("method", ["propagate", "distill", "linear", "prototype", "adapter"])
def test_each_method_recovers_the_classes(lassoed, method):
    X, y, labels, groups, wrong = lassoed
    model = Retrainer(method=method, adapter_steps=60).fit(X, labels, groups=groups)
    test = (labels < 0) & (y < 3)
    assert (model.nearest_[test] == y[test]).mean() > 0.9
    assert model.method_ == method


@pytest.mark.parametrize("lassoed_subs", [(0, 1), (0,)], ids=["two-lassos", "one-lasso"])
def test_subclusters_unreached_by_the_graph_go_to_the_linear_side(lassoed_subs):
    """Classes made of separate sub-clusters, some lassoed: auto must not stay with the
    graph, which cannot reach the other sub-clusters. With one lasso per class CV only has
    halves of lassos, which all lie where the graph reaches."""
    rng = np.random.default_rng(3)
    d = 32
    X, y, sub = [], [], []
    for c in range(3):
        mu = rng.normal(size=d)
        mu /= np.linalg.norm(mu)
        for s in range(3):
            v = rng.normal(size=d)
            centre = 0.6 * mu + 0.8 * v / np.linalg.norm(v)
            X.append(centre + 0.03 * rng.normal(size=(40, d)))
            y += [c] * 40
            sub += [3 * c + s] * 40
    X, y, sub = np.vstack(X).astype(np.float32), np.array(y), np.array(sub)
    labels = np.full(y.size, -1)
    groups = np.full(y.size, -1)
    for c in range(3):
        for s in lassoed_subs:  # the other sub-clusters are never lassoed
            rows = np.flatnonzero(sub == 3 * c + s)[:20]
            labels[rows], groups[rows] = c, 3 * c + s
    model = Retrainer(adapter_steps=40).fit(X, labels, groups=groups)
    unseen = ~np.isin(sub % 3, lassoed_subs)
    assert (model.nearest_[unseen] == y[unseen]).mean() > 0.9
    graph_only = Retrainer(method="propagate").fit(X, labels, groups=groups)
    assert (graph_only.nearest_[unseen] == y[unseen]).mean() < 0.7  # the regime auto must fix


def test_adapter_trains_step_by_step_when_graph_capture_fails(monkeypatch):
    """A GPU or torch build that cannot capture CUDA graphs still gets a trained adapter."""
    from embedviz.learn import adapter as adapter_module

    def capture_fails(self, tick):
        raise RuntimeError("operation not permitted when stream is capturing")

    monkeypatch.setattr(adapter_module, "graphs_usable", lambda device: True)
    monkeypatch.setattr(adapter_module._StackTraining, "replay", capture_fails)
    X, y = make_blobs(n_per=60)
    labels = np.where(np.arange(y.size) % 10 == 0, y, -1)
    with pytest.warns(RuntimeWarning, match="CUDA graph"):
        model = Retrainer(method="adapter", device="cpu").fit(X, labels)
    test = labels < 0
    assert (model.nearest_[test] == y[test]).mean() > 0.95


def test_labelled_points_keep_their_label_when_too_few_lassos_to_cross_validate():
    """Two labels per class on 10 points: no fold can be held out. Propagation alone is
    near-uniform on so small a graph (it gave all four labelled points class 1); the
    equal blend with the heads keeps each given label."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 16)).astype(np.float32)
    y = np.array([0, 0, 1, 1] + [-1] * 6)
    model = Retrainer().fit(X, y)
    assert "propagate" in model.method_ and "prototype" in model.method_
    assert model.nearest_[:4].tolist() == [0, 0, 1, 1]
