"""The candidate learners ``Retrainer`` chooses between, all sharing one fitted context.

Each returns an (n, C) class distribution for every point given which labelled points are
training seeds, so cross-validation and the final fit run the very same code.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from embedviz.compute.device import cpu_threads
from embedviz.learn.adapter import Adapter, AdapterTask
from embedviz.learn.head import (
    LinearHead,
    PrototypeHead,
    class_balanced_weights,
    one_hot,
)
from embedviz.learn.propagate import Propagated, reachability, reachability_reference

Report = Callable[[float, str], None]

METHODS = ("propagate", "distill", "linear", "prototype", "adapter")

#: Points the distilled head and the adapter train on at most (the rest are predicted).
MAX_DISTILL_POINTS = 4000


@dataclass
class Context:
    """Everything the learners share for one ``fit``: features, graph, labels, device."""

    X: torch.Tensor  # (n, d) unit-norm rows, on the device (moved there once per fit)
    Z: torch.Tensor  # (n, d) standardised rows for the heads, on the device
    W: torch.Tensor  # symmetric affinity (sparse CSR) on the device
    S: torch.Tensor  # normalised operator on the device
    codes: np.ndarray  # (n,) class code or -1
    seed_weight: np.ndarray  # (n,) trust in each label (1 - noise), 0 for unlabelled
    n_classes: int
    device: torch.device
    rng: np.random.Generator
    tick: Callable[[], None]
    adapter_steps: int = 150

    def take(self, feats: torch.Tensor, rows: np.ndarray) -> torch.Tensor:
        """Rows of a device feature tensor."""
        return feats[torch.from_numpy(np.asarray(rows, dtype=np.int64)).to(feats.device)]


def entropy_confidence(proba: np.ndarray) -> np.ndarray:
    """1 - normalised entropy: 1 for a one-hot row, 0 for a uniform one."""
    C = proba.shape[1]
    if C < 2:
        return np.ones(proba.shape[0], dtype=np.float32)
    ent = -(proba * np.log(np.clip(proba, 1e-12, 1.0))).sum(axis=1)
    return (1.0 - ent / np.log(C)).astype(np.float32)


def _labelled_fit_data(ctx: Context, train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    T = one_hot(ctx.codes[train], ctx.n_classes)
    return T, class_balanced_weights(T, ctx.seed_weight[train])


LinearProblem = tuple[torch.Tensor, np.ndarray, np.ndarray]  # rows' features, targets, weights


def linear_problem(ctx: Context, train: np.ndarray) -> LinearProblem:
    """The linear head's data: the seeds (a random share of very large lassos)."""
    if train.size > MAX_DISTILL_POINTS:  # lassos of 1e5 points: a random share is as good
        train = np.sort(ctx.rng.choice(train, MAX_DISTILL_POINTS, replace=False))
    T, w = _labelled_fit_data(ctx, train)
    return ctx.take(ctx.Z, train), T, w


def distill_weights(prop: np.ndarray, mass: np.ndarray, train: np.ndarray,
                    rows: np.ndarray, seed: np.ndarray) -> np.ndarray:
    """Pseudo-label trust of ``rows`` = reachability x (1 - entropy); seeds (``seed`` marks
    them among ``rows``) count fully."""
    ref = reachability_reference(mass[train], mass)
    w = reachability(mass[rows], ref) * entropy_confidence(prop[rows])
    w[seed] = 1.0
    return w


