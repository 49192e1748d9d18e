"""Durable, undoable labels for points: :class:`LabelStore` (a SQLite event log)."""
from __future__ import annotations

from embedviz.labels.errors import (
    DataMismatchError,
    LabelStoreError,
    NotAStoreError,
    ReadOnlyError,
    StoreLockedError,
    UnknownLabelError,
)
from embedviz.labels.store import LabelStore

__all__ = [
    "DataMismatchError",
    "LabelStore",
    "LabelStoreError",
    "NotAStoreError",
    "ReadOnlyError",
    "StoreLockedError",
    "UnknownLabelError",
]
