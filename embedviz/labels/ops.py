"""Builders that turn a user request + the current state into an :class:`Event` (no I/O).

Each builder validates its input against the state and computes the event's exact effect
(class diffs, prior and new class ids of the touched points). Builders return None when the
request would change nothing (an empty selection, unassigning unlabelled points), so no
empty events enter the log.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from embedviz.colors import check_color, next_color
from embedviz.common import brief, brief_list
from embedviz.labels import events as ev
from embedviz.labels.events import Change, Event
from embedviz.labels.state import LabelState
from embedviz.labels.validate import check_name


def _new_name(state: LabelState, name: Any) -> str:
    name = check_name(name)
    if state.has(name):
        raise ValueError(f"a label called {brief(name)} already exists; known labels: {brief_list(state.names())}")
    return name


def _color_for(state: LabelState, color: Any) -> str:
    if color is None:
        return next_color(d["color"] for d in state.classes.values())
    return check_color(color)


def build_create(state: LabelState, name: Any, color: Any = None) -> Event:
    name = _new_name(state, name)
    definition = {"name": name, "color": _color_for(state, color)}
    change = Change(classes=[(state.next_class_id, None, definition)])
    return Event(ev.CREATE, {"label": name, "color": definition["color"]}, change)


def build_rename(state: LabelState, old: Any, new: Any) -> Event:
    cid = state.class_id(check_name(old))
    before = state.classes[cid]
    new = check_name(new)
    if new == before["name"]:
        raise ValueError(f"label {brief(new)} already has that name")
    new = _new_name(state, new)
    change = Change(classes=[(cid, dict(before), {**before, "name": new})])
    return Event(ev.RENAME, {"old": before["name"], "new": new}, change)


def build_recolor(state: LabelState, name: Any, color: Any) -> Event:
    cid = state.class_id(check_name(name))
    before = state.classes[cid]
    color = check_color(color)
    change = Change(classes=[(cid, dict(before), {**before, "color": color})])
    return Event(ev.RECOLOR, {"label": before["name"], "old": before["color"], "new": color}, change)


def _points_of(state: LabelState, class_ids: Sequence[int]) -> np.ndarray:
    return np.flatnonzero(np.isin(state.point_class, np.asarray(class_ids, dtype=np.int32)))


def build_merge(state: LabelState, sources: Sequence[Any], into: Any) -> Event:
    """Merge ``sources`` into ``into``; ``into`` is created (colour of the first source) if new."""
    if isinstance(sources, str) or not isinstance(sources, Sequence) or not sources:
        raise TypeError("sources must be a non-empty list of label names, e.g. merge_labels(['a', 'b'], into='ab')")
    into = check_name(into)
    source_ids = list(dict.fromkeys(state.class_id(check_name(s)) for s in sources))
    classes: list[tuple[int, Any, Any]] = []
    if state.has(into):
        into_id = state.class_id(into)
        source_ids = [cid for cid in source_ids if cid != into_id]
        if not source_ids:
            raise ValueError(f"nothing to merge: every source is the target {brief(into)}")
    else:
        into_id = state.next_class_id
        classes.append((into_id, None, {"name": into, "color": state.classes[source_ids[0]]["color"]}))
    classes += [(cid, dict(state.classes[cid]), None) for cid in source_ids]
    points = _points_of(state, source_ids)
    change = Change(classes=classes, points=points, prior=state.point_class[points].copy(), after=into_id)
    info = {"sources": [state.classes[c]["name"] for c in source_ids], "into": into,
            "created": into_id == state.next_class_id, "n_points": int(points.size)}
    return Event(ev.MERGE, info, change)


def build_delete(state: LabelState, name: Any) -> Event:
    cid = state.class_id(check_name(name))
    points = _points_of(state, [cid])
    change = Change(classes=[(cid, dict(state.classes[cid]), None)], points=points,
                    prior=state.point_class[points].copy(), after=-1)
    return Event(ev.DELETE, {"label": state.classes[cid]["name"], "n_points": int(points.size)}, change)


def _check_polygon(polygon: Any) -> list[list[float]] | None:
    if polygon is None:
        return None
    arr = np.asarray(polygon, dtype=float)
    if arr.ndim != 2 or arr.shape[1] != 2 or not np.isfinite(arr).all():
        raise ValueError("polygon must be a list of finite (x, y) pairs, e.g. [(0, 0), (1, 0), (0, 1)]")
    return arr.tolist()


def build_assign(state: LabelState, positions: np.ndarray, label: Any, *, source: str = "api",
                 polygon: Any = None, round: int | None = None, create: bool = False) -> Event | None:
    """Assign ``label`` to sorted unique ``positions``; None when nothing would change."""
    if source not in ev.SOURCES:
        raise ValueError(f"source must be one of {list(ev.SOURCES)}, got {brief(source)}")
    if round is not None and (isinstance(round, bool) or not isinstance(round, (int, np.integer)) or round < 0):
        raise ValueError(f"round must be a non-negative integer or None, got {brief(round)}")
    label = check_name(label)
    classes: list[tuple[int, Any, Any]] = []
    if create and not state.has(label):
        cid = state.next_class_id
        classes.append((cid, None, {"name": label, "color": _color_for(state, None)}))
    else:
        cid = state.class_id(label)
    prior = state.point_class[positions]
    if not classes and (positions.size == 0 or bool((prior == cid).all())):
        return None
    change = Change(classes=classes, points=positions, prior=prior, after=cid)
    info = {"label": label, "source": source, "round": None if round is None else int(round),
            "polygon": _check_polygon(polygon), "n_points": int(positions.size), "created": bool(classes)}
    return Event(ev.ASSIGN, info, change)


def build_unassign(state: LabelState, positions: np.ndarray) -> Event | None:
    prior = state.point_class[positions]
    if positions.size == 0 or bool((prior == -1).all()):
        return None
    change = Change(points=positions, prior=prior, after=-1)
    return Event(ev.UNASSIGN, {"n_points": int(positions.size)}, change)


def build_import(state: LabelState, positions: np.ndarray, names: Sequence[str], *,
                 colors: Mapping[str, Any] | None = None) -> Event | None:
    """Set each of ``positions`` (sorted, unique) to the label in ``names`` (same length).

    New labels are created in this order: those named in ``colors`` (even when no point has
    them, so an export's empty labels survive a round trip), then the others by first
    appearance; colours come from ``colors`` or the palette.
    """
    colors = {check_name(k): v for k, v in (colors or {}).items()}
    codes, uniques = pd.factorize(pd.Series(list(names), dtype=object))
    wanted = list(dict.fromkeys([*colors, *(check_name(u) for u in uniques)]))
    classes: list[tuple[int, Any, Any]] = []
    used = [d["color"] for d in state.classes.values()]
    class_of: dict[str, int] = {}
    for name in wanted:
        if state.has(name):
            class_of[name] = state.class_id(name)
            continue
        color = check_color(colors[name]) if colors.get(name) is not None else next_color(used)
        used.append(color)
        class_of[name] = state.next_class_id + len(classes)
        classes.append((class_of[name], None, {"name": name, "color": color}))
    lut = np.array([class_of[check_name(u)] for u in uniques], dtype=np.int32)
    after = lut[codes] if len(uniques) else np.empty(0, np.int32)
    prior = state.point_class[positions]
    if not classes and (positions.size == 0 or np.array_equal(prior, after)):
        return None
    change = Change(classes=classes, points=positions, prior=prior, after=after)
    info = {"created": [c[2]["name"] for c in classes], "n_points": int(positions.size), "source": "import"}
    return Event(ev.IMPORT, info, change)
