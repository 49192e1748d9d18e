"""The Explorer's retrain: a background fit, then the map re-projected with the model and
shown; each retrain can be cancelled, and only the latest one touches the widget."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..learn.retrain import NOVELTY_THRESHOLD
from .predicting import RetrainResult, finite_or_none, prediction_frame

if TYPE_CHECKING:
    from ..learn.retrain import Retrainer
    from .core import Explorer

__all__ = ["Retraining", "RetrainResult", "RetrainRun"]


@dataclass(eq=False)
class RetrainRun:
    """One retrain: the labels it learns (stable ids and their names at the start; the model
    predicts positions in these lists), its own cancel and finished events, and its model."""

    label_ids: list[int]
    names: list[str]
    started: float
    job: Any = None
    cancel: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    applying: bool = False  # its model is going onto the map: too late to cancel
    model: Any = None
    result: RetrainResult | None = None
    error: BaseException | None = None

    def check(self) -> None:
        """Raise ``Cancelled`` once the retrain was cancelled."""
        if self.cancel.is_set():
            from ..learn.jobs import Cancelled

            raise Cancelled("the retrain was cancelled")


class Retraining:
    """Starting, waiting for, cancelling and showing the retrains of one Explorer.

    Parameters
    ----------
    ex : Explorer
        Read through ``store``, ``graph``, ``xy`` and its embedding, settings and lock;
        shown through its ``view``, ``scatter`` and ``_recolour()``.

    Notes
    -----
    It owns the runs (the latest started, the one shown), the shown model's findings
    (suggestions, suspects, candidate new classes) and the round count.
    """

    def __init__(self, ex: Explorer) -> None:
        self.ex = ex
        self.shown: RetrainRun | None = None  # the retrain whose model is on the map
        self.latest: RetrainRun | None = None  # the latest retrain started
        self.finish_event = threading.Event()  # the latest retrain's finished event
        self.finish_event.set()  # none started: nothing to wait for
        self.suggestions: list[np.ndarray] = []
        self.candidates: list[np.ndarray] = []
        self.candidates_for: Any = None
        self.shown_candidate = -1
        self.suspects: list[Any] = []  # the shown model's SuspectGroups, by label name
        self.suspect_mask = np.zeros(ex._data.n, dtype=bool)
        self.shown_suspect = -1
        self.discover_lock = threading.Lock()
        self.round = 0
        self._novelty_threshold = NOVELTY_THRESHOLD

    @property
    def novelty_threshold(self) -> float:
        """Novelty at or above which no label fits (see ``Explorer.novelty_threshold``)."""
        return self._novelty_threshold

    @novelty_threshold.setter
    def novelty_threshold(self, value: float) -> None:
        from ..learn._inputs import check_float

        value = check_float(value, "novelty_threshold", low=0.0, high=1.0,
                            example=NOVELTY_THRESHOLD)
        with self.ex._lock:
            self._novelty_threshold = value
            shown = self.shown
            if shown is not None:
                shown.model.set_params(novelty_threshold=value)
        self.ex._recolour()

    def retrain(self, *, wait: bool = True,
                timeout: float | None = None) -> RetrainResult | None:
        """Learn from the labels, then update predictions, colours and the map.

        Parameters
        ----------
        wait : bool, default True
            False returns at once (the UI's Retrain button does this); the map updates when
            the work ends, and ``cancel_retrain()`` stops it.
        timeout : float, optional
            Seconds to wait; past them ``TimeoutError`` is raised and the retrain goes on.

        Returns
        -------
        RetrainResult or None
            The round, its time and the predicted counts (None with ``wait=False``).

        Raises
        ------
        ValueError
            When no point is labelled yet.
        Cancelled
            When the retrain was cancelled (an interrupt, Ctrl+C, while waiting cancels it).
        """
        run = self._start_retrain()
        if not wait or run is None:
            return None
        try:
            self._wait(run, timeout)
        except KeyboardInterrupt:  # Ctrl+C (interrupt the kernel) stops the retrain too
            self._cancel(run)
            raise
        return run.result

    @property
    def model(self) -> Retrainer | None:
        """The fitted ``Retrainer`` whose predictions the map shows (None before the first
        retrain). Its classes are positions into the label names it learnt: use
        ``predictions`` or ``predict`` for names."""
        shown = self.shown
        return None if shown is None else shown.model

    @property
    def predictions(self) -> pd.DataFrame | None:
        """After a retrain, per point: ``label`` (missing where the map is grey: no label
        fits), ``nearest`` (the closest label), ``confidence`` and ``novelty``; None before.

        ``novelty`` is P(no label fits); ``confidence`` is P(a label fits and it is
        ``nearest``) = max class probability x (1 - novelty), so the two cannot both be
        high: ``confidence + novelty <= 1``. ``label`` is missing exactly where ``novelty``
        reaches the model's ``novelty_threshold``.
        """
        shown = self.shown
        if shown is None:
            return None
        m = shown.model
        return prediction_frame(m, self.names_now(shown), self.ex._data.frame.index,
                                np.asarray(m.transduction_, dtype=np.int64),
                                np.asarray(m.novelty_), np.asarray(m.label_distributions_))

    def predict(self, data: Any = None, *, embedding: Any = None) -> pd.DataFrame:
        """Predict new rows with the model on the map, as ``predictions`` shows known ones.

        Parameters
        ----------
        data : DataFrame, list of texts, optional
            New rows. With a text (or image) Explorer they are embedded by the same model
            as the Explorer's data, from the same column (a list or Series is that column);
            an Explorer given ``embedding="column"`` reads that column of vectors.
        embedding : array-like of shape (n_rows, d), optional
            Their embedding, when the Explorer got ``embedding=`` (or to skip embedding).

        Returns
        -------
        DataFrame
            ``label`` (missing where no label fits), ``nearest``, ``confidence``,
            ``novelty``, indexed as ``data`` (or 0..n-1).

        Raises
        ------
        RuntimeError
            Before the first retrain.
        ValueError
            When neither ``embedding`` nor embeddable ``data`` is given, or texts are
            missing.

        Examples
        --------
        >>> ex.retrain()                                             # doctest: +SKIP
        >>> ex.predict(new_df)                                       # doctest: +SKIP
        """
        shown = self.shown
        if shown is None:
            raise RuntimeError("Nothing learnt yet: call ex.retrain() (or press Retrain) "
                               "before predicting.")
        m = shown.model
        X, index = self._new_rows(data, embedding)
        proba, novelty = m.predict_proba(X), m.predict_novelty(X)
        codes = np.asarray(m.classes_)[proba.argmax(axis=1)]
        label = np.where(novelty >= m.novelty_threshold, -1, codes)
        return prediction_frame(m, self.names_now(shown), index, label, novelty, proba)

    def _new_rows(self, data: Any, embedding: Any) -> tuple[np.ndarray, pd.Index]:
        """The embedding of rows to predict and their index (see ``predict``)."""
        from .dataset import checked_texts

        if embedding is not None:
            X = np.asarray(embedding, dtype=np.float32)
            if X.ndim != 2:
                raise ValueError(f"embedding must be 2-D (n_rows, d); got shape {X.shape}.")
            index = data.index if isinstance(data, (pd.DataFrame, pd.Series)) else \
                pd.RangeIndex(X.shape[0])
            if len(index) != X.shape[0]:
                raise ValueError(f"data has {len(index)} rows but embedding {X.shape[0]}; "
                                 "pass one embedding row per data row.")
            return X, index
        d = self.ex._data
        vectors = self.ex._embedding_column
        if isinstance(data, pd.DataFrame) and vectors is not None and vectors in data.columns:
            from .dataset import _stack_column

            return _stack_column(data[vectors], vectors), data.index
        column = d.text_column or d.image_column
        if d.image_column is not None and self.ex._encoder is None:
            column = None  # images without a model: only vectors can be predicted
        if data is None or column is None:
            raise ValueError("Pass embedding= (the new rows' vectors from the model that made "
                             "the Explorer's embedding)" + ("" if column is None else
                             f", or data with a {column!r} column to embed") + ".")
        if isinstance(data, pd.DataFrame):
            if column not in data.columns:
                raise KeyError(f"The new rows have no {column!r} column (the one the Explorer "
                               f"embeds); they have {list(map(str, data.columns))}.")
            values = data[column]
        else:
            values = data if isinstance(data, pd.Series) else pd.Series(list(data))
        from ..compute.embed import embed

        if d.text_column is not None:
            items: Any = checked_texts(values, column)
        else:
            items = values.tolist()
        X = embed(items, model=self.ex._encoder, device=self.ex._device, progress=False)
        return np.asarray(X, dtype=np.float32), values.index

    def wait(self, timeout: float | None = None) -> bool:
        """Whether the latest retrain ended within ``timeout`` seconds."""
        return self.finish_event.wait(timeout)

    def cancel(self) -> bool:
        """Cancel the latest retrain (see ``Explorer.cancel_retrain``)."""
        return self._cancel(self.latest)

    def ui_retrain(self) -> None:
        try:
            self._start_retrain()
        finally:
            self.ex.scatter.focus()  # the button is disabled now: keys would fall to the host

    def _running(self) -> bool:
        """Whether the latest retrain may still change the map (not cancelled, not finished)."""
        run = self.latest
        return run is not None and not run.cancel.is_set() and not run.finished.is_set()

    def _progress_of(self, run: RetrainRun) -> Callable[..., None]:
        """The progress callback of ``run``: it shows only while ``run`` is running."""
        def on_progress(fraction: float, message: str = "") -> None:
            with self.ex._lock:
                if run is not self.latest or not self._running():
                    return
                self.ex.view.set_progress(fraction)
                if message:
                    self.ex.view.say(message)
        return on_progress

    def _start_retrain(self) -> RetrainRun | None:
        """Start a retrain in the background (or hand back the one running); returns it."""
        from ..learn.retrain import Retrainer

        if self.ex._replaced:
            raise RuntimeError("This Explorer was replaced by a newer one on the same label "
                               "file; retrain in the newer one.")
        if self._running():
            self.ex.view.say("A retrain is already running (Cancel stops it).", kind="warn")
            return self.latest
        y = self.ex.store.codes().astype(np.int64)
        if not (y >= 0).any():
            raise ValueError("No labelled points yet: lasso points and press 1-9 (or call "
                             "ex.label(indices, name)) before retraining.")
        groups = self._store_groups()
        run = RetrainRun(label_ids=self.ex.store.label_ids, names=list(self.ex.store.classes),
                       started=time.perf_counter())
        with self.ex._lock:
            self.latest, self.finish_event = run, run.finished
            self.ex.view.set_busy(True)
            self.ex.view.say("retraining…")
        try:
            model = Retrainer(method="auto", random_state=self.ex._random_state,
                              novelty_threshold=self._novelty_threshold, device=self.ex._device)
            run.job = model.fit_async(self.ex._X, y, knn=self.ex.graph, groups=groups,
                                      on_progress=self._progress_of(run))
        except Exception as exc:  # nothing runs: free the widget for another go
            run.error = exc
            self._report_failure(run, exc)
            run.finished.set()
            raise
        run.job.add_done_callback(lambda _job: self._finish_retrain(run))
        return run

    def _wait(self, run: RetrainRun, timeout: float | None) -> None:
        """Wait until ``run`` ends; raise its error (``Cancelled`` when it was cancelled)."""
        if not run.finished.wait(timeout):
            raise TimeoutError(f"the retrain did not finish within {timeout} s")
        if run.error is not None:
            raise run.error

    def _cancel(self, run: RetrainRun | None) -> bool:
        """Cancel ``run`` unless its model is already going onto the map; only the latest
        retrain's cancel shows in the widget. The worker winds down on its own."""
        with self.ex._lock:
            if run is None or run.applying or run.cancel.is_set() or run.finished.is_set():
                return False
            run.cancel.set()
            if run.job is not None:
                run.job.cancel()
            if run is self.latest and not self.ex._replaced:
                self.ex.view.set_busy(False)
                self.ex.view.say("Retrain cancelled; labels and map unchanged.", kind="warn")
            return True

    def _store_groups(self) -> np.ndarray:
        """The lasso (event id) that gave each point its label; -1 for unlabelled points."""
        event = self.ex.store.to_frame()["event"]
        return event.fillna(-1).to_numpy(dtype=np.int64)

    def _finish_retrain(self, run: RetrainRun) -> None:
        """Runs in the worker thread after the fit: update the map unless cancelled, then
        look for candidate new classes.

        Widget updates from this thread are safe with ipykernel: each trait change is one
        comm message, serialised whole in this thread and handed as one item to the IOPub
        thread's queue (``IOPubThread.schedule``), which sends items one at a time in order,
        so messages never interleave and this thread's keep their order. The map, colours
        and charts of a round go out under ``self._lock``, as every other update of them
        does, so no other update lands between them."""
        try:
            self._apply_model(run, *self._new_map(run))
        except Exception as exc:  # cancelled or failed: the labels and the map are untouched
            run.error = exc
            self._report_failure(run, exc)
        finally:
            run.finished.set()
        if run.model is not None:
            self._offer_candidates(run.model)  # after the map shows: the retrain does not wait

    def _new_map(self, run: RetrainRun) -> tuple[Any, np.ndarray]:
        """The fitted model and the map re-projected with it; raises ``Cancelled`` when
        ``run`` is cancelled meanwhile."""
        from ..compute.reduce import reduce

        model = run.job.result()
        run.check()
        self._progress_of(run)(0.9, "updating the map…")
        refined = model.transform(self.ex._X)
        run.check()
        # the shared graph, re-weighted by the labels: no new neighbour search per round
        # (1e5 x 64 blobs on a CPU: 13.8 s vs 41.3 s re-searching, trustworthiness to the
        # refined features 0.953 vs 0.955, the same 2% mean displacement).
        # 80 epochs from the previous layout: 3.0 s vs 10.1 s for the default 200 at 20k
        # points, same mean displacement (1.4% vs 1.8% of the map's diagonal).
        # Our torch UMAP at every size: umap-learn JIT-compiles its layout once per
        # process, so in a new kernel whose map came from the cache the first update took
        # 5.9 s on digits (0.33 s compiled); torch takes 0.15 s, trustworthiness 0.972 vs
        # 0.979, mean displacement 4.8% vs 4.2% of the diagonal.
        new_xy = reduce(refined, knn=model.refine_graph(), init=self.ex._xy,
                        method="umap-torch", random_state=self.ex._random_state,
                        device=self.ex._device, progress=False, n_epochs=80,
                        cache=False)  # a retrain's map is never asked for again
        return model, new_xy

    def _report_failure(self, run: RetrainRun, exc: Exception) -> None:
        """Say why ``run`` ended without a model, if it is still the one the widget shows
        (a cancel already said so itself)."""
        with self.ex._lock:
            if run is not self.latest or run.cancel.is_set() or self.ex._replaced:
                return
            cancelled = type(exc).__name__ == "Cancelled"
            self.ex.view.say("Retrain cancelled; labels and map unchanged." if cancelled
                              else f"Retrain failed: {exc}", kind="warn" if cancelled else "error")
            self.ex.view.set_busy(False)

    def _offer_candidates(self, model: Any) -> None:
        """Cluster the points no label fits (in the worker), then show "New class?"."""
        try:
            found = self.candidates_of(model)
        except Exception:  # an optional hint: the round's status line stays as it is
            return
        if model is self.model:
            self.ex.view.offer_new_classes(len(found))

    def candidates_of(self, model: Any) -> list[np.ndarray]:
        """``model.discover()``, computed once per model (the worker or the API, first wins)."""
        with self.discover_lock:
            if self.candidates_for is not model:
                self.candidates = [np.asarray(c.indices, dtype=np.int64)
                                   for c in model.discover()]
                self.candidates_for = model
                self.shown_candidate = -1
            return self.candidates

    def names_now(self, run: RetrainRun) -> list[str]:
        """The current names of ``run``'s labels (its model predicts positions in them): a
        renamed label by its new name, one deleted since as "old name (deleted)"."""
        current = self.ex.store.names_by_id
        return [current.get(i, f"{old} (deleted)")
                for i, old in zip(run.label_ids, run.names, strict=True)]

    def _apply_model(self, run: RetrainRun, model: Any, new_xy: np.ndarray) -> None:
        """Show ``run``'s model: predictions, colours, map and charts (raises ``Cancelled``
        when it was cancelled first). Under the lock, so a cancel comes before or after."""
        run.check()
        regions = model.suggest(n_regions=5, region_size=30)
        suspects = model.suspects()
        with self.ex._lock:
            run.check()  # a cancel from here on comes too late: the map shows this model
            run.applying, run.model = True, model
            self.shown = run
            self.suggestions = [np.asarray(r.indices, dtype=np.int64) for r in regions]
            self._show_suspects(run, suspects)
            self.round += 1
            self.ex._xy = np.asarray(new_xy, dtype=np.float32)
            run.result = self._round_result(run, model, time.perf_counter() - run.started)
            self._show_round(model, run.result)

    def _round_result(self, run: RetrainRun, model: Any, seconds: float) -> RetrainResult:
        names = self.names_now(run)
        shown = np.asarray(model.transduction_, dtype=np.int64)
        counts = np.bincount(shown[shown >= 0], minlength=len(names))
        return RetrainResult(round=self.round, seconds=round(seconds, 2),
                             counts={n: int(c) for n, c in zip(names, counts, strict=True)},
                             no_label=int((shown < 0).sum()))

    def _show_suspects(self, run: RetrainRun, groups: list[Any]) -> None:
        """Keep ``run``'s labels that look wrong, by label name, and offer "Check labels"."""
        names = self.names_now(run)
        self.suspects = [replace(g, given=names[int(g.given)], predicted=names[int(g.predicted)])
                          for g in groups]
        self.suspect_mask = np.zeros(self.ex._data.n, dtype=bool)
        for g in groups:
            self.suspect_mask[g.indices] = True
        self.shown_suspect = -1
        self.ex.view.offer_suspects(len(groups))

    def _show_round(self, model: Any, result: RetrainResult) -> None:
        self.ex.scatter.xy = self.ex._xy
        self.ex.meaning.show_names()  # the names follow the new map
        # the colouring is the user's: a retrain offers the predictions, never switches to them
        if self.ex.view.color_by != "prediction":
            self.ex.view.offer_colouring("prediction")
        self.ex._recolour()
        hl = np.unique(np.concatenate(self.suggestions)) if self.suggestions else np.zeros(0)
        self.ex.scatter.highlight = hl.astype(np.uint32)
        self.ex.view.add_round(self.round,
                               finite_or_none(model.cv_scores_.get(model.method_, np.nan)))
        self.ex.view.show_confidence(model.confidence_, n_classes=len(model.classes_))
        self.ex.view.offer_new_classes(0)  # until this model's candidates are found
        self.ex.view.set_busy(False)
        novel, seconds = result.no_label, result.seconds
        fit_none = f" · {novel:,} points fit no label (grey)" if novel else ""
        self.ex.view.say(f"Round {self.round}: retrained in {seconds:.1f} s · predictions shown"
                          f"{fit_none} · {len(self.suggestions)} regions to label next are "
                          "highlighted", kind="ok")
