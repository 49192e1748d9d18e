"""Novelty (does a point belong to no labelled class?), label noise, and class discovery."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from sklearn.cluster import KMeans  # scikit-learn's, as in select.py (the reason is there)
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import silhouette_score

from embedviz.learn._inputs import UnitRows
from embedviz.learn._rows import row_max
from embedviz.learn.propagate import (
    degrees,
    neighbour_mean,
    neighbour_vote,
    reachability,
    reachability_reference,
)


def label_noise(W: torch.Tensor, proba: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """For labelled points, 1 - the share of graph-neighbour votes for the given label."""
    vote = neighbour_vote(W, proba)
    noise = np.zeros(codes.shape[0], dtype=np.float32)
    idx = np.flatnonzero(codes >= 0)
    noise[idx] = 1.0 - vote[idx, codes[idx]]
    return np.clip(noise, 0.0, 1.0)


#: Novelty scorers: rank-averages of views ("reach": the labels reach the point weakly on the
#: graph; "proto": far from every class prototype; "conf": the final blend is unsure;
#: "spread": the propagated labels are mixed at the point).
SCORERS: tuple[tuple[str, ...], ...] = (
    ("reach", "proto", "conf"), ("reach", "proto"), ("reach", "conf"), ("proto", "conf"),
    ("reach",), ("proto",), ("conf",), ("conf", "spread"),
)


#: The scorer that stands unless trials show another is clearly better (see choose_scorer).
#: "spread" joined "conf" here: bench_learn novelty AUROC (2 seeds, after diffusion), text
#: 0.733/0.775/0.831/0.862 -> 0.740/0.797/0.832/0.870, digits 0.970/0.937/0.958/0.977 ->
#: 0.968/0.970/0.964/0.980, synthetic PCA 0.986/0.989 -> 0.981/0.987, UMAP 1.000 both.
DEFAULT_SCORER: tuple[str, ...] = ("conf", "spread")
SCORER_MARGIN = 0.03
#: Another scorer replaces the default only if its trials reach this AUROC. Below it no view
#: separates the held-out classes, and which weak view wins is noise: on MiniLM text the
#: trials picked "reach" or "proto" at 0.49-0.78 and each pick scored 0.04-0.32 below "conf"
#: on the unlassoed classes; every pick on digits and synthetic data (0.81-0.96) beat
#: "conf" by 0.004-0.29 (bench_learn data, 2 seeds, 4 rounds, both maps and policies).
SCORER_FLOOR = 0.8


def average_ranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing their average (as ``scipy.stats.rankdata``, which took
    0.9 s of a 3.6 s GPU retrain at n = 1e6 in its tie handling)."""
    order = np.argsort(x)  # any order among equal values: they share one rank
    ordered = x[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    counts = np.diff(np.r_[starts, x.size])
    ranks = np.empty(x.size, dtype=np.float64)
    ranks[order] = np.repeat(starts + (counts + 1) / 2.0, counts)
    return ranks


def _rank01(x: np.ndarray) -> np.ndarray:
    return ((average_ranks(x) - 1) / max(x.size - 1, 1)).astype(np.float32)


def novelty_views(
    F_rows: np.ndarray, F_seeds: np.ndarray, proto_sim: np.ndarray, proba: np.ndarray,
    drop: int | None = None,
) -> dict[str, np.ndarray]:
    """Raw novelty views of some rows, from their propagated mass ``F_rows`` (m, C), the
    seeds' ``F_seeds`` (what "reached" means), and their ``proto_sim`` and ``proba``.
    ``drop`` removes one class as if it had never been lassoed (for validating the scorers
    on held-out lassos)."""
    def mass(F: np.ndarray) -> np.ndarray:
        return F.sum(axis=1) if drop is None else F.sum(axis=1) - F[:, drop]

    row_mass = mass(F_rows)
    reach = reachability(row_mass, reachability_reference(mass(F_seeds), row_mass))
    if drop is not None:
        keep = np.delete(np.arange(proba.shape[1]), drop)
        proba, proto_sim, F_rows = proba[:, keep], proto_sim[:, keep], F_rows[:, keep]
    return {"reach": 1.0 - reach, "proto": 1.0 - row_max(proto_sim),
            "conf": 1.0 - _top_share(proba), "spread": 1.0 - _top_share(F_rows)}


def _top_share(P: np.ndarray) -> np.ndarray:
    return row_max(P) / np.maximum(P.sum(axis=1), 1e-12)


def _share_at_or_below(ordered: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Share of the sorted ``ordered`` at or below each ``x``."""
    return (np.searchsorted(ordered, x, side="right") / max(ordered.size, 1)).astype(
        np.float32)


@dataclass(frozen=True)
class Calibration:
    """Novelty in [0, 1] as a conformal score: the share of reference points (of labelled
    classes, scored by models that did not train on them) that look less novel.

    Each view is placed on the reference's distribution, each scorer's views are averaged,
    and the average is placed on the reference's own averages; scorers are mixed by their
    shares (``choose_scorer``). Points like the labelled classes spread evenly over [0, 1];
    points no class fits sit near 1. (Ranks over all points instead put half the points
    above 0.5 however well the labels fit: 54 % of digits' unlabelled points after one
    lasso per class, every class lassoed.) The reference is sorted once, then scores the
    fit's points and every trial.
    """

    shares: dict[tuple[str, ...], float]
    ordered_views: dict[str, np.ndarray]
    ordered_scores: dict[tuple[str, ...], np.ndarray]

    @classmethod
    def of(cls, reference: dict[str, np.ndarray],
           scorer: tuple[str, ...] | dict[tuple[str, ...], float]) -> Calibration:
        shares = {scorer: 1.0} if isinstance(scorer, tuple) else dict(scorer)
        used = sorted({v for s in shares for v in s})
        ordered = {v: np.sort(reference[v]) for v in used}
        placed = {v: _share_at_or_below(ordered[v], reference[v]) for v in used}
        ref_scores = {s: np.sort(np.mean([placed[v] for v in s], axis=0)) for s in shares}
        return cls(shares, ordered, ref_scores)

    def __call__(self, views: dict[str, np.ndarray]) -> np.ndarray:
        placed = {v: _share_at_or_below(o, views[v]) for v, o in self.ordered_views.items()}
        return sum(w * _share_at_or_below(self.ordered_scores[s],  # type: ignore[return-value]
                                          np.mean([placed[v] for v in s], axis=0))
                   for s, w in self.shares.items())


#: Trial points the novelty probability is fitted on at most (a 1-D logistic regression).
MAX_TRIAL_POINTS = 20_000


def novelty_probability(score: np.ndarray, trials: list[tuple[np.ndarray, np.ndarray]],
                        seed: int = 0) -> np.ndarray:
    """Turn calibrated novelty scores into P(no labelled class fits), classes equally likely
    a priori, from leave-one-class-out ``trials`` of (score, is_dropped_class). The map is
    increasing (or the identity where the trials cannot separate), so the order stands.

    ``calibrated`` alone says how unusual a point is next to held-out lassos; after one
    lasso per class those are tight 2-means halves, and most other points look unusual.
    Here a point counts as novel only where it scores like a dropped class rather than like
    the classes that stay, the question the map's grey answers.
    """
    s = np.concatenate([t[0] for t in trials]).astype(np.float64)
    pos = np.concatenate([t[1] for t in trials])
    if not 0 < pos.sum() < pos.size:
        return score
    if s.size > MAX_TRIAL_POINTS:
        keep = np.random.default_rng(seed).choice(s.size, MAX_TRIAL_POINTS, replace=False)
        s, pos = s[keep], pos[keep]
    fit = LogisticRegression(class_weight="balanced").fit(s[:, None], pos)
    if fit.coef_[0, 0] <= 0:  # the trials cannot tell dropped classes apart: keep the order
        return score
    return fit.predict_proba(np.asarray(score, np.float64)[:, None])[:, 1].astype(np.float32)


def auroc(positive: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve of ``score`` for the boolean ``positive`` (Mann-Whitney U with
    average ranks for ties, as scikit-learn's ``roc_auc_score``; its checks cost about 8 ms
    per call, 1.1 s of a 9.6 s retrain at n = 1e6 on an H100 machine)."""
    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    ranks = average_ranks(score)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


#: Softness of the choice between scorers, in AUROC points (as ``select.CHOICE_TEMPERATURE``):
#: each scorer's share of the novelty score is proportional to exp(AUROC / this). A hard
#: choice flipped between scorers on one added point (digits, three labels: every added
#: point flipped it, and up to half of the map changed colour; bench_stability).
SCORER_TEMPERATURE = 0.01
#: A scorer other than the default comes in gradually over this span of AUROC above
#: ``SCORER_FLOOR`` (full weight at floor + ramp), so no trial result switches it on at once.
SCORER_RAMP = 0.02
#: Scorers left with less than this share are dropped (and the rest scaled up).
MIN_SCORER_SHARE = 0.01


def choose_scorer(trials: list[tuple[dict[str, np.ndarray], np.ndarray]]) -> tuple[
        dict[tuple[str, ...], float], dict[str, float]]:
    """Weigh the scorers by their mean AUROC over (views, is_dropped_class) trials.

    Each trial holds one class out as if never lassoed and asks whether its held-out points
    rank above held-out points of the classes that stay. The model's and the graph's own
    uncertainty (``DEFAULT_SCORER``) counts ``SCORER_MARGIN`` more, and another scorer takes
    part only above ``SCORER_FLOOR`` (ramping in over ``SCORER_RAMP``): held-out lassos are
    dense, pure blob cores, so weak trials can flatter the graph view (MiniLM text); on
    digits the graph view wins its trials by 0.04-0.17 and is right to. Shares follow a
    softmax of the scores (``SCORER_TEMPERATURE``), so the mix moves smoothly with the trials.

    Returns the shares by scorer (summing to 1) and the mean AUROC of each scorer by name.
    """
    aucs: dict[tuple[str, ...], list[float]] = {scorer: [] for scorer in SCORERS}
    for views, pos in trials:
        if not 0 < pos.sum() < pos.size:
            continue
        ranks = {v: _rank01(x) for v, x in views.items()}
        for scorer in SCORERS:  # one view: its AUROC is that of its ranks
            score = ranks[scorer[0]] if len(scorer) == 1 else np.mean(
                [ranks[v] for v in scorer], axis=0)
            aucs[scorer].append(auroc(pos, score))
    if not aucs[DEFAULT_SCORER]:
        return {SCORERS[0]: 1.0}, {}
    scores = {"+".join(s): float(np.mean(a)) for s, a in aucs.items()}
    raw = np.array([scores["+".join(s)] + (SCORER_MARGIN if s == DEFAULT_SCORER else 0.0)
                    for s in SCORERS])
    gate = np.array([1.0 if s == DEFAULT_SCORER else float(np.clip(
        (scores["+".join(s)] - SCORER_FLOOR) / SCORER_RAMP, 0.0, 1.0)) for s in SCORERS])
    z = np.exp((raw - raw.max()) / SCORER_TEMPERATURE) * gate
    share = z / z.sum()
    kept = {s: float(w) for s, w in zip(SCORERS, share) if w >= MIN_SCORER_SHARE}
    total = sum(kept.values())
    return {s: w / total for s, w in kept.items()}, scores


def scorer_label(weights: dict[tuple[str, ...], float]) -> str:
    """"conf+spread" for one scorer; "0.70*conf+spread, 0.30*reach" for a mix."""
    if len(weights) == 1:
        return "+".join(next(iter(weights)))
    return ", ".join(f"{w:.2f}*{'+'.join(s)}" for s, w in
                     sorted(weights.items(), key=lambda kv: -kv[1]))


#: Graph diffusion of the novelty score: ``hops`` rounds of keeping ``NOVELTY_KEEP`` of a
#: point's score and taking the rest from its neighbours' mean (bench_learn data, 2 seeds,
#: 4 rounds, both maps and policies; mean AUROC raw -> 3 / 10 / 30 hops): text 0.762 ->
#: 0.792 / 0.800 / 0.780, digits 0.935 -> 0.951 / 0.960 / 0.968.
NOVELTY_HOPS = 10
NOVELTY_KEEP = 0.5


def diffuse(W: torch.Tensor, score: np.ndarray, *, hops: int = NOVELTY_HOPS,
            keep: float = NOVELTY_KEEP) -> np.ndarray:
    """A per-point score averaged with its graph neighbourhood's, ``hops`` times.

    Unlassoed classes are neighbourhoods, not lone points: a point's noisy score borrows
    from its neighbours', so novel regions rise together and stray points in known ones
    fall. Scores do not cross between graph components.
    """
    s = torch.from_numpy(np.ascontiguousarray(score, dtype=np.float32)).to(W.device)[:, None]
    deg = degrees(W)[:, None]
    for _ in range(hops):
        s = keep * s + (1.0 - keep) * neighbour_mean(W, s, deg)
    return s[:, 0].cpu().numpy()


#: discover_classes works on at most this many sampled candidates, projected to this many
#: principal components. The 16k novel points of a 1e5 x 384 synthetic set (2 classes made of
#: separate sub-clusters), on a CPU: 0.4-0.6 s (0.9 s on structureless noise) for 4 clusters,
#: each one sub-cluster group of one class; 5000 points in 384 dimensions took 1.8 s and
#: found the 2 classes whole. Both pure; a user names two candidates alike to merge them.
DISCOVER_POINTS = 2000
DISCOVER_DIMS = 32


def discover_classes(
    X: UnitRows,
    novelty: np.ndarray,
    *,
    min_novelty: float = 0.5,
    max_classes: int = 8,
    min_size: int = 5,
    seed: int = 0,
) -> list[np.ndarray]:
    """Cluster the points that fit no labelled class (``novelty >= min_novelty``); the count
    is chosen by silhouette (2..max_classes). ``X[rows]`` gives unit-norm rows (only the
    candidates' are made, not a normalised copy of all of X).

    Returns index arrays (into X), most novel cluster first; [] if too few points are novel.
    """
    cand = np.flatnonzero(novelty >= min_novelty)
    if cand.size < 2 * min_size:
        return []
    rng = np.random.default_rng(seed)
    fit_idx = cand if cand.size <= DISCOVER_POINTS else rng.choice(cand, DISCOVER_POINTS,
                                                                   replace=False)
    unit = X[fit_idx]
    pca = PCA(min(DISCOVER_DIMS, *unit.shape), svd_solver="full").fit(unit)
    Z = pca.transform(unit)
    best: tuple[float, KMeans] | None = None
    for k in range(2, min(max_classes, fit_idx.size // min_size) + 1):
        km = KMeans(n_clusters=k, n_init=2, random_state=seed).fit(Z)
        if np.unique(km.labels_).size < 2:
            continue
        s = float(silhouette_score(Z, km.labels_, sample_size=min(1000, Z.shape[0]),
                                   random_state=seed))
        if best is None or s > best[0]:
            best = (s, km)
    if best is None:
        return [cand]
    assign = best[1].predict(pca.transform(X[cand]).astype(Z.dtype))
    clusters = [cand[assign == j] for j in range(best[1].n_clusters)]
    clusters = [c for c in clusters if c.size >= min_size]
    clusters.sort(key=lambda c: -float(novelty[c].mean()))
    return clusters
