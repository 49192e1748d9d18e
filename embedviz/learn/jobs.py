"""Running a fit in a background thread: progress, cancellation and a future-like handle.

Work checks the cancel flag between steps (each at most a few hundred milliseconds), so
``cancel()`` takes effect quickly; torch kernels release the GIL, so the kernel's comm handling
keeps running while a fit is under way. The worker leaves torch's thread count and random
state alone: both are process-wide (the fit draws from its own seeded generators).
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

ProgressFn = Callable[[float, str], None]


class Cancelled(Exception):
    """Raised by ``FitJob.result()`` (and inside the worker) when the job was cancelled."""


class Progress:
    """Reports progress and raises ``Cancelled`` at the next check after a cancel request."""

    def __init__(self, on_progress: ProgressFn | None = None,
                 cancel_event: threading.Event | None = None) -> None:
        self.on_progress = on_progress
        self.cancel_event = cancel_event or threading.Event()
        self.fraction = 0.0

    def tick(self) -> None:
        if self.cancel_event.is_set():
            raise Cancelled("the fit was cancelled")

    def __call__(self, fraction: float, message: str) -> None:
        self.tick()
        self.fraction = max(self.fraction, min(max(float(fraction), 0.0), 1.0))
        if self.on_progress is not None:
            self.on_progress(self.fraction, message)


class FitJob:
    """Handle on a background fit: ``cancel``, ``done``, ``result``, ``add_done_callback``."""

    def __init__(self, work: Callable[[Progress], Any], *,
                 on_progress: ProgressFn | None = None) -> None:
        self._progress = Progress(on_progress)
        self._finished = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[FitJob], None]] = []
        self._value: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(work,), daemon=True,
                                        name="embedviz-retrain")
        self._thread.start()

    @property
    def progress(self) -> float:
        return 1.0 if self._finished.is_set() and self._error is None else self._progress.fraction

    def _run(self, work: Callable[[Progress], Any]) -> None:
        try:
            self._value = work(self._progress)
        except BaseException as exc:  # handed to result(), never lost in the thread
            self._error = exc
        finally:
            with self._lock:
                self._finished.set()
                callbacks = list(self._callbacks)
            for fn in callbacks:
                self._call(fn)

    def _call(self, fn: Callable[[FitJob], None]) -> None:
        try:
            fn(self)
        except Exception:  # a failing callback must not kill the others
            import logging

            logging.getLogger(__name__).exception("done callback failed")

    def cancel(self) -> bool:
        """Ask the fit to stop; returns False if it had already finished."""
        if self._finished.is_set():
            return False
        self._progress.cancel_event.set()
        return True

    def cancelled(self) -> bool:
        return self._finished.is_set() and isinstance(self._error, Cancelled)

    def done(self) -> bool:
        return self._finished.is_set()

    def result(self, timeout: float | None = None) -> Any:
        """The fitted estimator; raises ``Cancelled``, the fit's error, or ``TimeoutError``."""
        if not self._finished.wait(timeout):
            raise TimeoutError(f"the fit did not finish within {timeout} s")
        if self._error is not None:
            raise self._error
        return self._value

    def exception(self, timeout: float | None = None) -> BaseException | None:
        if not self._finished.wait(timeout):
            raise TimeoutError(f"the fit did not finish within {timeout} s")
        return self._error

    def add_done_callback(self, fn: Callable[[FitJob], None]) -> None:
        """Call ``fn(job)`` when the job ends (at once, in this thread, if it already has)."""
        with self._lock:
            if not self._finished.is_set():
                self._callbacks.append(fn)
                return
        self._call(fn)
