"""A Ctrl+C (Jupyter's "interrupt kernel": SIGINT) waits until a label write is whole.

A write appends an event to the file and then applies it in memory. An interrupt between
the two left the store behind its own file (in a stress test, 220 of 300 random interrupts
during writes), so every later write was refused until the file was reopened; one inside the
in-memory replay could leave a snapshot the file no longer opened with. Writes take
milliseconds, so the interrupt is held for their length and raised right after.
"""
from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


@contextmanager
def deferred_interrupts() -> Iterator[None]:
    """Hold SIGINT for the block and deliver it after (unless the block raised: its error
    is reported instead). Blocks may nest: the outermost delivers. Only the main thread
    receives signals, so elsewhere (and where Python does not own the handler) this does
    nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is None:  # installed outside Python: not ours to swap
        yield
        return
    held: list[tuple[int, FrameType | None]] = []
    signal.signal(signal.SIGINT, lambda signum, frame: held.append((signum, frame)))
    try:
        yield
    except BaseException:  # the block's own error stops the cell: it is the one to report
        signal.signal(signal.SIGINT, previous)
        raise
    signal.signal(signal.SIGINT, previous)
    if held:
        _deliver(previous, *held[0])


def _deliver(handler: object, signum: int, frame: FrameType | None) -> None:
    """Run what SIGINT would have run: the previous handler, or the default interrupt."""
    if callable(handler):
        handler(signum, frame)
    elif handler == signal.SIG_DFL:
        raise KeyboardInterrupt
