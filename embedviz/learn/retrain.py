"""``Retrainer``: semi-supervised retraining from lasso labels on the shared kNN graph."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import torch

from embedviz.compute.device import device_for, on_device
from embedviz.compute.knn_graph import KNNGraph
from embedviz.learn._inputs import (
    LabelledData, check_features, check_float, check_graph, check_groups, check_int,
    check_labels, check_seed, unit_rows,
)
from embedviz.learn._rows import row_max
from embedviz.learn.fitting import FitResult, Settings, fit_pipeline
from embedviz.learn.jobs import Cancelled, FitJob, Progress, ProgressFn
from embedviz.learn.methods import METHODS
from embedviz.learn.novelty import discover_classes
from embedviz.learn.suggest import Suggestion, suggest_regions
from embedviz.learn.suspects import SuspectGroup, suspect_groups

__all__ = ["Retrainer", "Cancelled", "FitJob", "Suggestion", "SuspectGroup"]


def default_graph(X: np.ndarray, k: int, device: Any = "auto") -> KNNGraph:
    """The shared graph when the caller passed none: ``embedviz.knn(X, k=k)`` (cosine, so
    the rows need not be normalised first)."""
    from embedviz.compute.knn import knn

    return knn(X, k=min(k, X.shape[0] - 1), device=device, progress=False)


class Retrainer:
    """Learn every point's class from a few lassos (labels -1 = unlabelled).

    ``method``: ``"auto"`` (blend chosen by cross-validation grouped by lasso), or one of
    ``"propagate"``, ``"distill"``, ``"linear"``, ``"prototype"``, ``"adapter"``.
    Fitted: ``labels_``, ``proba_``, ``confidence_``, ``novelty_``, ``noise_``, ``classes_``,
    ``method_`` (the chosen blend) and ``cv_scores_``.

    ``device``: ``"auto"`` runs the fit's graph work (torch sparse ops) on CUDA when there is
    one, else on the CPU (MPS cannot build sparse CSR tensors); a named device is used where
    it can be, and a fit that fails on an accelerator runs again on the CPU after a notice.

    Parameters are checked when fitting (scikit-learn style): ``k``, ``n_iter`` and
    ``adapter_steps`` positive integers, ``n_folds`` an integer >= 2, ``alpha`` in (0, 1),
    ``refine_weight`` in [0, 1), ``random_state`` None or a non-negative integer.
    """

    def __init__(self, method: str = "auto", *, k: int = 15, alpha: float = 0.99,
                 n_iter: int = 20, n_folds: int = 3, adapter_steps: int = 150,
                 refine_weight: float = 0.5, device: str = "auto",
                 random_state: int = 0) -> None:
        self.method = method
        self.k = k
        self.alpha = alpha
        self.n_iter = n_iter
        self.n_folds = n_folds
        self.adapter_steps = adapter_steps
        self.refine_weight = refine_weight
        self.device = device
        self.random_state = random_state

    # ---------------------------------------------------------------- fitting
    def _check_params(self) -> Settings:
        """The checked parameters as the pipeline's settings; a bad one raises naming the fix."""
        if not isinstance(self.method, str) or (self.method != "auto"
                                                and self.method not in METHODS):
            raise ValueError(f"Unknown method {self.method!r}; use 'auto' or one of {METHODS}.")
        check_int(self.k, "k", example=15)
        check_float(self.refine_weight, "refine_weight", low=0.0, high=1.0, closed_low=True,
                    example=0.5)
        return Settings(
            method=self.method,
            alpha=check_float(self.alpha, "alpha", low=0.0, high=1.0, example=0.99),
            n_iter=check_int(self.n_iter, "n_iter", example=20),
            n_folds=check_int(self.n_folds, "n_folds", minimum=2, example=3),
            adapter_steps=check_int(self.adapter_steps, "adapter_steps", example=150),
            device=device_for("sparse", self.device), seed=check_seed(self.random_state))

    def _prepare(self, X: Any, y: Any, knn: Any, groups: Any,
                 device: torch.device) -> tuple[LabelledData, KNNGraph]:
        Xn = unit_rows(X, device=device)
        n = Xn.shape[0]
        if n < 3:
            raise ValueError(f"X needs at least 3 rows to build a neighbour graph; got {n}.")
        codes, classes = check_labels(y, n)
        grp = check_groups(groups, codes)
        graph = default_graph(Xn.raw, int(self.k), device) if knn is None else \
            check_graph(knn, n)
        return LabelledData(X=Xn, codes=codes, classes=classes, groups=grp), graph

    def _fit(self, X: Any, y: Any, knn: Any, groups: Any, progress: Progress) -> "Retrainer":
        progress(0.0, "checking inputs")
        cfg = self._check_params()

        def fit_on(dev: torch.device) -> tuple[LabelledData, KNNGraph, FitResult]:
            data, graph = self._prepare(X, y, knn, groups, dev)
            return data, graph, fit_pipeline(data, graph, replace(cfg, device=dev), progress)

        # the graph work is sparse: it runs where sparse ops do, and on the CPU where the
        # device fails mid-fit
        self._store(*on_device("sparse", cfg.device, fit_on, step="retrain"))
        progress(1.0, "done")
        return self

    def _store(self, data: LabelledData, graph: KNNGraph, res: FitResult) -> None:
        # the fitted model keeps no copy of X on the GPU (1.5 GB at 1e6 x 384)
        data = replace(data, X=replace(data.X, device_rows=None))
        self.classes_ = data.classes
        self.proba_ = res.proba
        self.labels_ = data.classes[res.proba.argmax(axis=1)]
        self.confidence_ = row_max(res.proba)
        self.novelty_ = res.novelty
        self.noise_ = res.noise
        self.method_ = res.choice.label
        self.cv_scores_ = res.choice.scores
        self.novelty_scorer_ = res.novelty_scorer
        self.n_features_in_ = data.X.shape[1]
        self._data, self._graph, self._res = data, graph, res

    def fit(self, X: Any, y: Any, *, knn: KNNGraph | None = None,
            groups: Any = None) -> "Retrainer":
        """Fit on features ``X`` (n, d) and labels ``y`` (n,) with -1 for unlabelled.

        ``knn``: the shared graph (``embedviz.knn(X, k=15)`` when None); ``groups``: the lasso
        id of each labelled point (used to cross-validate without leaking within a lasso).
        """
        return self._fit(X, y, knn, groups, Progress())

    def fit_async(self, X: Any, y: Any, *, knn: KNNGraph | None = None, groups: Any = None,
                  on_progress: ProgressFn | None = None) -> FitJob:
        """Start ``fit`` in a background thread; returns a ``FitJob`` (cancel/done/result)."""
        self._check_params()
        return FitJob(lambda p: self._fit(X, y, knn, groups, p), on_progress=on_progress)

    # ---------------------------------------------------------------- inference
    def _check_fitted(self) -> None:
        if not hasattr(self, "proba_"):
            raise RuntimeError("This Retrainer is not fitted yet; call fit(X, y) first.")

    def _features(self, X: Any) -> np.ndarray:
        self._check_fitted()
        Xn = check_features(X)
        if Xn.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {Xn.shape[1]} features, but the Retrainer was fitted on "
                             f"{self.n_features_in_}; pass embeddings from the same model.")
        return Xn

    def _neighbour_proba(self, Xn: np.ndarray) -> np.ndarray:
        """Propagated distribution of the new points' nearest fitted points (cosine^3)."""
        train = torch.from_numpy(self._data.X.array)
        prop = torch.from_numpy(self._res.extras["propagated"])
        k = min(self.k, train.shape[0])
        out = []
        for s in range(0, Xn.shape[0], 4096):
            sim = torch.from_numpy(Xn[s:s + 4096]) @ train.T
            top, idx = sim.topk(k, dim=1)
            w = top.clamp_min(0) ** 3 + 1e-12
            out.append(((w[..., None] * prop[idx]).sum(1) / w.sum(1, keepdim=True)).numpy())
        return np.concatenate(out).astype(np.float32)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class distribution for new points through the inductive heads of the chosen blend."""
        Xn = self._features(X)
        res = self._res
        total = np.zeros((Xn.shape[0], self.classes_.size), dtype=np.float32)
        for name, w in res.choice.weights.items():
            if name == "propagate":
                p = self._neighbour_proba(Xn)
            elif name == "prototype":
                p = res.models[name].predict_proba(Xn)  # type: ignore[attr-defined]
            else:
                p = res.models[name].predict_proba(res.standardiser(Xn))  # type: ignore
            total += w * p
        return total / total.sum(axis=1, keepdims=True)

    def predict(self, X: Any) -> np.ndarray:
        """Class label of new points (see ``predict_proba``)."""
        self._check_fitted()
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    @staticmethod
    def _sharpened(proba: np.ndarray) -> np.ndarray:
        """Unit rows of ``proba ** 4``: the class part of the refined embedding."""
        sharp = proba ** 4
        return (sharp / np.linalg.norm(sharp, axis=1, keepdims=True)).astype(np.float32)

    def refine_graph(self) -> KNNGraph:
        """The shared graph with its edges re-weighted as ``transform`` measures them.

        Same neighbours, distance ``1 - ((1 - w) cos + w p.p')`` and re-sorted, so a new map
        comes from ``reduce(transform(X), knn=refine_graph(), init=previous_xy)`` without
        searching neighbours again (the shared graph is never rebuilt per retrain).
        """
        self._check_fitted()
        g, X, w = self._graph, self._data.X, self.refine_weight
        sharp = self._sharpened(self.proba_)
        dist = np.empty(g.distances.shape, dtype=np.float32)
        for s in range(0, g.n, 8192):  # (rows, k, d) gathers in blocks: bounded memory
            idx = g.indices[s:s + 8192]
            cos = 1.0 - g.distances[s:s + 8192] if g.metric == "cosine" else np.einsum(
                "ikd,id->ik", X[idx], X[s:s + 8192])
            agree = np.einsum("ikc,ic->ik", sharp[idx], sharp[s:s + 8192])
            dist[s:s + 8192] = np.clip(1.0 - ((1.0 - w) * cos + w * agree), 0.0, 2.0)
        order = np.argsort(dist, axis=1, kind="stable")
        rows = np.arange(g.n)[:, None]
        return KNNGraph(indices=g.indices[rows, order], distances=dist[rows, order],
                        metric="cosine", exact=g.exact, recall=g.recall)

    def transform(self, X: Any) -> np.ndarray:
        """Label-aware refined embedding for ``reduce(..., init=previous_xy)``.

        Unit features next to the (sharpened, unit) class distribution, weighted
        ``refine_weight``: cosine similarity becomes ``(1 - w) cos(x, x') + w p.p'``, so
        same-class points move together while the structure inside a class is kept.
        """
        Xn = self._features(X)
        same = Xn.shape == self._data.X.shape and np.array_equal(Xn, self._data.X.array)
        proba = self.proba_ if same else self.predict_proba(Xn)
        w = self.refine_weight
        return np.hstack([np.sqrt(1.0 - w) * Xn, np.sqrt(w) * self._sharpened(proba)]).astype(
            np.float32)

    # ---------------------------------------------------------------- guidance
    def discover(self, *, min_novelty: float = 0.5, max_classes: int = 8,
                 min_size: int = 5) -> list[np.ndarray]:
        """Candidate new classes: clusters (indices) of the points that fit no labelled class
        (``novelty_ >= min_novelty``), most novel first; their count is estimated by
        silhouette. [] when too few points are novel."""
        self._check_fitted()
        if not 0.0 <= min_novelty <= 1.0:
            raise ValueError(f"min_novelty is a probability: pass a value in [0, 1], "
                             f"not {min_novelty!r}.")
        if max_classes < 1 or min_size < 1:
            raise ValueError("max_classes and min_size must be positive integers.")
        return discover_classes(self._data.X, self.novelty_, min_novelty=min_novelty,
                                max_classes=max_classes, min_size=min_size,
                                seed=self.random_state)

    def suspects(self, *, min_noise: float = 0.5) -> list[SuspectGroup]:
        """Labels that look wrong: labelled points predicted as another class with
        ``noise_ >= min_noise``, grouped by (given, predicted) class, biggest group first.
        Each group can be fixed at once: relabel its ``indices`` as ``predicted``."""
        self._check_fitted()
        if isinstance(min_noise, bool) or not isinstance(min_noise, (int, float)) or not (
                0.0 <= min_noise <= 1.0):
            raise ValueError(f"min_noise is a score in [0, 1] (0.5: the label gets less than "
                             f"half the support); got {min_noise!r}.")
        return suspect_groups(self._data.codes, self.proba_.argmax(axis=1), self.noise_,
                              self.classes_, min_noise=float(min_noise))

    def suggest(self, n_regions: int = 5, *, region_size: int = 50) -> list[Suggestion]:
        """Where to lasso next: unlabelled clusters and dense uncertain regions."""
        self._check_fitted()
        if n_regions < 1 or region_size < 1:
            raise ValueError("n_regions and region_size must be positive integers.")
        return suggest_regions(X=self._data.X.array, neighbours=self._graph.indices,
                               distances=self._graph.distances, confidence=self.confidence_,
                               labelled_mask=self._data.codes >= 0,
                               n_classes=self.classes_.size, n_regions=n_regions,
                               region_size=region_size, seed=self.random_state)
