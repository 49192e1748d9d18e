"""Undo/redo across every event kind: exact restoration, redo cleared, persistence."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from embedviz.labels import LabelStore


def _snapshot(store: LabelStore) -> tuple:
    return store.classes, store.colors, [None if pd.isna(v) else v for v in store.series()]


def _setup(store: LabelStore) -> None:
    store.create_label("a")
    store.create_label("b")
    store.assign([0, 1, 2, 3], "a")
    store.assign([4, 5], "b")


OPERATIONS = {
    "create": lambda s: s.create_label("c"),
    "rename": lambda s: s.rename_label("a", "z"),
    "recolor": lambda s: s.recolor_label("b", "#123456"),
    "merge_existing": lambda s: s.merge_labels(["a"], "b"),
    "merge_new": lambda s: s.merge_labels(["a", "b"], "ab"),
    "delete": lambda s: s.delete_label("a"),
    "assign_over_other_labels": lambda s: s.assign([2, 3, 4, 9], "b", source="lasso"),
    "assign_create": lambda s: s.assign([9], "new", create=True),
    "unassign": lambda s: s.unassign([1, 4, 8]),
    "import": lambda s: s.import_labels(pd.Series(["x", None, "a"], index=[7, 8, 0])),
}


@pytest.mark.parametrize("kind", sorted(OPERATIONS))
def test_undo_restores_and_redo_reapplies(store, store_path, kind):
    _setup(store)
    before = _snapshot(store)
    OPERATIONS[kind](store)
    after = _snapshot(store)
    assert after != before
    description = store.undo()
    assert isinstance(description, str) and description.startswith("undo #")
    assert _snapshot(store) == before
    assert store.can_redo
    assert store.redo().startswith("redo #")
    assert _snapshot(store) == after
    store.undo()
    store.close()
    with LabelStore(store_path) as reopened:  # undo state survives reopening
        assert _snapshot(reopened) == before
        assert reopened.can_redo
        reopened.redo()
        assert _snapshot(reopened) == after


def test_undo_assign_restores_each_points_previous_label(store):
    _setup(store)
    store.assign(np.arange(10), "b")
    store.undo()
    assert store.codes().tolist() == [0, 0, 0, 0, 1, 1, -1, -1, -1, -1]


def test_undo_everything_then_redo_everything(store):
    _setup(store)
    states = [_snapshot(store)]
    for op in ("recolor", "merge_new", "assign_create", "unassign"):
        OPERATIONS[op](store)
        states.append(_snapshot(store))
    for expected in reversed(states[:-1]):
        store.undo()
        assert _snapshot(store) == expected
    for _ in range(4):  # the four setup events too
        assert store.undo() is not None
    assert store.classes == [] and not store.can_undo
    assert store.undo() is None
    while store.can_redo:
        store.redo()
    assert _snapshot(store) == states[-1]
    assert store.redo() is None


def test_new_event_clears_redo(store):
    _setup(store)
    store.undo()
    assert store.can_redo
    store.assign([9], "a")
    assert not store.can_redo and store.redo() is None


def test_undo_is_appended_to_the_log(store):
    _setup(store)
    n_events = len(store.history())
    store.undo()
    history = store.history()
    assert len(history) == n_events + 1
    assert history[-1]["kind"] == "undo" and history[-1]["target"] == history[-2]["id"]
    assert history[-2]["undone"] is True
    assert [h["kind"] for h in store.history(include_undo=False)] == ["create", "create", "assign", "assign"]


def test_snapshot_then_undo_past_it(store_path):
    with LabelStore(store_path, n=10) as s:
        _setup(s)
        s.snapshot()
        s.assign([9], "a")
    with LabelStore(store_path) as s:
        for _ in range(5):
            s.undo()
        assert s.classes == [] and s.labelled().size == 0
        assert s.undo() is None
