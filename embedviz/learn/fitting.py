"""The retraining pipeline behind ``Retrainer.fit``: denoise seeds, choose, fit, score."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from embedviz.compute.knn_graph import KNNGraph
from embedviz.learn._inputs import LabelledData
from embedviz.learn.head import PrototypeHead, Standardiser, one_hot
from embedviz.learn.jobs import Progress
from embedviz.learn.methods import METHODS, Context, all_probas
from embedviz.learn.novelty import label_noise, novelty_score
from embedviz.learn.propagate import (
    balanced_seeds, normalised_operator, reachability, spread, symmetric_affinity, to_proba,
)
from embedviz.learn.select import Choice, blend, choose, cv_folds, cv_units


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


def learners_for(method: str, n_classes: int) -> tuple[str, ...]:
    if n_classes < 2:  # one class: heads are degenerate, the graph still gives reachability
        return ("propagate",)
    return METHODS if method == "auto" else (method,)


def fit_pipeline(
    data: LabelledData, knn: KNNGraph, cfg: Settings, progress: Progress
) -> FitResult:
    C, codes = data.n_classes, data.codes
    lab = data.labelled
    progress(0.02, "building the graph operator")
    W = symmetric_affinity(knn)
    S = normalised_operator(W, cfg.device)
    stand = Standardiser.fit(data.X)
    ctx = Context(X=data.X, Z=stand(data.X), W=W, S=S, codes=codes,
                  seed_weight=np.zeros(codes.shape[0], np.float32), n_classes=C,
                  device=cfg.device, rng=np.random.default_rng(cfg.seed), tick=progress.tick,
                  adapter_steps=cfg.adapter_steps)

    progress(0.08, "scoring label noise")
    first = spread(S, balanced_seeds(codes, (codes >= 0).astype(np.float32), C),
                   alpha=cfg.alpha, n_iter=cfg.n_iter, tick=progress.tick)
    noise = label_noise(W, to_proba(first)[0], codes) if C > 1 else np.zeros(codes.shape[0],
                                                                                np.float32)
    ctx.seed_weight = np.where(codes >= 0, np.clip(1.0 - noise, 0.05, 1.0), 0.0).astype(
        np.float32)

    names = learners_for(cfg.method, C)
    folds: list[np.ndarray] = []
    if len(names) > 1:
        units = cv_units(codes, data.groups, data.X, cfg.seed)
        folds = cv_folds(codes, units, cfg.n_folds, cfg.seed)
    progress(0.15, f"propagating labels ({1 + len(folds)} seed sets)")
    seed_sets = [balanced_seeds(codes, ctx.seed_weight, C)]
    for held in folds:
        w = ctx.seed_weight.copy()
        w[held] = 0.0
        seed_sets.append(balanced_seeds(codes, w, C))
    F_all = spread(S, np.concatenate(seed_sets, axis=1), alpha=cfg.alpha, n_iter=cfg.n_iter,
                   tick=progress.tick)
    F_sets = [F_all[:, i * C:(i + 1) * C] for i in range(len(seed_sets))]

    if folds:
        held_p, held_c, held_w = [], [], []
        for f, held in enumerate(folds):
            progress(0.2 + 0.5 * f / len(folds), f"cross-validating fold {f + 1}/{len(folds)}")
            train = np.setdiff1d(lab, held)
            probas, _ = all_probas(ctx, train, F_sets[f + 1], names)
            keep = np.isin(codes[held], np.unique(codes[train]))
            rows = held[keep]
            held_p.append({m: p[rows] for m, p in probas.items()})
            held_c.append(codes[rows])
            held_w.append(ctx.seed_weight[rows])
        choice = choose(held_p, held_c, held_w, names)
    else:
        choice = Choice({names[0]: 1.0}, {})

    progress(0.75, f"fitting {choice.label}")
    needed = tuple(m for m in names if m in choice.weights)
    probas, models = all_probas(ctx, lab, F_sets[0], needed)
    proba = blend(probas, choice.weights).astype(np.float32)
    proba /= proba.sum(axis=1, keepdims=True)

    progress(0.92, "scoring novelty")
    prop, mass = to_proba(F_sets[0])
    reach = reachability(mass, lab)
    proto = PrototypeHead().fit(data.X[lab], one_hot(codes[lab], C), ctx.seed_weight[lab])
    novelty = novelty_score(reach=reach, graph_conf=prop.max(axis=1),
                            prototype_sim=proto.similarity(data.X), labelled=lab)
    models.setdefault("prototype", proto)
    return FitResult(proba=proba, noise=noise, novelty=novelty, choice=choice, models=models,
                     standardiser=stand, extras={"reach": reach, "propagated": prop})
