"""The single-writer lock: an OS file lock on ``<store>-lock`` beside the store.

Decision: an advisory ``flock`` (``msvcrt.locking`` on Windows) rather than a lock row in the
database. The OS drops it when the holder exits, even on SIGKILL, so a crashed Explorer never
leaves a stale lock; and it is per open file, so a second writer in the *same* process is
refused as well. The lock file holds no data and is never read; deleting it while no store
is open is harmless.
"""
from __future__ import annotations

import os
from pathlib import Path

from embedviz.labels.errors import StoreLockedError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt


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

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the lock
            self._fd = None
