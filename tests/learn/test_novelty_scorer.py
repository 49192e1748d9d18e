"""Choosing the novelty scorer from leave-one-class-out trials."""
from __future__ import annotations

import numpy as np
import pytest

from embedviz.learn.novelty import DEFAULT_SCORER, choose_scorer

DEFAULT = "+".join(DEFAULT_SCORER)


def _trial(reach_gap: float, seed: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Views for 200 held-out points, the first 50 of a dropped class; ``conf`` and
    ``spread`` (the model's and the graph's uncertainty) separate them moderately, ``reach``
    (conf's noise) by ``reach_gap`` more, ``proto`` not at all."""
    rng = np.random.default_rng(seed)
    pos = np.arange(200) < 50
    noise = rng.normal(size=200)
    conf = noise + 1.0 * pos
    reach = noise + (1.0 + reach_gap) * pos
    proto = rng.normal(size=200)
    spread = conf + 0.1 * rng.normal(size=200)  # the two agree: their mean is no better
    return {"conf": conf, "spread": spread, "reach": reach, "proto": proto}, pos


def test_the_models_own_uncertainty_stands_against_a_slightly_better_view():
    shares, scores = choose_scorer([_trial(0.05, s) for s in range(20)])
    assert scores["reach"] > scores[DEFAULT]  # reach is a little better in the trials...
    assert shares[DEFAULT_SCORER] > 0.5  # ...but not by enough to trust it over the default


def test_a_clearly_better_view_replaces_it():
    shares, scores = choose_scorer([_trial(2.0, s) for s in range(20)])
    best = max(shares, key=shares.get)
    assert "reach" in best and shares[best] > 0.5
    assert shares.get(DEFAULT_SCORER, 0.0) < 0.1
    assert scores["+".join(best)] > scores[DEFAULT] + 0.03
    assert sum(shares.values()) == pytest.approx(1.0)


def test_weak_trials_keep_the_models_own_uncertainty():
    """No view separates the held-out class well (conf at chance, reach at about 0.7): the
    gap is large, but below SCORER_FLOOR it is noise, so conf stands."""
    from embedviz.learn.novelty import SCORER_FLOOR

    def weak(seed: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
        views, pos = _trial(0.0, seed)
        rng = np.random.default_rng(100 + seed)
        views["conf"] = rng.normal(size=200)
        views["spread"] = rng.normal(size=200)
        views["reach"] = rng.normal(size=200) + 0.75 * pos
        return views, pos

    shares, scores = choose_scorer([weak(s) for s in range(20)])
    assert scores["reach"] > scores[DEFAULT] + 0.1
    assert scores["reach"] < SCORER_FLOOR
    assert shares == {DEFAULT_SCORER: 1.0}


def test_auroc_matches_scikit_learn_with_ties():
    from sklearn.metrics import roc_auc_score

    from embedviz.learn.novelty import auroc

    rng = np.random.default_rng(3)
    for _ in range(5):
        pos = rng.random(300) < 0.3
        score = np.round(rng.random(300) + 0.3 * pos, 1)  # coarse: many ties
        assert auroc(pos, score) == pytest.approx(roc_auc_score(pos, score), abs=1e-12)


def test_average_ranks_match_scipy():
    from scipy.stats import rankdata

    from embedviz.learn.novelty import average_ranks

    rng = np.random.default_rng(4)
    for x in (rng.integers(0, 5, 200).astype(float), rng.random(50), np.zeros(7), np.arange(1.0)):
        np.testing.assert_allclose(average_ranks(x), rankdata(x))


def test_novelty_probability_is_one_half_where_dropped_and_kept_classes_meet():
    from embedviz.learn.novelty import novelty_probability

    rng = np.random.default_rng(0)
    kept, dropped = rng.normal(0.3, 0.1, 400), rng.normal(0.7, 0.1, 100)  # 4 kept : 1 dropped
    trials = [(np.r_[kept, dropped], np.r_[np.zeros(400, bool), np.ones(100, bool)])]
    p = novelty_probability(np.array([0.1, 0.45, 0.5, 0.55, 0.9]), trials)
    assert np.all(np.diff(p) > 0)  # increasing: the order of the scores stands
    assert p[0] < 0.05 and p[-1] > 0.95
    assert 0.35 < p[2] < 0.65  # balanced classes: the midpoint is even odds


def test_novelty_probability_keeps_scores_when_trials_cannot_separate():
    from embedviz.learn.novelty import novelty_probability

    rng = np.random.default_rng(1)
    s = rng.random(300)
    trials = [(s, s < 0.3)]  # the "dropped" class scores low: the scorer is inverted
    score = np.array([0.2, 0.4, 0.8], np.float32)
    np.testing.assert_array_equal(novelty_probability(score, trials), score)
