"""Choosing between learners by cross-validation grouped by lasso.

Points of one lasso are near-duplicates of each other, so random splits leak; folds hold out
whole lassos. A class drawn with a single lasso has that lasso split in two by 2-means in
feature space (spatial halves), so it can still be held out in part.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np

# The lasso halves below (and the small fits in novelty.py and suggest.py) use scikit-learn's
# k-means, not compute/kmeans.py's torch one: with the torch one in all three, ex.predict on 200
# held-out digits agreed with the Explorer that saw them on 0.835 of the labels (grey
# included; tests/explorer/test_predictions.py asks > 0.9, which scikit-learn's passes), at
# an equal bench_learn --quick AULC (digits: 0.725 both on the PCA map, 0.816 both on UMAP).
# The halves are fitted on at most 5,000 rows on the CPU, where a GPU would bring little.
from sklearn.cluster import KMeans

if TYPE_CHECKING:
    from embedviz.learn._inputs import UnitRows

#: Blend weights tried for each pair of learners (the first learner's share).
PAIR_WEIGHTS = (0.25, 0.5, 0.75)
#: Prototypes joined the default blend: on the synthetic sub-cluster data NCM beat the
#: three-way default by 0.01-0.05 area under the labelling curve, and adding them moved
#: digits by at most -0.005 (bench_learn, 2 seeds). It is one candidate of the soft choice
#: (``choose``), favoured when the CV units are halves of single lassos (SPLIT_MARGIN).
#: A margin of 0.02 for the default had cost synthetic data up to 0.012 area under the
#: curve (PCA map, "cover" lassos: 0.877, below SelfTraining's 0.890; without it 0.886)
#: and moved digits and text by -0.004 to +0.004 (bench_learn, 2 seeds; text novelty AUROC
#: on the PCA map went from 0.68-0.69 to 0.66-0.67, the blend being its "conf" view).
DEFAULT_BLEND = ("propagate", "distill", "adapter", "prototype")
#: Margin the default blend gets when units are halves of single lassos rather than whole
#: lassos: halves of one lasso are near-duplicates, and that CV favoured the linear head by
#: 0.03-0.06 while it was the worst learner on the unlabelled points (digits, PCA map, first
#: round: 0.564 accuracy with a margin of 0.04, 0.629 with 0.06; bench_learn, 2 seeds).
SPLIT_MARGIN = 0.06


#: A lasso is a cross-validation unit of its own only if it holds at least this many points
#: and this share of its class's labelled points; smaller lassos always stay in training.
#: A one-point lasso made a unit turned a class drawn with one big lasso from two halves of
#: it into {big lasso, one point}: the fold that held the big lasso out trained the class on
#: one point, and the blend and novelty chosen from that fold moved up to half of the map
#: (digits, three labels, PCA map: 10 % of the points for one correct point, 45 % for a
#: wrong one; bench_stability).
MIN_CV_LASSO = 5
MIN_CV_SHARE = 0.1


def split_share(units: np.ndarray, groups: np.ndarray, codes: np.ndarray) -> float:
    """Share of labelled points whose CV unit is a half of a lasso, not a whole lasso."""
    lab = codes >= 0
    if not lab.any():
        return 0.0
    inside = lab & (units >= 0)
    g, u = groups[inside], units[inside]
    if not g.size:
        return 0.0
    _, first = np.unique(g * (int(u.max()) + 1) + u, return_index=True)  # per (lasso, unit)
    lassos, n_units = np.unique(g[first], return_counts=True)
    return float(np.isin(groups[lab], lassos[n_units > 1]).mean())


def unit_lassos(idx: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """The lassos among the points ``idx`` of one class that are big enough to be held out
    on their own (``MIN_CV_LASSO`` points and ``MIN_CV_SHARE`` of the class)."""
    gs, sizes = np.unique(groups[idx], return_counts=True)
    big = (sizes >= MIN_CV_LASSO) & (sizes >= MIN_CV_SHARE * idx.size)
    return gs[big]


def cv_units(codes: np.ndarray, groups: np.ndarray, X: np.ndarray | UnitRows,
             seed: int) -> np.ndarray:
    """A unit id per labelled point (-1 elsewhere, and for points of small lassos, which
    always train): its (class, lasso), or a 2-means half of the class's one big lasso.

    The units depend only on the big lassos, so one more point, on its own or in a small
    lasso, leaves every fold as it was (the evidence of a lasso counts by its size)."""
    units = np.full(codes.shape[0], -1, dtype=np.int64)
    next_id = 0
    for c in np.unique(codes[codes >= 0]):
        idx = np.flatnonzero(codes == c)
        big = unit_lassos(idx, groups)
        if big.size >= 2:
            inside = idx[np.isin(groups[idx], big)]
            _, inv = np.unique(groups[inside], return_inverse=True)
            units[inside] = next_id + inv
            next_id += big.size
            continue
        part = idx[groups[idx] == big[0]] if big.size == 1 else idx
        if part.size >= 4:
            km = KMeans(n_clusters=2, n_init=2, random_state=seed).fit(X[part[:5000]])
            units[part] = next_id + (km.predict(X[part]) if part.size > 5000 else km.labels_)
            next_id += 2
        else:
            units[part] = next_id
            next_id += 1
    return units


def cv_folds(codes: np.ndarray, units: np.ndarray, n_folds: int, seed: int) -> list[np.ndarray]:
    """Held-out index arrays; every class keeps at least one unit for training in each fold
    (points without a unit always train)."""
    rng = np.random.default_rng(seed)
    fold_of_unit: dict[int, int] = {}
    for c in np.unique(codes[codes >= 0]):
        us = np.unique(units[(codes == c) & (units >= 0)])
        if us.size < 2:
            continue
        rng.shuffle(us)
        offset = int(rng.integers(n_folds))
        for j, u in enumerate(us):
            fold_of_unit[int(u)] = (offset + j) % n_folds
    folds = []
    for f in range(n_folds):
        held_units = [u for u, g in fold_of_unit.items() if g == f]
        held = np.flatnonzero(np.isin(units, held_units))
        if held.size:
            folds.append(held)
    return folds


def balanced_accuracy(
    proba: np.ndarray, codes: np.ndarray, weights: np.ndarray
) -> float:
    """Mean over classes of the weighted accuracy on the rows given."""
    pred = proba.argmax(axis=1)
    accs = []
    for c in np.unique(codes):
        m = codes == c
        w = weights[m]
        if w.sum() > 0:
            accs.append(float((w * (pred[m] == c)).sum() / w.sum()))
    return float(np.mean(accs)) if accs else 0.0


@dataclass(frozen=True)
class Choice:
    """The chosen blend: learner names with weights, and every candidate's CV score."""

    weights: dict[str, float]
    scores: dict[str, float]

    @property
    def label(self) -> str:
        return "+".join(f"{w:.2f}*{m}" if w < 1 else m for m, w in self.weights.items())


