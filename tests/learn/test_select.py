"""Grouped cross-validation: whole lassos are held out, never split at random."""
from __future__ import annotations

import numpy as np
import pytest

from embedviz.learn.select import candidate_blends, choose, cv_folds, cv_units


def test_folds_hold_out_whole_lassos_and_keep_every_class_trainable():
    rng = np.random.default_rng(0)
    codes = np.repeat([0, 0, 0, 1, 1, 2, -1], 10)
    groups = np.repeat([0, 1, 2, 3, 4, 5, -1], 10)
    X = rng.normal(size=(codes.size, 4)).astype(np.float32)
    units = cv_units(codes, groups, X, seed=0)
    folds = cv_folds(codes, units, 3, seed=0)
    assert folds
    for held in folds:
        for g in np.unique(groups[held]):
            # a lasso is either wholly held out or wholly kept (class 2 has one lasso:
            # it is split into two feature-space halves instead)
            if g != 5:
                assert np.isin(np.flatnonzero(groups == g), held).all()
        train = np.setdiff1d(np.flatnonzero(codes >= 0), held)
        assert set(np.unique(codes[train])) == {0, 1, 2}
        assert (codes[held] >= 0).all()
    halves = np.unique(units[groups == 5])
    assert halves.size == 2


def test_choose_weighs_learners_by_their_cv_score():
    codes = np.array([0, 0, 1, 1])
    w = np.ones(4)
    perfect = np.eye(2)[codes].astype(np.float32)
    wrong = perfect[:, ::-1].copy()
    probas = {"propagate": perfect, "distill": perfect, "adapter": perfect,
              "linear": wrong, "prototype": perfect}
    choice = choose([probas], [codes], [w], ("propagate", "distill", "linear", "prototype",
                                             "adapter"))
    # the wrong learner keeps only what the near-tied pairs that include it lend it
    assert choice.weights.get("linear", 0.0) < 0.05
    assert sum(choice.weights.values()) == pytest.approx(1.0)
    assert choice.scores[choice.label] == 1.0  # the blend's own CV score is reported
    probas = {"propagate": wrong, "distill": wrong, "adapter": wrong,
              "linear": wrong, "prototype": perfect}
    choice = choose([probas], [codes], [w], ("propagate", "distill", "linear", "prototype",
                                             "adapter"))
    assert choice.weights["prototype"] >= 0.75  # with what perfect pairs lend the others
    from embedviz.learn.select import blend
    assert (blend(probas, choice.weights).argmax(1) == codes).all()


def test_propagation_never_stands_alone_next_to_an_inductive_learner():
    names = ("propagate", "distill", "linear", "prototype", "adapter")
    blends = candidate_blends(names)
    assert {"propagate": 1.0} not in blends
    assert {"prototype": 1.0} in blends
    assert any(set(b) == {"propagate", "prototype"} for b in blends)
    assert candidate_blends(("propagate",)) == [{"propagate": 1.0}]


def test_split_share_counts_points_of_lassos_split_in_halves():
    from embedviz.learn.select import split_share

    codes = np.array([0, 0, 0, 0, 1, 1, 1, 1, -1, -1])
    groups = np.array([5, 5, 5, 5, 7, 7, 7, 9, -1, -1])
    units = np.array([0, 0, 1, 1, 2, 2, 2, 3, -1, -1])  # lasso 5 was split in two halves
    assert split_share(units, groups, codes) == 0.5
    assert split_share(units, groups, np.full(10, -1)) == 0.0


def test_split_halves_keep_the_default_blend_where_whole_lassos_would_not():
    # held-out rows where the linear head is right on every row and the others miss one:
    # balanced accuracy 1.0 against 0.95, a gain inside SPLIT_MARGIN
    codes = np.repeat([0, 1, 2, 3], 5)
    w = np.ones(codes.size)
    linear = np.eye(4)[codes].astype(np.float32)
    default_like = linear.copy()
    default_like[0] = np.roll(linear[0], 1)
    probas = {"propagate": default_like, "distill": default_like, "adapter": default_like,
              "prototype": default_like, "linear": linear}
    names = ("propagate", "distill", "linear", "prototype", "adapter")
    from embedviz.learn.select import blend

    # whole lassos: the gain gives the linear head most of the blend
    whole = choose([probas], [codes], [w], names)
    assert whole.weights["linear"] > 0.5
    assert (blend(probas, whole.weights).argmax(1) == codes).all()
    # halves of single lassos: near-duplicates, the same gain is not trusted
    halves = choose([probas], [codes], [w], names, margin_boost=1.0)
    assert halves.weights.get("linear", 0.0) < 0.5
    assert blend(probas, halves.weights).argmax(1)[0] != codes[0]  # predicts as the default


def test_a_small_lasso_is_no_cv_unit_and_leaves_the_folds_as_they_were():
    """One more point as its own lasso: the folds, and so the blend's evidence, stay."""
    rng = np.random.default_rng(0)
    codes = np.repeat([0, 1, 1, -1], [40, 30, 20, 30])
    groups = np.repeat([0, 1, 2, -1], [40, 30, 20, 30])
    X = rng.normal(size=(codes.size, 4)).astype(np.float32)
    units = cv_units(codes, groups, X, seed=0)
    folds = cv_folds(codes, units, 3, seed=0)
    extra = codes.copy(), groups.copy()
    extra[0][-1], extra[1][-1] = 0, 7  # one unlabelled point lassoed as class 0 on its own
    units2 = cv_units(*extra, X, seed=0)
    assert units2[-1] == -1  # it always trains
    np.testing.assert_array_equal(units2[:-1], units[:-1])
    folds2 = cv_folds(extra[0], units2, 3, seed=0)
    assert len(folds2) == len(folds)
    for a, b in zip(folds, folds2):
        np.testing.assert_array_equal(a, b)
    # the class still has one big lasso, split in halves; the lone point is in no fold
    assert np.unique(units2[:40]).size == 2
    assert not any(codes.size - 1 in f for f in folds2)


def test_choice_moves_smoothly_with_the_scores():
    codes = np.repeat([0, 1], 50)
    w = np.ones(codes.size)
    right = np.eye(2)[codes].astype(np.float32)
    names = ("distill", "prototype")

    def miss(k: int) -> np.ndarray:
        p = right.copy()
        p[:k] = p[:k, ::-1]
        return p

    shares = [choose([{"distill": miss(k), "prototype": miss(2)}], [codes], [w],
                     names).weights["distill"] for k in range(5)]
    assert all(a >= b for a, b in zip(shares, shares[1:], strict=False))
    assert all(abs(a - b) < 0.5 for a, b in zip(shares, shares[1:], strict=False))  # no flip from 1 to 0
