"""The retraining pipeline behind ``Retrainer.fit``: denoise seeds, choose, fit, score."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from embedviz.compute.knn_graph import KNNGraph
from embedviz.learn._inputs import LabelledData
from embedviz.learn.head import PrototypeHead, Standardiser, one_hot
from embedviz.learn.jobs import Progress
from embedviz.learn.methods import METHODS, Context, all_probas, fit_learners
from embedviz.learn.novelty import (
    SCORERS,
    Calibration,
    choose_scorer,
    diffuse,
    label_noise,
    novelty_probability,
    novelty_views,
    scorer_label,
)
from embedviz.learn.propagate import (
    Propagated,
    balanced_seeds,
    normalised_operator,
    spread,
    symmetric_affinity,
    to_proba,
)
from embedviz.learn.select import (
    Choice,
    blend,
    choose,
    cv_folds,
    cv_units,
    default_blend,
    split_share,
)


@dataclass(frozen=True)
class Settings:
    method: str
    alpha: float
    n_iter: int
    n_folds: int
    adapter_steps: int
    device: torch.device
    seed: int


@dataclass
class FitResult:
    proba: np.ndarray
    noise: np.ndarray
    novelty: np.ndarray
    choice: Choice
    models: dict[str, object]
    standardiser: Standardiser
    extras: dict[str, np.ndarray] = field(default_factory=dict)
    novelty_scorer: str = ""
    novelty_scores: dict[str, float] = field(default_factory=dict)


#: On a CPU above this many points "auto" leaves the adapter out: its four fits (three folds
#: and the final one) took 5.1 s of a 16.6 s retrain at n = 1e5 on a CPU.
CPU_LARGE_N = 50_000


def learners_for(method: str, n_classes: int, n: int, device: torch.device) -> tuple[str, ...]:
    if n_classes < 2:  # one class: heads are degenerate, the graph still gives reachability
        return ("propagate",)
    if method != "auto":
        return (method,)
    if device.type == "cpu" and n > CPU_LARGE_N:
        return tuple(m for m in METHODS if m != "adapter")
    return METHODS


def fit_pipeline(
    data: LabelledData, knn: KNNGraph, cfg: Settings, progress: Progress
) -> FitResult:
    C, codes = data.n_classes, data.codes
    lab = data.labelled
    progress(0.02, "linking each point to its neighbours on the map…")
    W = symmetric_affinity(knn, cfg.device)
    S = normalised_operator(W)
    X = data.X.on(cfg.device)  # the features cross to the device once
    stand = Standardiser.fit(X)
    Z = stand(X)
    assert isinstance(Z, torch.Tensor)  # a tensor in gives a tensor out
    ctx = Context(X=X, Z=Z, W=W, S=S, codes=codes,
                  seed_weight=np.zeros(codes.shape[0], np.float32), n_classes=C,
                  device=cfg.device, rng=np.random.default_rng(cfg.seed), tick=progress.tick,
                  adapter_steps=cfg.adapter_steps)

    progress(0.08, "looking for labels that may be wrong…")
    # label noise is local: a few hops of spreading are enough to score it
    first = spread(S, balanced_seeds(codes, (codes >= 0).astype(np.float32), C, cfg.device),
                   alpha=cfg.alpha, n_iter=min(cfg.n_iter, 10), tick=progress.tick)
    noise = label_noise(W, to_proba(first)[0], codes) if C > 1 else np.zeros(codes.shape[0],
                                                                                np.float32)
    ctx.seed_weight = np.where(codes >= 0, np.clip(1.0 - noise, 0.05, 1.0), 0.0).astype(
        np.float32)

    names = learners_for(cfg.method, C, codes.shape[0], cfg.device)
    folds: list[np.ndarray] = []
    units = np.full(codes.shape[0], -1, dtype=np.int64)
    if len(names) > 1:
        units = cv_units(codes, data.groups, data.X, cfg.seed)
        folds = cv_folds(codes, units, cfg.n_folds, cfg.seed)
    progress(0.15, "spreading your labels to their neighbours…")
    seed_sets = [balanced_seeds(codes, ctx.seed_weight, C, cfg.device)]
    for held in folds:
        w = ctx.seed_weight.copy()
        w[held] = 0.0
        seed_sets.append(balanced_seeds(codes, w, C, cfg.device))
    F_all = spread(S, torch.cat(seed_sets, dim=1), alpha=cfg.alpha, n_iter=cfg.n_iter,
                   tick=progress.tick)
    F_sets = [Propagated.of(F_all[:, i * C:(i + 1) * C]) for i in range(len(seed_sets))]

    if C > 1:  # second look with the down-weighted seeds: wrong seeds pollute less
        noise = label_noise(W, F_sets[0].prop, codes)
    graph_noise = noise
    trains = [lab[~np.isin(lab, held, assume_unique=True, kind="table")] for held in folds]
    progress(0.18, "learning from your labels…")
    fitted = fit_learners(ctx, list(zip(trains + [lab], F_sets[1:] + F_sets[:1])),
                          tuple(m for m in names if m != "propagate"),
                          report=lambda f, msg: progress(0.18 + 0.42 * f, msg))
    records = _cross_validate(ctx, trains, folds, F_sets, names, fitted[:-1], progress)
    if records:
        choice = choose([r.scored_probas() for r in records],
                        [codes[r.rows[r.scored]] for r in records],
                        [ctx.seed_weight[r.rows[r.scored]] for r in records], names,
                        margin_boost=split_share(units, data.groups, codes))
        noise = _combined_noise(noise, records, choice, codes)
    else:  # too few lassos to hold any out: the equal default blend, as on a CV tie (propagation
        # alone is near-uniform on a tiny graph: 10 points, 2 labels per class, it gave every
        # labelled point class 1)
        choice = Choice(default_blend(names), {})

    progress(0.75, "predicting a label for every point…")
    needed = tuple(m for m in names if m in choice.weights)
    probas = all_probas(ctx, lab, F_sets[0], fitted[-1], needed)
    models = {m: fitted[-1][m] for m in needed if m in fitted[-1]}
    proba = blend(probas, choice.weights).astype(np.float32)
    proba /= proba.sum(axis=1, keepdims=True)

    progress(0.92, "finding points that fit no label…")
    nov = _score_novelty(ctx, lab, records, choice, F_sets, fitted, proba, cfg.seed)
    models.setdefault("prototype", nov.prototypes)
    return FitResult(proba=proba, noise=noise, novelty=nov.novelty, choice=choice,
                     models=models, standardiser=stand,
                     extras={"reach": nov.reach, "propagated": F_sets[0].prop,
                             "graph_noise": graph_noise},
                     novelty_scorer=scorer_label(nov.scorer), novelty_scores=nov.scorer_scores)


@dataclass
class NoveltyScores:
    novelty: np.ndarray
    reach: np.ndarray  # how strongly the labels reach each point on the graph
    prototypes: PrototypeHead
    scorer: dict[tuple[str, ...], float]  # the scorers' shares
    scorer_scores: dict[str, float]


def _score_novelty(ctx: Context, lab: np.ndarray, records: list[FoldRecord], choice: Choice,
                   F_sets: list[Propagated], fitted: list[dict[str, object]],
                   proba: np.ndarray, seed: int) -> NoveltyScores:
    """Weigh the scorers on leave-one-class-out trials, calibrate them on held-out lassos,
    diffuse the score over the graph, and turn it into P(no labelled class fits)."""
    C = ctx.n_classes
    scorer: dict[tuple[str, ...], float] = {SCORERS[0]: 1.0}
    scorer_scores: dict[str, float] = {}
    trials, reference = _novelty_trials(ctx, records, choice, F_sets, fitted)
    if trials and C > 2:
        scorer, scorer_scores = choose_scorer(trials)
    proto = _prototypes(ctx, lab, fitted[-1])
    views = novelty_views(F_sets[0].F, F_sets[0].F[lab], proto.similarity(ctx.X), proba)
    if C < 2:
        scorer = {("reach", "proto"): 1.0}
    if reference is None:  # no held-out lassos: compare with the labelled points themselves
        reference = {v: x[lab] for v, x in views.items()}
    calibrated = Calibration.of(reference, scorer)
    novelty = calibrated(views)
    novelty[lab] = 0.0  # lassoed points are not novel, and pull their neighbours down
    novelty = diffuse(ctx.W, novelty)
    if trials and C > 2:
        novelty = novelty_probability(novelty, [(calibrated(v), pos) for v, pos in trials],
                                      seed)
    novelty[lab] = 0.0
    return NoveltyScores(novelty, 1.0 - views["reach"], proto, scorer, scorer_scores)


#: Held-out points per class and fold that choosing the blend and the novelty scorer look
#: at (all of them go into the label-noise score). Lassos at n = 1e6 hold 1e5 points; a
#: thousand per class, over 3 folds and all classes, pin a mean accuracy or AUROC down to
#: well under the 0.02-0.03 margins the choices use.
MAX_SCORED_PER_CLASS = 1000


@dataclass
class FoldRecord:
    """One grouped-CV fold: its training seeds, held-out rows and their probas, and the
    positions (into ``rows``) that are scored."""

    index: int
    train: np.ndarray
    rows: np.ndarray
    probas: dict[str, np.ndarray]
    scored: np.ndarray

    def scored_probas(self) -> dict[str, np.ndarray]:
        return {m: p[self.scored] for m, p in self.probas.items()}


def capped_per_class(codes: np.ndarray, cap: int, rng: np.random.Generator) -> np.ndarray:
    """Positions into ``codes`` keeping at most ``cap`` (random) of each class, sorted."""
    keep = [np.flatnonzero(codes == c) for c in np.unique(codes)]
    keep = [k if k.size <= cap else rng.choice(k, cap, replace=False) for k in keep]
    return np.sort(np.concatenate(keep)) if keep else np.zeros(0, np.int64)


def _prototypes(ctx: Context, train: np.ndarray, fitted: dict[str, object]) -> PrototypeHead:
    """The seed set's prototype head: the fitted one when "prototype" was among the learners
    (its class-balanced weights scale whole classes, so the centres are the same)."""
    head = fitted.get("prototype")
    if isinstance(head, PrototypeHead):
        return head
    return PrototypeHead().fit(ctx.take(ctx.X, train),
                               one_hot(ctx.codes[train], ctx.n_classes), ctx.seed_weight[train])


#: A fold's held-out points of a class calibrate novelty only if the fold's training keeps
#: at least this share of the class's trusted label weight (sum of ``seed_weight``). A class
#: trained on a mislabelled lasso alone makes its held-out points look unlike anything
#: labelled, and as the novelty reference they push every point's novelty down (digits, 8
#: ones labelled "zero": 0 grey points instead of 1,561). Such points still count for the
#: blend and the noise score (leaving them out there cost a noise AUROC of 0.910 -> 0.826).
#: 0.05 catches that case and leaves text's novelty as it is, where 0.1 lowered its AUROC
#: 0.807 -> 0.798 (bench_learn, 2 seeds).
MIN_FOLD_TRUST = 0.05


def judged_classes(ctx: Context, train: np.ndarray) -> np.ndarray:
    """The classes whose held-out points a fold trained on ``train`` can calibrate
    novelty with."""
    lab = ctx.codes >= 0
    total = np.bincount(ctx.codes[lab], weights=ctx.seed_weight[lab], minlength=ctx.n_classes)
    kept = np.bincount(ctx.codes[train], weights=ctx.seed_weight[train],
                       minlength=ctx.n_classes)
    return np.flatnonzero((kept > 0) & (kept >= MIN_FOLD_TRUST * total))


def _cross_validate(ctx: Context, trains: list[np.ndarray], folds: list[np.ndarray],
                    F_sets: list[Propagated], names: tuple[str, ...],
                    fitted: list[dict[str, object]], progress: Progress) -> list[FoldRecord]:
    records = []
    for f, (train, held) in enumerate(zip(trains, folds)):
        progress(0.6 + 0.1 * f / len(folds),
                 f"checking accuracy on held-out lassos ({f + 1} of {len(folds)})…")
        rows = held[np.isin(ctx.codes[held], np.unique(ctx.codes[train]))]
        if rows.size:
            probas = all_probas(ctx, train, F_sets[f + 1], fitted[f], names, rows=rows)
            scored = capped_per_class(ctx.codes[rows], MAX_SCORED_PER_CLASS, ctx.rng)
            records.append(FoldRecord(f + 1, train, rows, probas, scored))
    return records


def _combined_noise(graph_noise: np.ndarray, records: list[FoldRecord], choice: Choice,
                    codes: np.ndarray) -> np.ndarray:
    """Average the graph's disagreement with 1 - the out-of-fold probability of the label."""
    noise = graph_noise.copy()
    for r in records:
        p = blend(r.probas, choice.weights)
        p = p / np.maximum(p.sum(axis=1, keepdims=True), 1e-12)
        oof = 1.0 - p[np.arange(r.rows.size), codes[r.rows]]
        noise[r.rows] = 0.5 * (graph_noise[r.rows] + oof)
    return noise.astype(np.float32)


