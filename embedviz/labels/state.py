"""The materialised label state: classes and per-point class ids, derived from the log.

The state is a pure function of the event log (optionally starting from a snapshot); the
store keeps it in memory so reads (``codes()``, ``series()``) never touch SQLite. Points
hold *class ids* (stable, never reused); ``codes()`` maps them to positions in ``classes``.
"""
from __future__ import annotations

import json
import zlib
from collections.abc import Callable

import numpy as np

from embedviz.labels.errors import UnknownLabelError
from embedviz.labels.events import REDO, UNDO, Change, ClassDef, Event


class LabelState:
    """Classes (id -> name/colour), class id per point, and the undo/redo stacks."""

    def __init__(self, n: int) -> None:
        self.classes: dict[int, ClassDef] = {}
        self.point_class = np.full(n, -1, dtype=np.int32)
        self.undo_stack: list[int] = []
        self.redo_stack: list[int] = []
        self.last_event_id = 0
        self.next_class_id = 0

    # ---- reading ---------------------------------------------------------------
    @property
    def n(self) -> int:
        return int(self.point_class.size)

    def names(self) -> list[str]:
        """Label names ordered by class id (creation order)."""
        return [self.classes[cid]["name"] for cid in sorted(self.classes)]

    def class_id(self, name: str) -> int:
        """The id of the class called ``name``; ``UnknownLabelError`` lists the known ones."""
        for cid, definition in self.classes.items():
            if definition["name"] == name:
                return cid
        raise UnknownLabelError(name, self.names())

    def has(self, name: str) -> bool:
        return any(d["name"] == name for d in self.classes.values())

    def codes(self) -> np.ndarray:
        """int32 per point: position of its class in :meth:`names`, -1 when unlabelled."""
        lut = np.full(self.next_class_id + 1, -1, dtype=np.int32)
        for pos, cid in enumerate(sorted(self.classes)):
            lut[cid + 1] = pos
        return lut[self.point_class + 1]

    # ---- changing --------------------------------------------------------------
    def grow(self, n: int) -> None:
        """Extend to ``n`` points (appended rows start unlabelled)."""
        if n > self.n:
            self.point_class = np.concatenate([self.point_class, np.full(n - self.n, -1, np.int32)])

    def apply(self, change: Change, *, forward: bool) -> None:
        """Apply a change (forward = do/redo, backward = undo)."""
        for cid, before, after in change.classes:
            definition = after if forward else before
            if definition is None:
                self.classes.pop(cid, None)
            else:
                self.classes[cid] = dict(definition)
            self.next_class_id = max(self.next_class_id, cid + 1)
        if change.points.size:
            self.point_class[change.points] = change.after if forward else change.prior

    def replay(self, event: Event, load: Callable[[int], Event]) -> None:
        """Advance the state by one logged event; ``load`` fetches an undo/redo target."""
        if event.kind in (UNDO, REDO):
            undoing = event.kind == UNDO
            source, dest = (self.undo_stack, self.redo_stack) if undoing else (self.redo_stack, self.undo_stack)
            if not source or source[-1] != event.target:
                expected = f"#{source[-1]}" if source else "nothing"
                raise ValueError(f"log damaged: event #{event.id} is {event.kind} of #{event.target}, "
                                 f"expected {expected}")
            self.apply(load(source[-1]).change, forward=not undoing)
            dest.append(source.pop())
        else:
            self.apply(event.change, forward=True)
            self.undo_stack.append(int(event.id))  # type: ignore[arg-type]
            self.redo_stack.clear()
        self.last_event_id = int(event.id)  # type: ignore[arg-type]

    # ---- snapshots -------------------------------------------------------------
    def to_snapshot(self) -> tuple[int, str, bytes]:
        """(event id, JSON, compressed class ids) capturing this state."""
        meta = {
            "classes": [[cid, d] for cid, d in sorted(self.classes.items())],
            "undo": self.undo_stack,
            "redo": self.redo_stack,
            "next_class_id": self.next_class_id,
            "n": self.n,
        }
        blob = zlib.compress(self.point_class.astype("<i4").tobytes(), 1)
        return self.last_event_id, json.dumps(meta, ensure_ascii=False), blob

    @classmethod
    def from_snapshot(cls, event_id: int, meta_text: str, blob: bytes) -> LabelState:
        meta = json.loads(meta_text)
        state = cls(0)
        state.classes = {int(cid): d for cid, d in meta["classes"]}
        state.undo_stack = [int(i) for i in meta["undo"]]
        state.redo_stack = [int(i) for i in meta["redo"]]
        state.next_class_id = int(meta["next_class_id"])
        state.point_class = np.frombuffer(zlib.decompress(blob), dtype="<i4").astype(np.int32)
        state.last_event_id = int(event_id)
        if state.n != int(meta["n"]):
            raise ValueError("snapshot damaged: length mismatch")
        return state