def distill_rows(n: int, train: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """All rows when small; else up to half the budget of seeds plus random other points."""
    if n <= MAX_DISTILL_POINTS:
        return np.arange(n)
    seeds = train if train.size <= MAX_DISTILL_POINTS // 2 else rng.choice(
        train, MAX_DISTILL_POINTS // 2, replace=False)
    free = np.ones(n, dtype=bool)
    free[train] = False
    others = np.flatnonzero(free)
    pick = rng.choice(others, min(others.size, MAX_DISTILL_POINTS - seeds.size), replace=False)
    return np.union1d(seeds, pick)


def distill_problem(ctx: Context, train: np.ndarray, spread: Propagated) -> LinearProblem:
    """The distilled head's data: propagated labels weighted by reachability x confidence."""
    rows = distill_rows(ctx.X.shape[0], train, ctx.rng)
    is_seed = np.zeros(ctx.X.shape[0], dtype=bool)  # a mask, not np.isin: 70 ms at 1e6
    is_seed[train] = True
    seed = is_seed[rows]
    w = distill_weights(spread.prop, spread.mass, train, rows, seed)
    T = spread.prop[rows].copy()
    T[seed] = one_hot(ctx.codes[rows[seed]], ctx.n_classes)
    wb = class_balanced_weights(T, w * np.where(seed, ctx.seed_weight[rows], 1.0))
    return ctx.take(ctx.Z, rows), T, wb


def fit_adapters(ctx: Context, tasks: list[AdapterTask],
                 report: Report | None = None) -> list[Adapter]:
    """One adapter per task, all trained together; ``report(fraction, message)`` hears how
    far the training is (every 20 steps)."""
    message = "learning from your labels (fine-tuning)…"

    def on_step(done: float) -> None:
        if report is None:
            ctx.tick()
        else:
            report(done, message)

    # batches of 256 rows: extra threads only spin (a second thread without an idle core
    # made the adapter 25x slower in a measured run: 30 s instead of 1.1 s per fit)
    with cpu_threads(ctx.device, 1):
        return Adapter(steps=ctx.adapter_steps, device=ctx.device,
                       seed=int(ctx.rng.integers(1 << 30))).fit_many(ctx.Z, tasks,
                                                                     on_step=on_step)


def fit_learners(ctx: Context, jobs: list[tuple[np.ndarray, Propagated]],
                 names: tuple[str, ...], report: Report | None = None) -> list[dict[str, object]]:
    """The named learners for every (training seeds, spread) job: one dict per job. Each
    kind is trained for all jobs at once (batched), which is what makes a GPU retrain fast.
    ``report(fraction, message)`` hears the progress (fractions of this step, 0 to 1)."""
    out: list[dict[str, object]] = [{} for _ in jobs]
    problems: list[tuple[int, str, LinearProblem]] = []
    seeds = [_labelled_fit_data(ctx, train) for train, _ in jobs]  # (targets, weights)
    for j, (train, spread) in enumerate(jobs):
        if "linear" in names:
            problems.append((j, "linear", linear_problem(ctx, train)))
        if "distill" in names:
            problems.append((j, "distill", distill_problem(ctx, train, spread)))
        if "prototype" in names:
            out[j]["prototype"] = PrototypeHead().fit(ctx.take(ctx.X, train), *seeds[j])
    if problems:
        if report is not None:
            report(0.0, "learning from your labels…")
        heads = LinearHead(l2=1.0, device=ctx.device, tick=ctx.tick).fit_many(
            [p for *_, p in problems])
        for (j, name, _), head in zip(problems, heads):
            out[j][name] = head
    if "adapter" in names:
        adapter_report = None if report is None else (
            lambda f, msg: report(0.2 + 0.8 * f, msg))
        tasks = [AdapterTask(train, *seeds[j], spread.prop)
                 for j, (train, spread) in enumerate(jobs)]
        for j, adapter in enumerate(fit_adapters(ctx, tasks, adapter_report)):
            out[j]["adapter"] = adapter
    return out


#: Floor of the propagation's say where the labels do not reach (keeps rows non-zero).
MIN_REACH = 1e-3


def abstaining(prop: np.ndarray, mass: np.ndarray, ref: float) -> np.ndarray:
    """Propagation's vote scaled by reachability: where the labels reach a point weakly
    (another graph component, an unlabelled sub-cluster) it abstains and the inductive heads
    decide the blend. Its argmax is unchanged, so alone it predicts as before."""
    return prop * np.maximum(reachability(mass, ref), MIN_REACH)[:, None]


def all_probas(
    ctx: Context,
    train: np.ndarray,
    spread: Propagated,
    fitted: dict[str, object],
    names: tuple[str, ...] = METHODS,
    rows: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Class distributions of ``rows`` (every point when None) from each named method, with
    the ``fitted`` learners of this seed set. Cross-validation asks only for held-out rows."""
    out: dict[str, np.ndarray] = {}
    if "propagate" in names:
        at = slice(None) if rows is None else rows
        out["propagate"] = abstaining(spread.prop[at], spread.mass[at],
                                      reachability_reference(spread.mass[train], spread.mass))
    for name in names:
        if name == "propagate":
            continue
        ctx.tick()
        feats = ctx.X if name == "prototype" else ctx.Z
        if rows is not None:
            feats = ctx.take(feats, rows)
        out[name] = fitted[name].predict_proba(feats)  # type: ignore[attr-defined]
    return out
