"""What the Retrainer says per point agrees with itself: a label is missing exactly where no
labelled class fits, confidence and novelty cannot both be high, one threshold rules."""
from __future__ import annotations

import numpy as np
import pytest

from embedviz.learn import Retrainer
from embedviz.learn.retrain import NOVELTY_THRESHOLD


@pytest.fixture(scope="module")
def fitted(lassoed):
    X, y, labels, groups, wrong = lassoed
    return Retrainer(adapter_steps=40, random_state=0).fit(X, labels, groups=groups), lassoed


def test_label_is_missing_exactly_where_no_label_fits(fitted):
    model, (X, y, labels, groups, wrong) = fitted
    novel = model.novelty_ >= NOVELTY_THRESHOLD
    assert novel.any() and (~novel).any()
    np.testing.assert_array_equal(model.transduction_ == -1, novel)
    np.testing.assert_array_equal(model.transduction_[~novel], model.nearest_[~novel])
    assert (model.nearest_ >= 0).all()  # the closest label is always there
    assert (model.transduction_[y == 3] == -1).mean() > 0.9  # the unlassoed class


def test_confidence_and_novelty_cannot_contradict(fitted):
    model, _ = fitted
    assert (model.confidence_ + model.novelty_ <= 1.0 + 1e-6).all()
    grey = model.transduction_ == -1
    assert (model.confidence_[grey] < 1.0 - NOVELTY_THRESHOLD + 1e-6).all()


def test_one_settable_threshold_moves_labels_predict_and_discover(lassoed):
    X, y, labels, groups, wrong = lassoed
    strict = Retrainer(adapter_steps=40, random_state=0, novelty_threshold=0.9).fit(
        X, labels, groups=groups)
    np.testing.assert_array_equal(strict.transduction_ == -1, strict.novelty_ >= 0.9)
    np.testing.assert_array_equal(strict.predict(X), strict.transduction_)
    assert all((strict.novelty_[c.indices] >= 0.9).all() for c in strict.discover())
    with pytest.raises(ValueError, match="novelty_threshold"):
        Retrainer(novelty_threshold=1.5).fit(X, labels)


def test_names_as_labels_and_missing_names(lassoed):
    X, y, labels, groups, wrong = lassoed
    names = np.array(["ant", "bee", "cat"], dtype=object)
    y_named = np.where(labels >= 0, names[np.maximum(labels, 0)], None)
    model = Retrainer(adapter_steps=20, random_state=0).fit(X, y_named, groups=groups)
    assert list(model.classes_) == ["ant", "bee", "cat"]
    grey = model.novelty_ >= NOVELTY_THRESHOLD
    assert (model.transduction_[grey] == -1).all()
    assert set(model.transduction_[~grey]) <= {"ant", "bee", "cat"}


def test_new_rows_are_predicted_like_fitted_ones(fitted):
    """Rows the model was fitted on get what the map shows; new rows near a class get it."""
    model, (X, y, labels, groups, wrong) = fitted
    np.testing.assert_array_equal(model.predict(X), model.transduction_)
    np.testing.assert_allclose(model.predict_novelty(X), model.novelty_)
    rng = np.random.default_rng(5)
    new = X + 0.02 * rng.normal(size=X.shape).astype(np.float32)  # not equal to any fitted row
    pred = model.predict(new)
    agree = (pred == model.transduction_).mean()
    assert agree > 0.9
    proba = model.predict_proba(new)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
