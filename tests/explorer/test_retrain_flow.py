"""The retrain's life cycle: cancel, retrain again, interrupt, labels changed meanwhile, a newer
Explorer. Gates (threading events the test controls) hold the fit or the map update still, so
each test sees one phase at a time without relying on timing."""
from __future__ import annotations

import importlib
import sys
import threading
from typing import Any

import numpy as np
import pandas as pd
import pytest

import embedviz as ev
from embedviz.learn.retrain import Retrainer

from .conftest import blob, front_end_hovers, front_end_ui, panel_text, status

WAIT = 60  # generous: the gates, not the clock, order the steps


@pytest.fixture()
def ex(digits, tmp_path):
    return ev.Explorer(digits, embedding="pixels", image="image",
                       label_file=str(tmp_path / "l.embedviz.db"), progress=False)


class Gate:
    """Holds each call of a patched function until the test opens that call's gate."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.entered = [threading.Event() for _ in range(4)]
        self.gates = [threading.Event() for _ in range(4)]
        self._calls = 0
        self._lock = threading.Lock()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            call, self._calls = self._calls, self._calls + 1
        self.entered[call].set()
        assert self.gates[call].wait(WAIT), "the test never opened this gate"
        return self.real(*args, **kwargs)

    def open_all(self) -> None:
        for gate in self.gates:
            gate.set()


@pytest.fixture()
def fit_gate(monkeypatch):
    """Each fit waits at its start until its gate opens (the job's work is the public
    ``fit``; a cancel while it waits is seen when the fit returns)."""
    from embedviz.learn.jobs import FitJob

    gate = Gate(lambda model, X, y, knn, groups: model.fit(X, y, knn=knn, groups=groups))

    def gated_fit_async(self, X, y, *, knn=None, groups=None, on_progress=None):
        return FitJob(lambda _progress: gate(self, X, y, knn, groups), on_progress=on_progress)

    monkeypatch.setattr(Retrainer, "fit_async", gated_fit_async)
    yield gate
    gate.open_all()  # never leave a worker waiting


@pytest.fixture()
def map_gate(monkeypatch):
    """Each map update (after the fit) waits until its gate opens."""
    module = importlib.import_module("embedviz.compute.relayout")
    gate = Gate(module.relayout)
    monkeypatch.setattr(module, "relayout", gate)
    yield gate
    gate.open_all()


def label_digits(ex, digits, *which: int) -> None:
    for d in which:
        ex.label(blob(digits, d, 25, seed=d), {0: "zero", 1: "one", 7: "seven"}[d])


def legend(ex) -> dict[str, str]:
    """The colour legend the browser was last sent: category -> colour."""
    return ex.scatter.legend


def test_cancel_then_retrain_starts_a_new_retrain(ex, digits, fit_gate):
    label_digits(ex, digits, 0, 1)
    ex.retrain(wait=False)
    first_finished = ex.retraining.latest.finished
    assert fit_gate.entered[0].wait(WAIT)            # the first fit is running
    front_end_ui(ex, "cancel")
    assert "Retrain cancelled" in status(ex) and not ex.widget.controls["busy"]
    front_end_ui(ex, "retrain")                      # right away: a new retrain starts
    assert "already running" not in status(ex)
    assert ex.widget.controls["busy"]
    assert fit_gate.entered[1].wait(WAIT)
    fit_gate.gates[0].set()                          # the cancelled one winds down...
    assert first_finished.wait(WAIT)
    assert not ex.wait_retrain(0)             # ...without ending the new one
    assert status(ex) == "retraining…" and ex.widget.controls["busy"]
    assert ex.predictions is None
    fit_gate.gates[1].set()
    assert ex.wait_retrain(WAIT)
    assert "Round 1" in status(ex) and not ex.widget.controls["busy"]
    assert ex.predictions is not None


def test_cancel_then_blocking_retrain_returns_the_new_model(ex, digits, fit_gate):
    label_digits(ex, digits, 0, 1)
    ex.retrain(wait=False)
    assert fit_gate.entered[0].wait(WAIT)
    ex.cancel_retrain()
    fit_gate.open_all()
    ex.retrain()                                     # not the cancelled one's Cancelled
    assert ex.predictions is not None and "Round 1" in status(ex)


def test_interrupt_while_waiting_cancels_the_retrain(ex, digits, fit_gate, monkeypatch):
    label_digits(ex, digits, 0, 1)
    xy, real_wait = ex.xy.copy(), threading.Event.wait

    def wait(event: threading.Event, timeout: float | None = None) -> bool:
        """Ctrl+C arrives while ex.retrain() waits for the result (not while it starts)."""
        callers, frame = set(), sys._getframe(1)
        while frame is not None:
            callers.add(frame.f_code.co_name)
            frame = frame.f_back
        if (threading.current_thread() is threading.main_thread() and "retrain" in callers
                and "_start_retrain" not in callers):
            raise KeyboardInterrupt
        return real_wait(event, timeout)

    with monkeypatch.context() as patch:
        patch.setattr(threading.Event, "wait", wait)
        with pytest.raises(KeyboardInterrupt):
            ex.retrain()
    fit_gate.gates[0].set()                          # the fit would finish now
    assert ex.wait_retrain(WAIT)
    assert ex.predictions is None and ex.rounds == 0
    np.testing.assert_array_equal(ex.xy, xy)
    assert "Retrain cancelled" in status(ex) and not ex.widget.controls["busy"]


def test_predictions_show_before_the_map_follows(ex, digits, map_gate):
    label_digits(ex, digits, 0, 1)
    xy = ex.xy.copy()
    front_end_ui(ex, "retrain")
    assert map_gate.entered[0].wait(WAIT)            # the fit is done, the map updates
    assert ex.rounds == 1 and ex.predictions is not None     # predictions already shown
    assert ex.widget.controls["busy"]                        # and Cancel still offered
    np.testing.assert_array_equal(ex.xy, xy)                 # the map has not moved yet
    map_gate.open_all()
    assert ex.wait_retrain(WAIT)
    assert not np.array_equal(ex.xy, xy) and ex.widget.status["kind"] == "ok"


def test_cancel_while_the_map_updates_keeps_predictions_and_the_map(ex, digits, map_gate):
    label_digits(ex, digits, 0, 1)
    labels, xy = ex.labels.copy(), ex.xy.copy()
    front_end_ui(ex, "retrain")
    assert map_gate.entered[0].wait(WAIT)            # the fit is done, the map updates
    front_end_ui(ex, "cancel")
    map_gate.gates[0].set()
    assert ex.wait_retrain(WAIT)
    assert ex.widget.status["kind"] == "warn" and "Map update cancelled" in status(ex)
    assert ex.rounds == 1 and ex.predictions is not None     # the round's predictions stand
    np.testing.assert_array_equal(ex.xy, xy)                 # on the map as it was
    pd.testing.assert_series_equal(ex.labels, labels)
    assert not ex.widget.controls["busy"]


def test_predictions_show_labels_renamed_or_deleted_during_the_retrain(ex, digits, fit_gate):
    label_digits(ex, digits, 0, 1, 7)
    ex.retrain(wait=False)                           # learns zero, one, seven
    ex.store.rename_label("zero", "nought")
    ex.store.delete_label("seven")
    fit_gate.open_all()
    assert ex.wait_retrain(WAIT)
    pred = ex.predictions.label
    zeros, sevens = blob(digits, 0, 25, seed=0), blob(digits, 7, 25, seed=7)
    assert set(pred.dropna()) <= {"nought", "one", "seven (deleted)"}  # None: no label fits
    assert (pred.iloc[zeros] == "nought").all() and (pred.iloc[sevens] == "seven (deleted)").all()
    front_end_hovers(ex.scatter, int(zeros[0]))
    assert "pred: nought (" in panel_text(ex.widget.preview["item"])
    front_end_ui(ex, "color_by", "prediction")       # the user takes the offered colouring
    colours = legend(ex)
    assert colours["nought"] == ex.store.colors["nought"]
    assert colours["seven (deleted)"] == "#888888"   # no label colour any more
    ex.undo()                                        # the label comes back, same id
    assert (ex.predictions.label.iloc[sevens] == "seven").all()


def test_a_replaced_explorer_keeps_its_warning(ex, digits, fit_gate):
    label_digits(ex, digits, 0, 1)
    ex.retrain(wait=False)
    assert fit_gate.entered[0].wait(WAIT)
    newer = ev.Explorer(digits, embedding="pixels", image="image", label_file=str(ex.store.path),
                        progress=False)
    assert "replaced by a newer one" in status(ex)
    fit_gate.gates[0].set()                          # the old, cancelled retrain winds down
    assert ex.wait_retrain(WAIT)
    assert "replaced by a newer one" in status(ex)
    assert ex.predictions is None
    assert newer.labels.notna().sum() == 50
