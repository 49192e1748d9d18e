"""Events of the label log and their storage form.

Every event, whatever its kind, stores its *effect* as a :class:`Change`: the class
definitions before and after (by stable class id) and, for the points it touches, their class
ids before (``prior``) and after. Applying a change forward redoes the event, backward undoes
it, so undo/redo is one generic operation for every kind and is exact (it restores the prior
labels of each point, including points that had other labels). Undo and redo are themselves
appended events that name their target; nothing in the log is ever rewritten.

Storage per event row: ``payload`` (JSON: provenance ``info`` + class diffs + a uniform
``after`` id), ``points`` (store positions as little-endian uint32, or int64 past 2**32),
``prior`` (int32 class ids) and ``after`` (int32, only when the new ids differ per point).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from embedviz.common import brief

CREATE, RENAME, RECOLOR, MERGE, DELETE = "create", "rename", "recolor", "merge", "delete"
ASSIGN, UNASSIGN, IMPORT, UNDO, REDO = "assign", "unassign", "import", "undo", "redo"
KINDS = (CREATE, RENAME, RECOLOR, MERGE, DELETE, ASSIGN, UNASSIGN, IMPORT, UNDO, REDO)
SOURCES = ("lasso", "api", "suggestion", "import")

ClassDef = dict[str, str]  # {"name": ..., "color": ...}
_EMPTY = np.empty(0, dtype=np.int64)
_EMPTY_CODES = np.empty(0, dtype=np.int32)


@dataclass
class Change:
    """The effect of an event: class diffs and point diffs (positions, ids before/after)."""

    classes: list[tuple[int, ClassDef | None, ClassDef | None]] = field(default_factory=list)
    points: np.ndarray = field(default_factory=lambda: _EMPTY)
    prior: np.ndarray = field(default_factory=lambda: _EMPTY_CODES)
    after: int | np.ndarray = -1


@dataclass
class Event:
    """One row of the log: ``info`` holds provenance and names for readable history."""

    kind: str
    info: dict[str, Any]
    change: Change
    target: int | None = None  # the event an undo/redo acts on
    id: int | None = None
    time: float = field(default_factory=time.time)


def to_row(event: Event) -> tuple[float, str, int | None, str, bytes | None, bytes | None, bytes | None]:
    """The values of an ``events`` row (time, kind, target, payload, points, prior, after)."""
    ch = event.change
    payload: dict[str, Any] = {"info": event.info, "classes": [list(c) for c in ch.classes]}
    points = prior = after = None
    if ch.points.size:
        wide = int(ch.points[-1]) >= 2**32  # points are sorted
        payload["pdt"] = "<i8" if wide else "<u4"
        points = ch.points.astype(payload["pdt"]).tobytes()
        prior = ch.prior.astype("<i4").tobytes()
    if isinstance(ch.after, np.ndarray):
        after = ch.after.astype("<i4").tobytes()
    else:
        payload["after"] = int(ch.after)
    return (event.time, event.kind, event.target, json.dumps(payload, ensure_ascii=False), points, prior, after)


def from_row(row: tuple) -> Event:
    """Inverse of :func:`to_row` for a row ``(id, time, kind, target, payload, points, prior, after)``."""
    event_id, when, kind, target, payload_text, points, prior, after = row
    payload = json.loads(payload_text)
    change = Change(classes=[(int(c[0]), c[1], c[2]) for c in payload["classes"]])
    if points is not None:
        change.points = np.frombuffer(points, dtype=payload["pdt"]).astype(np.int64)
        change.prior = np.frombuffer(prior, dtype="<i4")
    change.after = np.frombuffer(after, dtype="<i4") if after is not None else int(payload.get("after", -1))
    return Event(kind=kind, info=payload["info"], change=change, target=target, id=event_id, time=when)


#: How the sources of an assignment read in a sentence ("lasso" is any selection on the map,
#: a click and a number key too).
_SOURCES = {"lasso": "on the map", "api": "from Python"}


def describe(kind: str, info: dict[str, Any]) -> str:
    """A short readable sentence for an event (long label names cut short)."""
    n = info.get("n_points", 0)
    if kind == CREATE:
        return f"create label {brief(info['label'])}"  # its colour shows on the chip
    if kind == RENAME:
        return f"rename label {brief(info['old'])} to {brief(info['new'])}"
    if kind == RECOLOR:
        return f"recolour label {brief(info['label'])} from {info['old']} to {info['new']}"
    if kind == MERGE:
        sources = ", ".join(brief(s) for s in info["sources"])
        return f"merge labels {sources} into {brief(info['into'])} ({n:,} points)"
    points = f"{n:,} point{'' if n == 1 else 's'}"
    if kind == DELETE:
        return f"delete label {brief(info['label'])} ({points} unlabelled)"
    if kind == ASSIGN:
        extra = f", round {info['round']}" if info.get("round") is not None else ""
        source = _SOURCES.get(info["source"], info["source"])
        return f"assign {points} to {brief(info['label'])} ({source}{extra})"
    if kind == UNASSIGN:
        return f"unassign {points}"
    if kind == IMPORT:
        return f"import labels for {n:,} points ({len(info.get('created', []))} new labels)"
    if kind in (UNDO, REDO):
        return f"{kind} #{info['target']}: {info['what']}"
    return kind
