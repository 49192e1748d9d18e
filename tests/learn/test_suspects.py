"""Labels that look wrong: ``Retrainer.suspects()`` and the grouping behind it."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from embedviz.learn import Retrainer, SuspectGroup
from embedviz.learn.suspects import suspect_groups


@pytest.fixture(scope="module")
def two_kinds_of_mistake(lassoed):
    """The shared lassoed blobs (one class-0 point labelled 1 inside a class-1 lasso), plus
    a lasso of 6 class-0 points all labelled 2."""
    X, y, labels, groups, wrong = lassoed
    labels, groups = labels.copy(), groups.copy()
    lasso = np.flatnonzero((y == 0) & (labels < 0))[:6]
    labels[lasso] = 2
    groups[lasso] = groups.max() + 1
    model = Retrainer(adapter_steps=40, random_state=0).fit(X, labels, groups=groups)
    return model, labels, wrong, lasso


def test_wrong_labels_come_back_grouped_by_given_and_predicted_class(two_kinds_of_mistake):
    model, labels, wrong, lasso = two_kinds_of_mistake
    found = model.suspects()
    assert [(g.given, g.predicted) for g in found] == [(2, 0), (1, 0)]  # biggest group first
    assert sorted(found[0].indices.tolist()) == sorted(lasso.tolist())
    assert found[1].indices.tolist() == [wrong]
    for g in found:
        assert isinstance(g, SuspectGroup)
        assert (labels[g.indices] == g.given).all() and (model.nearest_[g.indices] == 0).all()
        assert np.all(np.diff(model.noise_[g.indices]) <= 0)       # most suspect first
        assert g.noise == pytest.approx(float(model.noise_[g.indices].mean()))
        assert g.noise >= 0.5
    flagged = np.concatenate([g.indices for g in found])
    assert labels[flagged].min() >= 0                              # labelled points only


def test_a_stricter_threshold_flags_fewer_and_bad_thresholds_say_the_range(two_kinds_of_mistake):
    model = two_kinds_of_mistake[0]
    loose = sum(g.indices.size for g in model.suspects(min_noise=0.0))
    strict = sum(g.indices.size for g in model.suspects(min_noise=0.99))
    assert strict <= sum(g.indices.size for g in model.suspects()) <= loose
    for bad in (-0.1, 1.5, "high", None, True):
        with pytest.raises(ValueError, match=r"min_noise is a score in \[0, 1\]"):
            model.suspects(min_noise=bad)
    with pytest.raises(NotFittedError, match="not fitted"):
        Retrainer().suspects()


def test_grouping_needs_disagreement_and_enough_noise():
    classes = np.array(["a", "b", "c"])
    codes = np.array([0, 0, 0, 1, 1, -1, 2, 0])
    predicted = np.array([1, 1, 0, 0, 1, 2, 0, 1])
    noise = np.array([0.6, 0.9, 0.95, 0.7, 0.2, 0.9, 0.4, 0.8], dtype=np.float32)
    found = suspect_groups(codes, predicted, noise, classes, min_noise=0.5)
    # point 2 agrees with its label, 4 agrees too, 5 is unlabelled, 6 is below the threshold
    assert [(g.given, g.predicted, g.indices.tolist()) for g in found] == [
        ("a", "b", [1, 7, 0]), ("b", "a", [3])]
    assert found[0].noise == pytest.approx((0.9 + 0.8 + 0.6) / 3)
    assert suspect_groups(codes, codes, noise, classes, min_noise=0.0) == []


def test_a_slipped_lasso_is_flagged_and_leaves_novelty_alone():
    """Digits: 105 zeros and 30 ones labelled, then 8 more ones given the zeros' key in a
    lasso of their own. Before MIN_FOLD_TRUST the fold that held out the zeros' lasso trained
    "zero" on the slip alone; its zeros, as the novelty reference, pulled every point's
    novelty under 0.5 (no grey point at all)."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    labels, groups = np.full(y.size, -1), np.full(y.size, -1)
    zeros, ones = np.flatnonzero(y == 0)[:105], np.flatnonzero(y == 1)
    labels[zeros], groups[zeros] = 0, 0
    labels[ones[:30]], groups[ones[:30]] = 1, 1
    slip = ones[30:38]
    labels[slip], groups[slip] = 0, 2
    X = X.astype(np.float32)
    model = Retrainer(adapter_steps=40, random_state=0).fit(X, labels, groups=groups)
    unlabelled = labels < 0
    assert (model.novelty_[unlabelled & (y >= 2)] >= 0.5).mean() > 0.8  # digits 2-9: grey
    clean = labels.copy()
    clean[slip] = -1
    before = Retrainer(adapter_steps=40, random_state=0).fit(X, clean, groups=groups)
    grey, grey_before = model.novelty_ >= 0.5, before.novelty_ >= 0.5
    assert (grey == grey_before)[unlabelled].mean() > 0.9     # the slip changes little grey
    assert [(g.given, g.predicted) for g in model.suspects()] == [(0, 1)]
    assert sorted(model.suspects()[0].indices.tolist()) == sorted(slip.tolist())
    # the real zeros are not suspect (their noise does rise, to 0.08-0.37: the fold that
    # held them out trained "zero" on the slip; see fitting.MIN_FOLD_TRUST)
    assert model.noise_[zeros].max() < 0.5