def default_blend(names: tuple[str, ...]) -> dict[str, float]:
    """Equal blend of the default learners present (all of ``names`` if none is)."""
    chosen = [m for m in DEFAULT_BLEND if m in names] or list(names)
    return {m: 1.0 / len(chosen) for m in chosen}


def candidate_blends(names: tuple[str, ...]) -> list[dict[str, float]]:
    """Single learners and weighted pairs. Propagation never stands alone when an inductive
    learner is there: held-out lassos all lie where the labels reach, so CV cannot see that
    it has no answer for unreached sub-clusters (synthetic data, UMAP map, one lasso per
    class: CV chose it alone and it scored 0.31 where the heads scored 0.59)."""
    alone = [m for m in names if m != "propagate"] or list(names)
    blends = [{m: 1.0} for m in alone]
    for a, b in combinations(names, 2):
        blends += [{a: w, b: 1.0 - w} for w in PAIR_WEIGHTS]
    return blends


def blend(probas: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    return sum(w * probas[m] for m, w in weights.items())  # type: ignore[return-value]


#: Softness of the choice between blends, in balanced-accuracy points: each candidate's share
#: of the final blend is proportional to exp(score / CHOICE_TEMPERATURE), so a candidate 0.01
#: ahead weighs e times as much, and one more held-out point shifts the weights a little
#: instead of flipping the blend (a hard argmax flipped it on one added point in 5 of 6
#: digits states, PCA map; bench_stability).
CHOICE_TEMPERATURE = 0.01
#: Learners left with less than this share are dropped from the blend (and the rest scaled
#: up): they cannot move a prediction, and each costs a pass over every point.
MIN_SHARE = 0.01


def soft_weights(scores: np.ndarray, temperature: float) -> np.ndarray:
    """Softmax of ``scores / temperature`` (shares that sum to 1)."""
    z = (scores - scores.max()) / temperature
    e = np.exp(z)
    return e / e.sum()


def choose(
    held_probas: list[dict[str, np.ndarray]],
    held_codes: list[np.ndarray],
    held_weights: list[np.ndarray],
    preference: tuple[str, ...],
    *,
    margin_boost: float = 0.0,
) -> Choice:
    """The blend of learners weighted by their mean grouped-CV balanced accuracy.

    Every candidate (the default blend, single learners, weighted pairs) gets a share of the
    final blend by a softmax of its score (``CHOICE_TEMPERATURE``), so candidates within a
    few hundredths share it and a clearly better one takes it. A candidate's score counts
    ``SPLIT_MARGIN * margin_boost`` more in proportion to its weight on the default blend's
    learners (``margin_boost``: the share of units that are halves of a lasso, whose CV is
    over-optimistic). ``preference`` names the learners
    (a learner missing from any fold's probas is left out). The chosen blend's own CV score
    is in ``scores`` under its label."""
    names = tuple(m for m in preference if all(m in p for p in held_probas))
    scores: dict[str, float] = {}

    def score(weights: dict[str, float]) -> float:
        s = float(np.mean([
            balanced_accuracy(blend(p, weights), c, w)
            for p, c, w in zip(held_probas, held_codes, held_weights)
        ]))
        scores[Choice(weights, {}).label] = s
        return s

    candidates = [default_blend(names)] + candidate_blends(names)
    default_share = np.array([sum(v for m, v in w.items() if m in DEFAULT_BLEND)
                              for w in candidates])
    raw = np.array([score(w) for w in candidates]) + SPLIT_MARGIN * margin_boost * default_share
    share = soft_weights(raw, CHOICE_TEMPERATURE)
    merged: dict[str, float] = {}
    for sh, weights in zip(share, candidates, strict=True):
        for m, w in weights.items():
            merged[m] = merged.get(m, 0.0) + float(sh) * w
    kept = {m: w for m, w in merged.items() if w >= MIN_SHARE}
    total = sum(kept.values())
    final = {m: kept[m] / total for m in names if m in kept}
    score(final)
    return Choice(final, scores)
