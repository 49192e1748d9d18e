"""The single-writer lock: an OS file lock on ``<store>-lock`` beside the store.

Decision: an advisory ``flock`` (``msvcrt.locking`` on Windows) rather than a lock row in the
database. The OS drops it when the holder exits, even on SIGKILL, so a crashed Explorer never
leaves a stale lock; and it is per open file, so a second writer in the *same* process is
refused as well. The lock file holds no data and is never read; deleting it while no store
is open is harmless. A forked child (multiprocessing, DataLoader workers) closes its copy of
the descriptor at once, so it never keeps the lock alive after the parent closes the store.
"""
from __future__ import annotations

import os
import weakref
from pathlib import Path

from embedviz.labels.errors import StoreLockedError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt


_HELD: weakref.WeakSet[WriterLock] = weakref.WeakSet()


def _drop_in_forked_child() -> None:
    for held in list(_HELD):
        if held._fd is not None:
            os.close(held._fd)  # the parent's descriptor keeps the lock; this copy must not
            held._fd = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_drop_in_forked_child)


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + "-lock")


class WriterLock:
    """Holds the writer lock of the store at ``path`` from construction until :meth:`release`."""

    def __init__(self, path: Path) -> None:
        self._fd: int | None = os.open(lock_path(path), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if fcntl is not None:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            else:  # pragma: no cover - Windows
                msvcrt.locking(self._fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            os.close(self._fd)
            self._fd = None
            raise StoreLockedError(
                f"another process (or another LabelStore in this one) holds {path} for writing; "
                f"open it read-only with LabelStore({str(path)!r}, readonly=True) "
                f"or close the other Explorer/LabelStore first"
            ) from None
        _HELD.add(self)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the lock
            self._fd = None
