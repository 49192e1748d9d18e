"""Background fitting: progress, result, callbacks and cancellation."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from embedviz.learn import Cancelled, Retrainer
from embedviz.learn.jobs import FitJob

from .conftest import make_blobs


def test_fit_async_reports_progress_and_returns_the_estimator():
    X, y = make_blobs(n_per=30)
    labels = np.where(np.arange(y.size) % 10 == 0, y, -1)
    seen: list[tuple[float, str]] = []
    done = threading.Event()
    model = Retrainer(adapter_steps=20)
    job = model.fit_async(X, labels, on_progress=lambda f, m: seen.append((f, m)))
    job.add_done_callback(lambda j: done.set())
    assert job.result(timeout=120) is model
    assert done.wait(5) and job.done() and job.progress == 1.0
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert all(isinstance(m, str) and m for _, m in seen)
    # the status line shows these: words a user knows, not the learner's parts
    jargon = ("head", "seed set", "fold", "operator", "novelty", "learner", "adapter", "CV",
              "propagat", "cross-valid")
    assert not [m for _, m in seen if any(j in m for j in jargon)], seen
    said = " ".join(m for _, m in seen)
    assert "learning from your labels" in said, seen
    assert hasattr(model, "transduction_")


def test_cancel_stops_a_running_fit():
    started = threading.Event()

    def work(progress):
        started.set()
        while True:  # a fit that would never end on its own
            progress.tick()
            time.sleep(0.01)

    job = FitJob(work)
    assert started.wait(5)
    assert job.cancel()
    with pytest.raises(Cancelled):
        job.result(timeout=2)
    assert job.done() and job.cancelled()


def test_cancel_a_real_fit():
    X, y = make_blobs(n_per=60)
    labels = np.where(np.arange(y.size) % 5 == 0, y, -1)
    first = threading.Event()
    model = Retrainer(adapter_steps=100000)  # far longer than the test waits
    job = model.fit_async(X, labels, on_progress=lambda f, m: first.set())
    assert first.wait(60)
    job.cancel()
    with pytest.raises(Cancelled):
        job.result(timeout=30)
    assert not hasattr(model, "transduction_")


def test_errors_surface_in_result():
    job = Retrainer().fit_async(np.zeros((5, 3)) + 1, np.full(5, -1))
    with pytest.raises(ValueError, match="no labelled points"):
        job.result(timeout=30)


def test_callback_added_after_the_end_runs_at_once():
    job = FitJob(lambda p: 42)
    assert job.result(timeout=5) == 42
    calls = []
    job.add_done_callback(calls.append)
    assert calls == [job]


def test_progress_moves_while_the_adapters_train():
    """The longest step reports as it goes, not only when it starts and ends."""
    X, y = make_blobs(n_per=30)
    labels = np.where(np.arange(y.size) % 10 == 0, y, -1)
    seen: list[tuple[float, str]] = []
    Retrainer(adapter_steps=100).fit_async(
        X, labels, on_progress=lambda f, m: seen.append((f, m))).result(timeout=120)
    training = [f for f, m in seen if "fine-tuning" in m]
    assert len(set(training)) >= 4, seen
    assert min(training) < max(training) <= 0.6
