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

from ..compute.relayout import LAYOUTS, displacement
from ..learn.retrain import NOVELTY_THRESHOLD
from .last_round import data_digest, load_round, save_round
from .predicting import RetrainResult, ShownRound, finite_or_none, labels_digest, prediction_frame

if TYPE_CHECKING:
    from ..learn.retrain import Retrainer
    from .session import Session

__all__ = ["Retraining", "RetrainResult", "RetrainRun"]


@dataclass(eq=False)
class RetrainRun:
    """One retrain: the labels it learns (stable ids and their names at the start; the model
    predicts positions in these lists), its own cancel and finished events, and its model."""

    label_ids: list[int]
    names: list[str]
    started: float
    learned_from: str = ""  # labels_digest of the labels it learns
    layout: str = "align"
    job: Any = None
    cancel: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    applying: bool = False  # its predictions are shown: a cancel stops only the map update
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
    session : Session
        The Explorer's data, embedding, graph, store, settings, lock, map and widgets.
    recolour : callable
        Paints the map by the chosen colouring (after the predictions change).
    show_names : callable
        Draws the regions' names on the map (after the map moves).

    Notes
    -----
    It owns the runs (the latest started, the one shown), the shown model's findings
    (suggestions, suspects, candidate new classes) and the round count.
    """

    def __init__(self, session: Session, *, recolour: Callable[[], None],
                 show_names: Callable[[], None]) -> None:
        self.session = session
        self._recolour = recolour
        self._show_names = show_names
        self.shown: ShownRound | None = None  # the predictions on the map
        self.latest: RetrainRun | None = None  # the latest retrain started
        self.finish_event = threading.Event()  # the latest retrain's finished event
        self.finish_event.set()  # none started: nothing to wait for
        self.suggestions: list[np.ndarray] = []
        self.candidates: list[np.ndarray] = []
        self.candidates_for: Any = None
        self.shown_candidate = -1
        self.suspects: list[Any] = []  # the shown model's SuspectGroups, by label name
        self.suspect_mask = np.zeros(session.data.n, dtype=bool)
        self.shown_suspect = -1
        self.discover_lock = threading.Lock()
        self.round = 0
        self._novelty_threshold = NOVELTY_THRESHOLD
        self._stale_at: tuple[int, bool] = (-1, False)  # (store version, stale then)
        self._data_digest: str | None = None

    # ---- the last round, kept beside the label file -----------------------------------
    def data_digest(self) -> str:
        """Which data this Explorer shows (rows and embedding), for the kept round."""
        if self._data_digest is None:
            self._data_digest = data_digest(self.session.data.ids, self.session.X)
        return self._data_digest

    def restore(self) -> np.ndarray | None:
        """Show the last round kept for this label file and data again; returns its map
        (None when there is none to restore)."""
        found = load_round(str(self.session.store.path), self.data_digest(), self.session.data.n)
        if found is None:
            return None
        self.shown, xy = found
        self.round = self.shown.number
        return xy

    def _keep(self, shown: ShownRound) -> None:
        """Keep ``shown`` and the map on screen beside the label file (a failure to write
        is a warning: the labels are in the label file)."""
        try:
            save_round(str(self.session.store.path), shown, self.session.xy, self.data_digest())
        except Exception as exc:
            import warnings

            warnings.warn(f"The round could not be kept beside the label file ({exc}); a "
                          "restart will show the labels without this round's predictions.",
                          RuntimeWarning, stacklevel=2)

    # ---- stale predictions ------------------------------------------------------------
    def _current_labels_digest(self) -> str:
        store = self.session.store
        codes = store.codes()
        ids = np.asarray(store.label_ids, dtype=np.int64)
        return labels_digest(np.where(codes >= 0, ids[np.maximum(codes, 0)], -1))

    @property
    def stale(self) -> bool:
        """Whether the labels changed since the predictions on the map were learnt (a
        rename or a recolour does not count: the model predicts the same points)."""
        shown = self.shown
        if shown is None:
            return False
        version = self.session.store.version
        if self._stale_at[0] != version:
            self._stale_at = (version, self._current_labels_digest() != shown.learned_from)
        return self._stale_at[1]

    @property
    def novelty_threshold(self) -> float:
        """Novelty at or above which no label fits (see ``Explorer.novelty_threshold``)."""
        return self._novelty_threshold

    @novelty_threshold.setter
    def novelty_threshold(self, value: float) -> None:
        from ..learn._inputs import check_float

        value = check_float(value, "novelty_threshold", low=0.0, high=1.0,
                            example=NOVELTY_THRESHOLD)
        with self.session.lock:
            self._novelty_threshold = value
            shown = self.shown
            if shown is not None and shown.model is not None:
                shown.model.set_params(novelty_threshold=value)
        self._recolour()

    def retrain(self, *, wait: bool = True, timeout: float | None = None,
                layout: str = "align") -> RetrainResult | None:
        """See :meth:`Explorer.retrain` (the public docstring)."""
        run = self._start_retrain(layout=layout)
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
        """See :meth:`Explorer.predictions` (the public docstring)."""
        shown = self.shown
        if shown is None:
            return None
        frame = prediction_frame(shown, self.names_now(shown), self.session.data.frame.index,
                                 shown.label(self._novelty_threshold), shown.novelty,
                                 shown.proba)
        frame.attrs["stale"] = self.stale
        return frame

    def predict(self, data: Any = None, *, embedding: Any = None) -> pd.DataFrame:
        """See :meth:`Explorer.predict` (the public docstring)."""
        shown = self.shown
        if shown is None:
            raise RuntimeError("Nothing learnt yet: call ex.retrain() (or press Retrain) "
                               "before predicting.")
        m = shown.model
        if m is None:
            raise RuntimeError("The predictions on the map were restored from the label "
                               "file's last round, which keeps no model: retrain once "
                               "(ex.retrain()) to predict new rows.")
        X, index = self._new_rows(data, embedding)
        proba, novelty = m.predict_proba(X), m.predict_novelty(X)
        codes = np.asarray(m.classes_)[proba.argmax(axis=1)]
        label = np.where(novelty >= self._novelty_threshold, -1, codes)
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
        d = self.session.data
        vectors = self.session.embedding_column
        if isinstance(data, pd.DataFrame) and vectors is not None and vectors in data.columns:
            from .dataset import _stack_column

            return _stack_column(data[vectors], vectors), data.index
        column = d.text_column or d.image_column
        if d.image_column is not None and self.session.encoder is None:
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
        X = embed(items, model=self.session.encoder, device=self.session.device, progress=False)
        return np.asarray(X, dtype=np.float32), values.index

    def wait(self, timeout: float | None = None) -> bool:
        """Whether the latest retrain ended within ``timeout`` seconds."""
        return self.finish_event.wait(timeout)

    def cancel(self) -> bool:
        """Cancel the latest retrain (see ``Explorer.cancel_retrain``)."""
        return self._cancel(self.latest)

    def ui_retrain(self) -> None:
        try:
            self._start_retrain(layout="align")
        finally:
            self.session.scatter.focus()  # the button is disabled now: keys would fall to the host

    def _running(self) -> bool:
        """Whether the latest retrain may still change the map (not cancelled, not finished)."""
        run = self.latest
        return run is not None and not run.cancel.is_set() and not run.finished.is_set()

    def _progress_of(self, run: RetrainRun) -> Callable[..., None]:
        """The progress callback of ``run``: it shows only while ``run`` is running."""
        def on_progress(fraction: float, message: str = "") -> None:
            with self.session.lock:
                if run is not self.latest or not self._running():
                    return
                self.session.view.set_progress(fraction)
                if message:
                    self.session.view.say(message)
        return on_progress

    def _start_retrain(self, *, layout: str) -> RetrainRun | None:
        """Start a retrain in the background (or hand back the one running); returns it."""
        from ..learn.retrain import Retrainer

        if layout not in LAYOUTS:
            raise ValueError(f"layout={layout!r} is not one of {LAYOUTS}: 'align' moves points "
                             "only as far as the model needs, 'keep' leaves the map as it "
                             "is, 'free' lays it out afresh.")
        if self.session.replaced:
            raise RuntimeError("This Explorer was replaced by a newer one on the same label "
                               "file; retrain in the newer one.")
        if self._running():
            self.session.view.say("A retrain is already running (Cancel stops it).", kind="warn")
            return self.latest
        y = self.session.store.codes().astype(np.int64)
        if not (y >= 0).any():
            raise ValueError("No labelled points yet: lasso points and press 1-9 (or call "
                             "ex.label(indices, name)) before retraining.")
        groups = self._store_groups()
        run = RetrainRun(label_ids=self.session.store.label_ids, names=list(self.session.store.classes),
                         started=time.perf_counter(), layout=layout,
                         learned_from=self._current_labels_digest())
        with self.session.lock:
            self.latest, self.finish_event = run, run.finished
            self.session.view.set_busy(True)
            self.session.view.say("retraining…")
        try:
            model = Retrainer(method="auto", random_state=self.session.random_state,
                              novelty_threshold=self._novelty_threshold, device=self.session.device)
            run.job = model.fit_async(self.session.X, y, knn=self.session.graph, groups=groups,
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
        with self.session.lock:
            if run is None or run.cancel.is_set() or run.finished.is_set():
                return False
            run.cancel.set()
            if run.job is not None:
                run.job.cancel()
            if run is self.latest and not self.session.replaced:
                self.session.view.set_busy(False)
                self.session.view.say("Map update cancelled; the new predictions are shown on the "
                                 "previous map." if run.applying else
                                 "Retrain cancelled; labels and map unchanged.", kind="warn")
            return True

    def _store_groups(self) -> np.ndarray:
        """The lasso (event id) that gave each point its label; -1 for unlabelled points."""
        event = self.session.store.to_frame()["event"]
        return event.fillna(-1).to_numpy(dtype=np.int64)

    def _finish_retrain(self, run: RetrainRun) -> None:
        """Runs in the worker thread after the fit: show the predictions at once, then let
        the map follow (cancellable on its own), keep the round, then look for candidate
        new classes.

        Widget updates from this thread are safe with ipykernel: each trait change is one
        comm message, serialised whole in this thread and handed as one item to the IOPub
        thread's queue (``IOPubThread.schedule``), which sends items one at a time in order,
        so messages never interleave and this thread's keep their order. The colours and
        charts of a round, and later its map, go out under the Explorer's lock, as every
        other update of them does, so no other update lands between them."""
        try:
            model = run.job.result()
            run.check()
            shown = self._show_predictions(run, model)
        except Exception as exc:  # cancelled or failed: the labels and the map are untouched
            run.error = exc
            self._report_failure(run, exc)
            run.finished.set()
            return
        try:
            if run.layout != "keep":
                self._show_map(run, shown, self._new_map(run, model))
            else:
                self._show_map(run, shown, None)
        except Exception as exc:  # the predictions stand; the map stays where it was
            if type(exc).__name__ != "Cancelled":
                with self.session.lock:
                    if run is self.latest and not self.session.replaced:
                        self.session.view.say(f"The map could not follow the model ({exc}); the "
                                         "new predictions are shown on the previous map.",
                                         kind="warn")
        finally:
            with self.session.lock:
                if run is self.latest and not self.session.replaced:
                    self.session.view.set_busy(False)
            if not self.session.replaced:
                self._keep(shown)
            run.finished.set()
        self._offer_candidates(model)  # after the map shows: the retrain does not wait

    def _new_map(self, run: RetrainRun, model: Any) -> np.ndarray:
        """The map re-projected with ``model`` from the map on screen; raises ``Cancelled``
        when ``run`` is cancelled meanwhile."""
        from ..compute.relayout import relayout

        self._progress_of(run)(0.9)
        refined = model.transform(self.session.X)
        run.check()
        # The shared graph re-weighted by the labels: no new neighbour search per round
        # (1e5 x 64 blobs on a CPU: 13.8 s vs 41.3 s re-searching, trustworthiness to the
        # refined features 0.953 vs 0.955). The torch UMAP at every size: umap-learn
        # JIT-compiles its layout once per process, so in a new kernel whose map came from
        # the cache the first update took 5.9 s on digits; torch takes 0.15 s.
        new_xy = relayout(refined, model.refine_graph(), self.session.xy, layout=run.layout,
                          keep_scale=self.session.map_from_umap, device=self.session.device,
                          random_state=self.session.random_state)
        run.check()
        return new_xy

    def _report_failure(self, run: RetrainRun, exc: Exception) -> None:
        """Say why ``run`` ended without a model, if it is still the one the widget shows
        (a cancel already said so itself)."""
        with self.session.lock:
            if run is not self.latest or run.cancel.is_set() or self.session.replaced:
                return
            cancelled = type(exc).__name__ == "Cancelled"
            self.session.view.say("Retrain cancelled; labels and map unchanged." if cancelled
                              else f"Retrain failed: {exc}", kind="warn" if cancelled else "error")
            self.session.view.set_busy(False)

    def _offer_candidates(self, model: Any) -> None:
        """Cluster the points no label fits (in the worker), then show "New class?"."""
        try:
            found = self.candidates_of(model)
        except Exception:  # an optional hint: the round's status line stays as it is
            return
        if model is self.model:
            self.session.view.offer_new_classes(len(found))

    def candidates_of(self, model: Any) -> list[np.ndarray]:
        """``model.discover()``, computed once per model (the worker or the API, first wins)."""
        with self.discover_lock:
            if self.candidates_for is not model:
                self.candidates = [np.asarray(c.indices, dtype=np.int64)
                                   for c in model.discover()]
                self.candidates_for = model
                self.shown_candidate = -1
            return self.candidates

    def names_now(self, run: RetrainRun | ShownRound) -> list[str]:
        """The current names of ``run``'s labels (its model predicts positions in them): a
        renamed label by its new name, one deleted since as "old name (deleted)"."""
        current = self.session.store.names_by_id
        return [current.get(i, f"{old} (deleted)")
                for i, old in zip(run.label_ids, run.names, strict=True)]

    def _show_predictions(self, run: RetrainRun, model: Any) -> ShownRound:
        """Show ``run``'s model at once: predictions, colours, charts (raises ``Cancelled``
        when it was cancelled first); then where to label next and the labels that look
        wrong, which take longer. Under the lock, so a cancel comes before or after; from
        here a cancel stops only the map update."""
        with self.session.lock:
            run.check()
            run.applying, run.model = True, model
            self.round += 1
            shown = ShownRound.of_model(self.round, run.label_ids, run.names, run.learned_from,
                                        model)
            self.shown = shown
            self._stale_at = (-1, False)
            self.suggestions, self.suspects = [], []
            self.suspect_mask = np.zeros(self.session.data.n, dtype=bool)
            seconds = round(time.perf_counter() - run.started, 2)
            run.result = replace(self._round_result(run, shown, seconds),
                                 seconds_to_predictions=seconds, layout=run.layout)
            shown.result = run.result
            self._show_round(model, run.result)
        regions = model.suggest(n_regions=5, region_size=30)
        suspects = model.suspects()
        with self.session.lock:
            if self.shown is shown:
                self.suggestions = [np.asarray(r.indices, dtype=np.int64) for r in regions]
                hl = (np.unique(np.concatenate(self.suggestions)) if self.suggestions
                      else np.zeros(0))
                self.session.scatter.highlight = hl.astype(np.uint32)
                self._show_suspects(run, suspects)
        return shown

    def _show_map(self, run: RetrainRun, shown: ShownRound, new_xy: np.ndarray | None) -> None:
        """Move the map to ``new_xy`` (None: it stays) and say the round is done."""
        with self.session.lock:
            run.check()
            moved = displacement(self.session.xy, self.session.xy)  # "keep": nothing moves
            if new_xy is not None:
                moved = displacement(self.session.xy, new_xy)
                self.session.xy = np.asarray(new_xy, dtype=np.float32)
                self.session.scatter.xy = self.session.xy
                self._show_names()  # the names follow the new map
            assert run.result is not None
            run.result = replace(run.result, displacement=moved,
                                 seconds=round(time.perf_counter() - run.started, 2))
            shown.result = run.result
            self._say_round(run.result)

    def _round_result(self, run: RetrainRun, round_: ShownRound,
                      seconds: float) -> RetrainResult:
        names = self.names_now(round_)
        shown = round_.label(self._novelty_threshold)
        counts = np.bincount(shown[shown >= 0], minlength=len(names))
        return RetrainResult(round=self.round, seconds=round(seconds, 2),
                             counts={n: int(c) for n, c in zip(names, counts, strict=True)},
                             no_label=int((shown < 0).sum()))

    def _show_suspects(self, run: RetrainRun, groups: list[Any]) -> None:
        """Keep ``run``'s labels that look wrong, by label name, and offer "Check labels"."""
        names = self.names_now(run)
        self.suspects = [replace(g, given=names[int(g.given)], predicted=names[int(g.predicted)])
                          for g in groups]
        self.suspect_mask = np.zeros(self.session.data.n, dtype=bool)
        for g in groups:
            self.suspect_mask[g.indices] = True
        self.shown_suspect = -1
        self.session.view.offer_suspects(len(groups))

    def _show_round(self, model: Any, result: RetrainResult) -> None:
        # the colouring is the user's: a retrain offers the predictions, never switches to them
        if self.session.view.color_by != "prediction":
            self.session.view.offer_colouring("prediction")
        self.session.view.mark_stale(False)
        self._recolour()
        self.session.scatter.highlight = np.zeros(0, np.uint32)  # until this model's suggestions
        self.session.view.offer_suspects(0)
        self.session.view.add_round(self.round,
                               finite_or_none(model.cv_scores_.get(model.method_, np.nan)))
        self.session.view.show_confidence(model.confidence_, n_classes=len(model.classes_))
        self.session.view.offer_new_classes(0)  # until this model's candidates are found
        novel = result.no_label
        fit_none = f" · {novel:,} points fit no label (grey)" if novel else ""
        follows = "" if result.layout == "keep" else " · the map follows…"
        self.session.view.say(f"Predictions ready (round {self.round}){fit_none}{follows}",
                              kind="info")

    def _say_round(self, result: RetrainResult) -> None:
        novel, seconds = result.no_label, result.seconds
        fit_none = f" · {novel:,} points fit no label (grey)" if novel else ""
        moved = ("" if result.displacement is None else
                 f" · points moved {100 * result.displacement.mean:.1f}% of the map on average")
        self.session.view.say(f"Round {result.round}: retrained in {seconds:.1f} s{fit_none}{moved}"
                              f" · {len(self.suggestions)} regions to label next are highlighted",
                              kind="ok")
