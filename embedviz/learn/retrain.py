"""``Retrainer``: semi-supervised retraining from lasso labels on the shared kNN graph."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, column_or_1d

from embedviz.compute.device import device_for, on_device
from embedviz.compute.knn_graph import KNNGraph
from embedviz.learn._inputs import (
    LabelledData,
    check_array_like,
    check_features,
    check_float,
    check_graph,
    check_groups,
    check_int,
    check_labels,
    check_seed,
    unit_rows,
)
from embedviz.learn._rows import row_max
from embedviz.learn.fitting import FitResult, Settings, fit_pipeline
from embedviz.learn.jobs import Cancelled, FitJob, Progress, ProgressFn
from embedviz.learn.methods import METHODS
from embedviz.learn.novelty import discover_classes
from embedviz.learn.suggest import Suggestion, suggest_regions
from embedviz.learn.suspects import SuspectGroup, suspect_groups

__all__ = ["Retrainer", "CandidateClass", "Cancelled", "FitJob", "NOVELTY_THRESHOLD",
           "Suggestion", "SuspectGroup"]


def default_graph(X: np.ndarray, k: int, device: Any = "auto") -> KNNGraph:
    """The shared graph when the caller passed none: ``embedviz.knn(X, k=k)`` (cosine, so
    the rows need not be normalised first)."""
    from embedviz.compute.knn import knn

    return knn(X, k=min(k, X.shape[0] - 1), device=device, progress=False)


#: Novelty at or above which no labelled class fits a point: novelty is the probability of
#: that, fitted on leave-one-class-out trials with both outcomes equally likely, so 0.5 is
#: where a point looks as much like a never-lassoed class as like a lassoed one. The map's
#: grey, the predictions' missing label and every count of such points use one threshold:
#: a Retrainer's ``novelty_threshold`` (this value by default).
NOVELTY_THRESHOLD = 0.5

#: The label of a point no labelled class fits (as ``y`` marks unlabelled points).
NO_LABEL = -1


@dataclass(frozen=True)
class CandidateClass:
    """A possible new class: points no labelled class fits that cluster together.

    ``indices``: the points (into the fitted X), most novel clusters come first;
    ``novelty``: their mean ``novelty_``.
    """

    indices: np.ndarray
    novelty: float


class Retrainer(ClassifierMixin, TransformerMixin, BaseEstimator):
    """Learn every point's class from a few lassos; say where no labelled class fits.

    A transductive semi-supervised classifier on the shared kNN graph (as
    ``sklearn.semi_supervised.LabelSpreading``), with inductive heads for new rows.
    ``y`` marks unlabelled rows with -1 (for class names: -1, None, NaN or "-1").

    Parameters
    ----------
    method : str, default "auto"
        ``"auto"`` blends the learners by cross-validation grouped by lasso (each candidate
        blend weighs by its score, so one more point moves the blend a little), or one of
        ``"propagate"``, ``"distill"``, ``"linear"``, ``"prototype"``, ``"adapter"``.
    k : int, default 15
        Neighbours of the graph built when ``fit`` gets no ``knn``.
    alpha : float, default 0.99
        Label spreading's clamping factor, in (0, 1).
    n_iter : int, default 20
        Label spreading's iterations.
    n_folds : int, default 3
        Folds of the lasso-grouped cross-validation (>= 2).
    adapter_steps : int, default 150
        Training steps of the small adapter network.
    refine_weight : float, default 0.5
        Weight of the class distribution in ``transform``'s refined embedding, in [0, 1).
    novelty_threshold : float, default 0.5
        Novelty at or above which no labelled class fits a point: its label is missing
        (``-1``) in ``transduction_`` and ``predict``, and the Explorer's map shows it grey.
    device : str, default "auto"
        Torch device for the fit's graph work (torch sparse ops). ``"auto"`` runs it on CUDA
        when there is one, else on the CPU (MPS cannot build sparse CSR tensors); a named
        device is used where it can be, and a fit that fails on an accelerator runs again on
        the CPU after a notice.
    random_state : int or None, default 0
        Seed of every random choice (folds, heads, adapter); None for fresh randomness.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels seen in ``y``, sorted.
    label_distributions_ : ndarray of shape (n_samples, n_classes)
        Each point's distribution over the labelled classes (rows sum to 1): which label
        fits best if one does.
    transduction_ : ndarray of shape (n_samples,)
        Each point's label, -1 where no labelled class fits (``novelty_`` at or above
        ``novelty_threshold``); labelled points get the label the model gives them.
    nearest_ : ndarray of shape (n_samples,)
        The closest labelled class (the argmax of ``label_distributions_``), never missing.
    novelty_ : ndarray of shape (n_samples,)
        P(no labelled class fits the point), 0 on labelled points.
    confidence_ : ndarray of shape (n_samples,)
        P(a label fits and it is ``nearest_``) = max(``label_distributions_``) x
        (1 - ``novelty_``). So ``confidence_ + novelty_ <= 1``: a point cannot be both
        confidently labelled and novel, and a grey point has confidence below
        1 - ``novelty_threshold``.
    noise_ : ndarray of shape (n_samples,)
        For labelled points, how much the evidence disagrees with the given label.
    method_ : str
        The blend of learners used (weights by learner).
    cv_scores_ : dict of str to float
        Grouped-CV balanced accuracy of every candidate blend, and of ``method_``.
    n_features_in_ : int
        Features seen in ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from embedviz.learn import Retrainer
    >>> X, y = load_digits(return_X_y=True)
    >>> y_partial = np.full_like(y, -1)
    >>> y_partial[:100] = y[:100]
    >>> model = Retrainer(adapter_steps=20).fit(X, y_partial)
    >>> model.transduction_.shape
    (1797,)
    """

    def __init__(self, method: str = "auto", *, k: int = 15, alpha: float = 0.99,
                 n_iter: int = 20, n_folds: int = 3, adapter_steps: int = 150,
                 refine_weight: float = 0.5, novelty_threshold: float = NOVELTY_THRESHOLD,
                 device: str = "auto", random_state: int | None = 0) -> None:
        self.method = method
        self.k = k
        self.alpha = alpha
        self.n_iter = n_iter
        self.n_folds = n_folds
        self.adapter_steps = adapter_steps
        self.refine_weight = refine_weight
        self.novelty_threshold = novelty_threshold
        self.device = device
        self.random_state = random_state

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        if tags.transformer_tags is not None:  # transform gives float32 whatever X was
            tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    # ---------------------------------------------------------------- fitting
    def _check_params(self) -> Settings:
        """The checked parameters as the pipeline's settings; a bad one raises naming the fix."""
        if not isinstance(self.method, str) or (self.method != "auto"
                                                and self.method not in METHODS):
            raise ValueError(f"Unknown method {self.method!r}; use 'auto' or one of {METHODS}.")
        check_int(self.k, "k", example=15)
        check_float(self.refine_weight, "refine_weight", low=0.0, high=1.0, closed_low=True,
                    example=0.5)
        check_float(self.novelty_threshold, "novelty_threshold", low=0.0, high=1.0,
                    example=NOVELTY_THRESHOLD)
        return Settings(
            method=self.method,
            alpha=check_float(self.alpha, "alpha", low=0.0, high=1.0, example=0.99),
            n_iter=check_int(self.n_iter, "n_iter", example=20),
            n_folds=check_int(self.n_folds, "n_folds", minimum=2, example=3),
            adapter_steps=check_int(self.adapter_steps, "adapter_steps", example=150),
            device=device_for("sparse", self.device), seed=check_seed(self.random_state))

    def _prepare(self, X: Any, y: Any, knn: Any, groups: Any,
                 device: torch.device) -> tuple[LabelledData, KNNGraph]:
        Xn = unit_rows(check_array_like(X), device=device)
        n = Xn.shape[0]
        if n < 3:
            raise ValueError(f"X needs at least 3 samples to build a neighbour graph; got {n} "
                             "sample(s).")
        codes, classes = check_labels(column_or_1d(y, warn=True), n)
        grp = check_groups(groups, codes)
        graph = default_graph(Xn.raw, int(self.k), device) if knn is None else \
            check_graph(knn, n)
        return LabelledData(X=Xn, codes=codes, classes=classes, groups=grp), graph

    def _fit(self, X: Any, y: Any, knn: Any, groups: Any, progress: Progress) -> Retrainer:
        progress(0.0, "checking your labels…")
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
        for model in res.models.values():  # the fit's cancel hook: no use after it, and it
            if hasattr(model, "tick"):     # would tie the model to the fit's thread state
                model.tick = None
        self.classes_ = data.classes
        self.label_distributions_ = res.proba
        self.nearest_ = data.classes[res.proba.argmax(axis=1)]
        self.novelty_ = res.novelty
        self.confidence_ = (row_max(res.proba) * (1.0 - res.novelty)).astype(np.float32)
        self.noise_ = res.noise
        self.method_ = res.choice.label
        self.cv_scores_ = res.choice.scores
        self.novelty_scorer_ = res.novelty_scorer
        self.n_features_in_ = data.X.shape[1]
        self._data, self._graph, self._res = data, graph, res

    @property
    def transduction_(self) -> np.ndarray:
        """Each fitted point's label, -1 where no labelled class fits (``novelty_`` at or
        above ``novelty_threshold``, read now: ``set_params(novelty_threshold=...)`` moves
        it without refitting)."""
        return self._with_missing(self.label_distributions_.argmax(axis=1), self.novelty_)

    def _with_missing(self, codes: np.ndarray, novelty: np.ndarray) -> np.ndarray:
        """Class labels of ``codes``, ``NO_LABEL`` where ``novelty`` reaches the threshold
        (an object array when the classes are names)."""
        novel = novelty >= self.novelty_threshold
        if self.classes_.dtype.kind in "iu":
            return np.where(novel, NO_LABEL, self.classes_[codes]).astype(np.int64)
        out = self.classes_[codes].astype(object)
        out[novel] = NO_LABEL
        return out

    def fit(self, X: Any, y: Any, *, knn: KNNGraph | None = None,
            groups: Any = None) -> Retrainer:
        """Fit on features ``X`` and labels ``y`` (-1 for unlabelled points).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The embedding (used at unit norm: cosine geometry).
        y : array-like of shape (n_samples,)
            Class ids or names; -1 (or, for names, None, NaN or "-1") marks unlabelled rows.
        knn : KNNGraph, optional
            The shared graph (``embedviz.knn(X, k=self.k)`` when None).
        groups : array-like of shape (n_samples,), optional
            The lasso id of each labelled point, so that cross-validation never splits a
            lasso (near-duplicate points); None treats each class as one lasso.

        Returns
        -------
        Retrainer
            The fitted estimator.

        Raises
        ------
        ValueError
            On bad inputs or parameters, naming the fix.
        """
        return self._fit(X, y, knn, groups, Progress())

    def fit_async(self, X: Any, y: Any, *, knn: KNNGraph | None = None, groups: Any = None,
                  on_progress: ProgressFn | None = None) -> FitJob:
        """Start ``fit`` in a background thread.

        Parameters
        ----------
        X, y, knn, groups
            As for ``fit``.
        on_progress : callable, optional
            Called as ``on_progress(fraction, message)`` while fitting.

        Returns
        -------
        FitJob
            ``cancel()``, ``done()``, ``result()`` (the fitted Retrainer).
        """
        self._check_params()
        return FitJob(lambda p: self._fit(X, y, knn, groups, p), on_progress=on_progress)

    # ---------------------------------------------------------------- inference
    def _check_fitted(self) -> None:
        check_is_fitted(self, "label_distributions_")

    def _features(self, X: Any) -> np.ndarray:
        self._check_fitted()
        Xn = check_features(check_array_like(X))
        if Xn.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {Xn.shape[1]} features, but Retrainer is expecting "
                             f"{self.n_features_in_} features as input; pass embeddings from "
                             "the same model as in fit.")
        return Xn

    def _inductive(self, Xn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Class distribution and novelty of new rows.

        Propagation's part and the novelty come from the rows' nearest fitted points
        (cosine^3 weights, as the graph's); the heads of the blend score the rows
        themselves. A row equal to a fitted row gets that row's fitted values, so a point
        the model was fitted on is predicted as the map shows it.
        """
        res, data = self._res, self._data
        train = torch.from_numpy(data.X.array)
        prop = torch.from_numpy(res.extras["propagated"])
        nov = torch.from_numpy(np.ascontiguousarray(self.novelty_, dtype=np.float32))
        k = min(int(self.k), train.shape[0])
        props, novs, same = [], [], []
        for s in range(0, Xn.shape[0], 4096):
            rows = torch.from_numpy(Xn[s:s + 4096])
            top, idx = (rows @ train.T).topk(k, dim=1)
            w = top.clamp_min(0) ** 3 + 1e-12
            props.append(((w[..., None] * prop[idx]).sum(1) / w.sum(1, keepdim=True)).numpy())
            novs.append(((w * nov[idx]).sum(1) / w.sum(1)).numpy())
            first = idx[:, 0].numpy()
            equal = (Xn[s:s + 4096] == data.X.array[first]).all(axis=1)
            same.append(np.where(equal, first, -1))
        total = np.zeros((Xn.shape[0], self.classes_.size), dtype=np.float32)
        for name, share in res.choice.weights.items():
            if name == "propagate":
                p = np.concatenate(props)
            elif name == "prototype":
                p = res.models[name].predict_proba(Xn)  # type: ignore[attr-defined]
            else:
                p = res.models[name].predict_proba(res.standardiser(Xn))  # type: ignore
            total += share * p
        proba = total / total.sum(axis=1, keepdims=True)
        novelty = np.concatenate(novs).astype(np.float32)
        known = np.concatenate(same)
        hit = known >= 0
        proba[hit] = self.label_distributions_[known[hit]]
        novelty[hit] = self.novelty_[known[hit]]
        return proba, novelty

    def predict_proba(self, X: Any) -> np.ndarray:
        """Distribution over the labelled classes for rows of X (which label fits best if
        one does; ``predict_novelty`` says whether one does).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows embedded as in ``fit``.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Rows sum to 1; columns follow ``classes_``.
        """
        return self._inductive(self._features(X))[0]

    def predict_novelty(self, X: Any) -> np.ndarray:
        """P(no labelled class fits) for rows of X: the fitted novelty of their nearest
        fitted points (cosine^3 weights), or their own when the row was fitted.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows embedded as in ``fit``.

        Returns
        -------
        ndarray of shape (n_samples,)
            Novelty in [0, 1].
        """
        return self._inductive(self._features(X))[1]

    def predict(self, X: Any) -> np.ndarray:
        """Label of rows of X: the best-fitting class, or -1 where no labelled class fits
        (novelty at or above ``novelty_threshold``), as in ``transduction_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows embedded as in ``fit``.

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``, or -1.
        """
        proba, novelty = self._inductive(self._features(X))
        return self._with_missing(proba.argmax(axis=1), novelty)

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

        Returns
        -------
        KNNGraph
            Over the fitted rows, cosine metric.
        """
        self._check_fitted()
        g, X, w = self._graph, self._data.X, self.refine_weight
        sharp = self._sharpened(self.label_distributions_)
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

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The fitted rows (or new rows embedded the same way).

        Returns
        -------
        ndarray of shape (n_samples, n_features + n_classes)
        """
        Xn = self._features(X)
        same = Xn.shape == self._data.X.shape and np.array_equal(Xn, self._data.X.array)
        proba = self.label_distributions_ if same else self._inductive(Xn)[0]
        w = self.refine_weight
        return np.hstack([np.sqrt(1.0 - w) * Xn, np.sqrt(w) * self._sharpened(proba)]).astype(
            np.float32)

    # ---------------------------------------------------------------- guidance
    def discover(self, *, min_novelty: float | None = None, max_classes: int = 8,
                 min_size: int = 5) -> list[CandidateClass]:
        """Candidate new classes: clusters of the points no labelled class fits.

        Parameters
        ----------
        min_novelty : float, optional
            Points at or above this novelty are clustered (``novelty_threshold`` when None).
        max_classes : int, default 8
            Most clusters tried (their count is chosen by silhouette).
        min_size : int, default 5
            Smallest cluster returned.

        Returns
        -------
        list of CandidateClass
            Most novel first; [] when too few points are novel.
        """
        self._check_fitted()
        if min_novelty is None:
            min_novelty = self.novelty_threshold
        if not 0.0 <= min_novelty <= 1.0:
            raise ValueError(f"min_novelty is a probability: pass a value in [0, 1], "
                             f"not {min_novelty!r}.")
        if max_classes < 1 or min_size < 1:
            raise ValueError("max_classes and min_size must be positive integers.")
        found = discover_classes(self._data.X, self.novelty_, min_novelty=min_novelty,
                                 max_classes=max_classes, min_size=min_size,
                                 seed=check_seed(self.random_state))
        return [CandidateClass(c, float(self.novelty_[c].mean())) for c in found]

    def suspects(self, *, min_noise: float = 0.5) -> list[SuspectGroup]:
        """Labels that look wrong, grouped so each group can be fixed at once.

        Parameters
        ----------
        min_noise : float, default 0.5
            Labelled points predicted as another class with ``noise_`` at least this (in
            [0, 1]) are suspects.

        Returns
        -------
        list of SuspectGroup
            Grouped by (given, predicted) class, biggest group first: relabel a group's
            ``indices`` as its ``predicted`` class to fix it.

        Raises
        ------
        ValueError
            When ``min_noise`` is not in [0, 1].
        """
        self._check_fitted()
        if isinstance(min_noise, bool) or not isinstance(min_noise, (int, float)) or not (
                0.0 <= min_noise <= 1.0):
            raise ValueError(f"min_noise is a score in [0, 1] (0.5: the label gets less than "
                             f"half the support); got {min_noise!r}.")
        return suspect_groups(self._data.codes, self.label_distributions_.argmax(axis=1),
                              self.noise_,
                              self.classes_, min_noise=float(min_noise))

    def suggest(self, n_regions: int = 5, *, region_size: int = 50) -> list[Suggestion]:
        """Where to lasso next: unlabelled clusters and dense uncertain regions.

        Parameters
        ----------
        n_regions : int, default 5
            How many regions to suggest.
        region_size : int, default 50
            Points in each region.

        Returns
        -------
        list of Suggestion
            The regions, most useful first.

        Raises
        ------
        ValueError
            When ``n_regions`` or ``region_size`` is not a positive integer.
        """
        self._check_fitted()
        if n_regions < 1 or region_size < 1:
            raise ValueError("n_regions and region_size must be positive integers.")
        return suggest_regions(X=self._data.X.array, neighbours=self._graph.indices,
                               distances=self._graph.distances,
                               confidence=row_max(self.label_distributions_),
                               labelled_mask=self._data.codes >= 0,
                               n_classes=self.classes_.size, n_regions=n_regions,
                               region_size=region_size, seed=check_seed(self.random_state))
