"""Predictions say what the map shows; retrain() returns a result; ex.model / ex.predict
apply what the user taught to new rows; nothing the front end gets holds NaN or inf."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import embedviz as ev
from embedviz.explorer.retraining import RetrainResult
from embedviz.learn import Retrainer

from .conftest import blob, front_end_ui, status

GREY = "novel: no label fits"


@pytest.fixture()
def ex(digits, tmp_path):
    return ev.Explorer(digits, embedding="pixels", image="image",
                       label_file=str(tmp_path / "l.embedviz.db"), progress=False)


def map_colours(ex) -> list[dict]:
    """Record what the map is sent: every colour update's values and categories."""
    sent: list[dict] = []
    real = ex.scatter.update

    def update(**kwargs):
        sent.append(kwargs)
        return real(**kwargs)

    ex.scatter.update = update
    return sent


def grey_on_map(sent: list[dict]) -> np.ndarray:
    last = [s for s in sent if s.get("color") is not None][-1]
    return np.asarray(last["color"]) == last["categories"].index(GREY)


def test_label_is_missing_exactly_where_the_map_is_grey_and_one_threshold_rules(ex, digits):
    for d in (0, 1, 7):
        ex.label(blob(digits, d, 25, seed=d), f"d{d}")
    sent = map_colours(ex)
    result = ex.retrain()
    front_end_ui(ex, "color_by", "prediction")     # the retrain offered it
    pred = ex.predictions
    grey = grey_on_map(sent)
    assert 0 < grey.sum() < grey.size
    np.testing.assert_array_equal(pred.label.isna().to_numpy(), grey)
    assert pred.nearest.notna().all()
    assert (pred.confidence + pred.novelty <= 1 + 1e-6).all()       # never both high
    assert result.no_label == grey.sum()
    assert f"{grey.sum():,} points fit no label (grey)" in status(ex)
    assert isinstance(ex.model, Retrainer) and ex.model.novelty_threshold == 0.5
    ex.novelty_threshold = 0.8                                        # one threshold, settable
    grey_strict = grey_on_map(sent)
    assert grey_strict.sum() < grey.sum()
    np.testing.assert_array_equal(ex.predictions.label.isna().to_numpy(), grey_strict)
    np.testing.assert_array_equal(grey_strict, (ex.predictions.novelty >= 0.8).to_numpy())
    with pytest.raises(ValueError, match="novelty_threshold"):
        ex.novelty_threshold = 2


def test_retrain_returns_a_small_result_not_the_explorer(ex, digits):
    ex.label(blob(digits, 0, 25), "zero")
    ex.label(blob(digits, 1, 25), "one")
    result = ex.retrain()
    assert isinstance(result, RetrainResult) and result.round == 1
    assert set(result.counts) == {"zero", "one"}
    assert sum(result.counts.values()) + result.no_label == len(digits)
    assert result.seconds > 0
    text = repr(result)
    assert text.startswith("RetrainResult(round 1") and "zero: " in text and "\n" not in text
    assert ex.retrain(wait=False) is None
    assert ex.wait_retrain(120)


def _widget_states(ex):
    """What the front end gets: the Explorer widget's synced state (controls, charts, status,
    panels) and the map's."""
    scatter = ex.scatter if hasattr(ex.scatter, "get_state") else ex.scatter.widget
    yield ex.widget.get_state()
    yield scatter.get_state()


def _json(value):
    return value.tolist() if hasattr(value, "tolist") else None  # arrays as lists, bytes out


def test_no_nan_or_inf_reaches_the_front_end(ex, digits):
    """Two lassos of one label: no fold can be held out, so the round has no CV score."""
    ex.label(blob(digits, 0, 3, seed=1), "zero")
    ex.retrain()
    assert ex.model.cv_scores_ == {} or not np.isfinite(list(ex.model.cv_scores_.values())).all()
    for state in _widget_states(ex):
        json.dumps(state, allow_nan=False, default=_json)  # raises on NaN/inf
    assert ex.widget.charts["rounds"] == [[1, None]]  # the unmeasured round is a gap


def test_predict_applies_the_model_to_rows_like_the_map(ex, digits):
    for d in (0, 1, 7):
        ex.label(blob(digits, d, 25, seed=d), f"d{d}")
    ex.retrain()
    rows = digits.iloc[::7]
    same = ex.predict(rows)                       # rows it knows: what the map shows
    pd.testing.assert_frame_equal(same, ex.predictions.loc[rows.index])
    vectors = np.stack(rows.pixels.to_numpy())
    pd.testing.assert_frame_equal(ex.predict(embedding=vectors).set_index(rows.index), same)
    with pytest.raises(ValueError, match="embedding="):
        ex.predict(["no vectors"])


def test_predict_on_held_out_digits_matches_the_explorer_that_saw_them(digits, tmp_path):
    held = np.zeros(len(digits), dtype=bool)
    held[np.random.default_rng(0).choice(len(digits), 200, replace=False)] = True
    full = ev.Explorer(digits, embedding="pixels", image="image",
                       label_file=str(tmp_path / "full.embedviz.db"), progress=False)
    part = ev.Explorer(digits[~held], embedding="pixels", image="image",
                       label_file=str(tmp_path / "part.embedviz.db"), progress=False)
    for d in (0, 1, 7):
        lasso = digits.index[blob(digits, d, 25, seed=d)]
        lasso = lasso[~held[lasso]]
        full.label(lasso, f"d{d}")
        part.label(lasso, f"d{d}")
    full.retrain()
    part.retrain()
    seen = full.predictions[held]
    new = part.predict(digits[held])
    assert (new.label.fillna("-") == seen.label.fillna("-")).mean() > 0.9
    assert (new.nearest == seen.nearest).mean() > 0.9