def _novelty_trials(ctx: Context, records: list[FoldRecord], choice: Choice,
                    F_sets: list[Propagated], fitted: list[dict[str, object]]
                    ) -> tuple[list[tuple[dict[str, np.ndarray], np.ndarray]],
                               dict[str, np.ndarray] | None]:
    """Leave-one-class-out trials on the held-out lassos of each fold (``fitted``: the
    learners of each seed set, fold f's at f - 1), and the views of all held-out points
    with every class kept: the reference that calibrates novelty (None without folds).
    Held-out points of a class the fold kept too little of (``judged_classes``) take no part."""
    trials = []
    kept: list[dict[str, np.ndarray]] = []
    for r in records:
        judged = np.isin(ctx.codes[r.rows[r.scored]], judged_classes(ctx, r.train))
        if not judged.any():
            continue
        rows = r.rows[r.scored][judged]
        proto = _prototypes(ctx, r.train, fitted[r.index - 1])
        proto_sim = proto.similarity(ctx.take(ctx.X, rows))
        proba = blend({m: p[judged] for m, p in r.scored_probas().items()}, choice.weights)
        codes = ctx.codes[rows]
        F = F_sets[r.index].F
        F_rows, F_train, train_codes = F[rows], F[r.train], ctx.codes[r.train]
        kept.append(novelty_views(F_rows, F_train, proto_sim, proba))
        present = np.unique(codes)
        if present.size < 2:
            continue
        for c in present:
            views = novelty_views(F_rows, F_train[train_codes != c], proto_sim, proba, drop=c)
            trials.append((views, codes == c))
    reference = {v: np.concatenate([k[v] for k in kept]) for v in kept[0]} if kept else None
    return trials, reference
