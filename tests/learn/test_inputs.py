"""Bad inputs give clear errors (or correct degenerate answers), never deep tracebacks."""
from __future__ import annotations

import numpy as np
import pytest

from embedviz.compute.knn_graph import KNNGraph
from embedviz.learn import Retrainer

from .conftest import make_blobs


@pytest.fixture(scope="module")
def data():
    X, y = make_blobs(n_per=30)
    labels = np.full(y.size, -1)
    labels[[0, 1, 2, 30, 31, 32, 60, 61, 62]] = y[[0, 1, 2, 30, 31, 32, 60, 61, 62]]
    return X, y, labels


def fit(X, labels, **kw):
    return Retrainer(method="propagate").fit(X, labels, **kw)


def test_no_labels(data):
    X, y, _ = data
    with pytest.raises(ValueError, match="no labelled points"):
        fit(X, np.full(y.size, -1))


def test_wrong_length(data):
    X, y, labels = data
    with pytest.raises(ValueError, match="one label per row"):
        fit(X, labels[:-1])


def test_nan_in_X(data):
    X, y, labels = data
    Xb = X.copy()
    Xb[5, 3] = np.nan
    with pytest.raises(ValueError, match=r"rows \[5\].*Drop these rows from X and their "
                                         r"entries from y") as err:
        fit(Xb, labels)
    assert "drop_invalid" not in str(err.value)  # not a Retrainer argument


def test_all_zero_row_in_X_names_the_fix(data):
    X, y, labels = data
    Xb = X.copy()
    Xb[7] = 0.0
    with pytest.raises(ValueError, match=r"all-zero row.*rows \[7\].*Drop these rows") as err:
        fit(Xb, labels)
    assert "metric=" not in str(err.value)


def test_labels_below_minus_one(data):
    X, y, labels = data
    bad = labels.copy()
    bad[10] = -2
    with pytest.raises(ValueError, match="only -1 means unlabelled"):
        fit(X, bad)


def test_string_labels_are_names_and_mixed_kinds_name_the_fix(data):
    X, y, labels = data
    # an integer array turned into strings: "-1" still marks the unlabelled rows
    model = fit(X, labels.astype(str))
    assert set(model.classes_) == {str(c) for c in np.unique(labels[labels >= 0])}
    mixed = labels.astype(object)
    mixed[np.flatnonzero(labels >= 0)[0]] = "a name"
    with pytest.raises(ValueError, match="mixes label kinds"):
        fit(X, mixed)
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        fit(X, labels + 0.5)


def test_unknown_method(data):
    X, y, labels = data
    with pytest.raises(ValueError, match="Unknown method"):
        Retrainer(method="magic").fit(X, labels)


def test_graph_of_other_data(data):
    X, y, labels = data
    g = KNNGraph(indices=np.zeros((5, 3), np.int64), distances=np.zeros((5, 3), np.float32))
    with pytest.raises(ValueError, match="same X"):
        fit(X, labels, knn=g)
    with pytest.raises(TypeError, match="KNNGraph"):
        fit(X, labels, knn=np.zeros((X.shape[0], 3)))


def test_groups_wrong_shape(data):
    X, y, labels = data
    with pytest.raises(ValueError, match="groups"):
        fit(X, labels, groups=np.zeros(3))


def test_not_fitted():
    from sklearn.exceptions import NotFittedError

    for call in (lambda m: m.predict(np.zeros((2, 3))), lambda m: m.discover(),
                 lambda m: m.refine_graph()):
        with pytest.raises(NotFittedError, match="fit"):
            call(Retrainer())


def test_predict_with_other_width(data):
    X, y, labels = data
    model = fit(X, labels)
    with pytest.raises(ValueError, match="features"):
        model.predict(np.ones((2, X.shape[1] + 1)))


def test_single_class_gives_that_class_plus_novelty(data):
    X, y, _ = data
    labels = np.full(y.size, -1)
    labels[:10] = 7
    model = Retrainer().fit(X, labels)
    assert set(model.nearest_) == {7}
    unl = labels < 0
    assert model.novelty_[unl & (y != 0)].mean() > model.novelty_[unl & (y == 0)].mean() + 0.3


def test_every_point_labelled(data):
    X, y, _ = data
    model = Retrainer(adapter_steps=20).fit(X, y)
    assert (model.nearest_ == y).mean() > 0.95
    assert model.suggest() == []


