"""The Explorer's retrain: a background fit, then the map re-projected with the model and
shown; each retrain can be cancelled, and only the latest one touches the widget."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import pandas as pd

from ..learn.retrain import NOVELTY_THRESHOLD

if TYPE_CHECKING:
    from ..learn.retrain import Retrainer


@dataclass(frozen=True)
class RetrainResult:
    """What one retrain did: its ``round``, how long it took (``seconds``), how many points
    each label now predicts (``counts``, by label name) and how many no label fits
    (``no_label``: the map's grey points)."""

    round: int
    seconds: float
    counts: dict[str, int]
    no_label: int

    def __repr__(self) -> str:
        labels = ", ".join(f"{name}: {n:,}" for name, n in self.counts.items())
        return (f"RetrainResult(round {self.round}, {self.seconds:.1f} s; {labels}; "
                f"no label fits {self.no_label:,})")


def prediction_frame(model: "Retrainer", names: list[str], index: pd.Index,
                     label: np.ndarray, novelty: np.ndarray, proba: np.ndarray) -> pd.DataFrame:
    """Predictions as the map shows them.

    Parameters
    ----------
    model : Retrainer
        The fitted model (its ``classes_`` are positions into ``names``).
    names : list of str
        The label names, by position.
    index : pandas.Index
        The rows' index.
    label : ndarray of int
        Positions into ``names``, -1 where no label fits.
    novelty, proba : ndarray
        P(no label fits) per row, and the distribution over the model's classes.

    Returns
    -------
    DataFrame
        ``label`` (missing where no label fits: the map's grey points), ``nearest`` (the
        closest label all the same), ``confidence`` = P(a label fits and it is ``nearest``)
        = max proba x (1 - novelty), and ``novelty``.
    """
    name_of = np.asarray(names, dtype=object)
    nearest = name_of[np.asarray(model.classes_)[proba.argmax(axis=1)]]
    shown = pd.Series(name_of[np.maximum(label, 0)], index=index, dtype=object)
    shown[label < 0] = None
    return pd.DataFrame({"label": shown, "nearest": nearest,
                         "confidence": (proba.max(axis=1) * (1.0 - novelty)).astype(np.float32),
                         "novelty": np.asarray(novelty, dtype=np.float32)}, index=index)


def finite_or_none(value: float) -> float | None:
    """A float the front end can take: JSON has no NaN or inf (a message holding one is
    refused, with a warning in the notebook).

    Parameters
    ----------
    value : float

    Returns
    -------
    float or None
        ``value``, or None when it is NaN or infinite.
    """
    value = float(value)
    return value if np.isfinite(value) else None


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
    """Starting, waiting for, cancelling and showing retrains (mixed into the Explorer)."""

    _novelty_threshold: float = NOVELTY_THRESHOLD

    @property
    def novelty_threshold(self) -> float:
        """Novelty at or above which no label fits a point: grey on the map, ``label``
        missing in ``predictions`` and ``predict``, and counted as "fit no label". Setting
        it recolours the map at once (no retrain) and holds for the next retrains."""
        return self._novelty_threshold

    @novelty_threshold.setter
    def novelty_threshold(self, value: float) -> None:
        from ..learn._inputs import check_float

        value = check_float(value, "novelty_threshold", low=0.0, high=1.0,
                            example=NOVELTY_THRESHOLD)
        with self._lock:
            self._novelty_threshold = value
            shown = self._shown
            if shown is not None:
                shown.model.set_params(novelty_threshold=value)
        self._recolour()

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
    def model(self) -> "Retrainer | None":
        """The fitted ``Retrainer`` whose predictions the map shows (None before the first
        retrain). Its classes are positions into the label names it learnt: use
        ``predictions`` or ``predict`` for names."""
        shown = self._shown
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
        shown = self._shown
        if shown is None:
            return None
        m = shown.model
        return prediction_frame(m, self._names_now(shown), self._data.frame.index,
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
        shown = self._shown
        if shown is None:
            raise RuntimeError("Nothing learnt yet: call ex.retrain() (or press Retrain) "
                               "before predicting.")
        m = shown.model
        X, index = self._new_rows(data, embedding)
        proba, novelty = m.predict_proba(X), m.predict_novelty(X)
        codes = np.asarray(m.classes_)[proba.argmax(axis=1)]
        label = np.where(novelty >= m.novelty_threshold, -1, codes)
        return prediction_frame(m, self._names_now(shown), index, label, novelty, proba)

    def _new_rows(self, data: Any, embedding: Any) -> tuple[np.ndarray, pd.Index]:
        """The embedding of rows to predict and their index (see ``predict``)."""
        from ..dataset import checked_texts

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
        d = self._data
        vectors = self._embedding_column
        if isinstance(data, pd.DataFrame) and vectors is not None and vectors in data.columns:
            from ..dataset import _stack_column

            return _stack_column(data[vectors], vectors), data.index
        column = d.text_column or d.image_column
        if d.image_column is not None and self._encoder is None:
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
        X = embed(items, model=self._encoder, device=self._device, progress=False)
        return np.asarray(X, dtype=np.float32), values.index

    def cancel_retrain(self) -> bool:
        """Stop the running retrain; labels and map stay as they were. Returns False when
        there is nothing to stop (no retrain, or its model is already on the map)."""
        return self._cancel(self._retraining)

    def _ui_retrain(self) -> None:
        self._guard(self._start_retrain)
        self.scatter.focus()  # the button is disabled now: keys would fall to JupyterLab

    def _ui_cancel(self) -> None:
        self.cancel_retrain()

    def _running(self) -> bool:
        """Whether the latest retrain may still change the map (not cancelled, not finished)."""
        run = self._retraining
        return run is not None and not run.cancel.is_set() and not run.finished.is_set()

    def _progress_of(self, run: RetrainRun) -> Callable[..., None]:
        """The progress callback of ``run``: it shows only while ``run`` is running."""
        def on_progress(fraction: float, message: str = "") -> None:
            with self._lock:
                if run is not self._retraining or not self._running():
                    return
                self.controls.progress.value = max(0.0, min(1.0, float(fraction)))
                if message:
                    self.controls.say(message)
        return on_progress

    def _start_retrain(self) -> RetrainRun | None:
        """Start a retrain in the background (or hand back the one running); returns it."""
        from ..learn.retrain import Retrainer

        if self._replaced:
            raise RuntimeError("This Explorer was replaced by a newer one on the same label "
                               "file; retrain in the newer one.")
        if self._running():
            self.controls.say("A retrain is already running (Cancel stops it).", kind="warn")
            return self._retraining
        y = self._store.codes().astype(np.int64)
        if not (y >= 0).any():
            raise ValueError("No labelled points yet: lasso points and press 1-9 (or call "
                             "ex.label(indices, name)) before retraining.")
        groups = self._store_groups()
        run = RetrainRun(label_ids=self._store.label_ids, names=list(self._store.classes),
                       started=time.perf_counter())
        with self._lock:
            self._retraining, self._finish_event = run, run.finished
            self.controls.set_busy(True)
            self.controls.say("retraining…")
        try:
            model = Retrainer(method="auto", random_state=self._random_state,
                              novelty_threshold=self._novelty_threshold)
            run.job = model.fit_async(self._X, y, knn=self._graph, groups=groups,
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
        with self._lock:
            if run is None or run.applying or run.cancel.is_set() or run.finished.is_set():
                return False
            run.cancel.set()
            if run.job is not None:
                run.job.cancel()
            if run is self._retraining and not self._replaced:
                self.controls.set_busy(False)
                self.controls.say("Retrain cancelled; labels and map unchanged.", kind="warn")
            return True

    def _store_groups(self) -> np.ndarray:
        """The lasso (event id) that gave each point its label; -1 for unlabelled points."""
        event = self._store.to_frame()["event"]
        return event.fillna(-1).to_numpy(dtype=np.int64)

    def _finish_retrain(self, run: RetrainRun) -> None:
        """Runs in the worker thread after the fit: update the map unless cancelled, then
        look for candidate new classes."""
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
        refined = model.transform(self._X)
        run.check()
        # the shared graph, re-weighted by the labels: no new neighbour search per round
        # (1e5 x 64 blobs, 2 cores: 13.8 s vs 41.3 s re-searching, trustworthiness to the
        # refined features 0.953 vs 0.955, the same 2% mean displacement).
        # 80 epochs from the previous layout: 3.0 s vs 10.1 s for the default 200 at 20k
        # points on 2 cores, same mean displacement (1.4% vs 1.8% of the map's diagonal).
        # Our torch UMAP at every size: umap-learn JIT-compiles its layout once per
        # process, so in a new kernel whose map came from the cache the first update took
        # 5.9 s on digits (0.33 s compiled); torch takes 0.15 s, trustworthiness 0.972 vs
        # 0.979, mean displacement 4.8% vs 4.2% of the diagonal.
        new_xy = reduce(refined, knn=model.refine_graph(), init=self._xy,
                        method="umap-torch", random_state=self._random_state,
                        device=self._device, progress=False, n_epochs=80)
        return model, new_xy

    def _report_failure(self, run: RetrainRun, exc: Exception) -> None:
        """Say why ``run`` ended without a model, if it is still the one the widget shows
        (a cancel already said so itself)."""
        with self._lock:
            if run is not self._retraining or run.cancel.is_set() or self._replaced:
                return
            cancelled = type(exc).__name__ == "Cancelled"
            self.controls.say("Retrain cancelled; labels and map unchanged." if cancelled
                              else f"Retrain failed: {exc}", kind="warn" if cancelled else "error")
            self.controls.set_busy(False)

    def _offer_candidates(self, model: Any) -> None:
        """Cluster the points no label fits (in the worker), then show "New class?"."""
        try:
            found = self._candidates_of(model)
        except Exception:  # an optional hint: the round's status line stays as it is
            return
        if model is self._model:
            self.controls.offer_new_classes(len(found))

    def _candidates_of(self, model: Any) -> list[np.ndarray]:
        """``model.discover()``, computed once per model (the worker or the API, first wins)."""
        with self._discover_lock:
            if self._candidates_for is not model:
                self._candidates = [np.asarray(c.indices, dtype=np.int64)
                                    for c in model.discover()]
                self._candidates_for = model
                self._shown_candidate = -1
            return self._candidates

    def _names_now(self, run: RetrainRun) -> list[str]:
        """The current names of ``run``'s labels (its model predicts positions in them): a
        renamed label by its new name, one deleted since as "old name (deleted)"."""
        current = self._store.names_by_id
        return [current.get(i, f"{old} (deleted)") for i, old in zip(run.label_ids, run.names)]

    def _apply_model(self, run: RetrainRun, model: Any, new_xy: np.ndarray) -> None:
        """Show ``run``'s model: predictions, colours, map and charts (raises ``Cancelled``
        when it was cancelled first). Under the lock, so a cancel comes before or after."""
        run.check()
        regions = model.suggest(n_regions=5, region_size=30)
        suspects = model.suspects()
        with self._lock:
            run.check()  # a cancel from here on comes too late: the map shows this model
            run.applying, run.model = True, model
            self._shown = run
            self._suggestions = [np.asarray(r.indices, dtype=np.int64) for r in regions]
            self._show_suspects(run, suspects)
            self._round += 1
            self._xy = np.asarray(new_xy, dtype=np.float32)
            run.result = self._round_result(run, model, time.perf_counter() - run.started)
            self._show_round(model, run.result)

    def _round_result(self, run: RetrainRun, model: Any, seconds: float) -> RetrainResult:
        names = self._names_now(run)
        shown = np.asarray(model.transduction_, dtype=np.int64)
        counts = np.bincount(shown[shown >= 0], minlength=len(names))
        return RetrainResult(round=self._round, seconds=round(seconds, 2),
                             counts={n: int(c) for n, c in zip(names, counts, strict=True)},
                             no_label=int((shown < 0).sum()))

    def _show_suspects(self, run: RetrainRun, groups: list[Any]) -> None:
        """Keep ``run``'s labels that look wrong, by label name, and offer "Check labels"."""
        names = self._names_now(run)
        self._suspects = [replace(g, given=names[int(g.given)], predicted=names[int(g.predicted)])
                          for g in groups]
        self._suspect_mask = np.zeros(self._data.n, dtype=bool)
        for g in groups:
            self._suspect_mask[g.indices] = True
        self._shown_suspect = -1
        self.controls.offer_suspects(len(groups))

    def _show_round(self, model: Any, result: RetrainResult) -> None:
        self.scatter.xy = self._xy
        self.controls.color_by.value = "prediction"
        self._recolour()
        hl = np.unique(np.concatenate(self._suggestions)) if self._suggestions else np.zeros(0)
        self.scatter.highlight = hl.astype(np.uint32)
        self.charts.add_round(self._round, finite_or_none(model.cv_scores_.get(model.method_,
                                                                               np.nan)))
        self.charts.show_confidence(model.confidence_, n_classes=len(model.classes_))
        self.controls.offer_new_classes(0)  # until this model's candidates are found
        self.controls.set_busy(False)
        novel, seconds = result.no_label, result.seconds
        fit_none = f" · {novel:,} points fit no label (grey)" if novel else ""
        self.controls.say(f"Round {self._round}: retrained in {seconds:.1f} s · predictions shown"
                          f"{fit_none} · {len(self._suggestions)} regions to label next are "
                          "highlighted", kind="ok")