def test_labels_on_isolated_points(data):
    """Labels on outliers far from everything still give an answer for every point."""
    X, y, labels = data
    rng = np.random.default_rng(0)
    outliers = rng.normal(size=(4, X.shape[1])).astype(np.float32) * 10
    X2 = np.vstack([X, outliers])
    l2 = np.r_[labels, [0, 1, 2, -1]]
    model = Retrainer(adapter_steps=20).fit(X2, l2)
    assert model.nearest_.shape == (X2.shape[0],)
    assert np.isfinite(model.label_distributions_).all() and np.isfinite(model.novelty_).all()


@pytest.mark.parametrize(("params", "error", "match"), [
    ({"adapter_steps": 0}, ValueError, r"adapter_steps must be an integer >= 1; got 0"),
    ({"adapter_steps": -5}, ValueError, r"adapter_steps must be an integer >= 1"),
    ({"n_iter": 0}, ValueError, r"n_iter must be an integer >= 1; got 0"),
    ({"n_iter": -1}, ValueError, r"n_iter must be an integer >= 1"),
    ({"n_folds": 2.5}, TypeError, r"n_folds must be an integer >= 2; got float 2.5"),
    ({"n_folds": 1}, ValueError, r"n_folds must be an integer >= 2"),
    ({"k": 2.5}, TypeError, r"k must be an integer >= 1"),
    ({"alpha": "0.5"}, TypeError, r"alpha must be a number; got str '0.5'.*alpha=0.99"),
    ({"alpha": 1.0}, ValueError, r"alpha must lie in \(0, 1\)"),
    ({"alpha": float("nan")}, ValueError, r"alpha must lie in \(0, 1\)"),
    ({"refine_weight": None}, TypeError, r"refine_weight must be a number"),
    ({"random_state": -1}, ValueError, r"random_state must be an integer >= 0"),
    ({"random_state": 0.5}, TypeError, r"random_state must be an integer >= 0"),
])
def test_bad_parameters_name_the_fix(data, params, error, match):
    X, y, labels = data
    with pytest.raises(error, match=match):
        Retrainer(method="propagate", **params).fit(X, labels)
    with pytest.raises(error, match=match):  # before the background thread starts
        Retrainer(method="propagate", **params).fit_async(X, labels)


def test_integer_parameters_take_numpy_integers_but_not_bools(data):
    X, y, labels = data
    model = Retrainer(method="propagate", k=np.int64(10), n_iter=np.int32(10),
                      n_folds=np.int64(3), alpha=np.float32(0.9),
                      random_state=np.int64(1)).fit(X, labels)
    assert model.nearest_.shape == y.shape
    with pytest.raises(TypeError, match=r"n_iter must be an integer >= 1; got bool True"):
        Retrainer(method="propagate", n_iter=True).fit(X, labels)


@pytest.mark.parametrize(("bad", "dtype"), [(-1, np.int64), (-1.0, float), (2.5, float)])
def test_groups_of_labelled_points_are_non_negative_integers(data, bad, dtype):
    """-1 as int or float, fractions and NaN are refused alike, naming the row and the fix."""
    X, y, labels = data
    groups = np.where(labels >= 0, np.arange(y.size) // 3, -1).astype(dtype)
    groups[30] = bad  # a labelled row
    with pytest.raises(ValueError, match=r"labelled row 30.*lasso ids must be non-negative integers"):
        fit(X, labels, groups=groups)


def test_groups_may_hold_nan_for_unlabelled_rows_only(data):
    X, y, labels = data
    ids = np.arange(y.size) // 3
    by_int = fit(X, labels, groups=np.where(labels >= 0, ids, -1))
    groups = np.where(labels >= 0, ids, np.nan)
    np.testing.assert_array_equal(fit(X, labels, groups=groups).label_distributions_,
                                  by_int.label_distributions_)
    groups[0] = np.nan  # a labelled row
    with pytest.raises(ValueError, match=r"groups holds nan for the labelled row 0"):
        fit(X, labels, groups=groups)


def test_named_lassos_are_groups_and_a_missing_name_names_the_fix(data):
    X, y, labels = data
    names = np.where(labels >= 0, np.array([f"lasso-{c}" for c in labels], dtype=object), None)
    from embedviz.learn._inputs import check_groups
    as_ints = check_groups(names, labels)
    assert (as_ints[labels < 0] == -1).all()
    assert len(np.unique(as_ints[labels >= 0])) == len(np.unique(labels[labels >= 0]))
    names[np.flatnonzero(labels >= 0)[0]] = None
    with pytest.raises(ValueError, match=r"no lasso id \(None or NaN\).*names"):
        fit(X, labels, groups=names)
