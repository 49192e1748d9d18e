"""Property test: random operation sequences (with undo/redo and reopening) against a plain model.

The model keeps its state as plain dicts and implements undo by saving whole copies of the
state, an independent and obviously-correct implementation of the same semantics. A read-only
second store refreshes after every step and must agree as well.
"""
from __future__ import annotations

import copy
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from embedviz.colors import next_color
from embedviz.labels import LabelStore

N = 12
NAMES = st.sampled_from(["a", "b", "c", "é"])
POINTS = st.lists(st.integers(0, N - 1), max_size=8)
COLORS = st.one_of(st.none(), st.sampled_from(["#111111", "#222222", "#4e79a7"]))


@dataclass
class ModelState:
    classes: dict[int, list[str]] = field(default_factory=dict)  # uid -> [name, color]
    labels: dict[int, int] = field(default_factory=dict)  # point -> uid


class Model:
    def __init__(self) -> None:
        self.state = ModelState()
        self.undo: list[ModelState] = []
        self.redo: list[ModelState] = []
        self.next_uid = 0

    def uid(self, name: str) -> int | None:
        return next((u for u, (nm, _) in self.state.classes.items() if nm == name), None)

    def change(self, mutate) -> None:
        before = copy.deepcopy(self.state)
        mutate(self.state)
        self.undo.append(before)
        self.redo.clear()

    def new_uid(self) -> int:
        self.next_uid += 1
        return self.next_uid - 1

    def names(self) -> list[str]:
        return [self.state.classes[u][0] for u in sorted(self.state.classes)]

    def colors(self) -> dict[str, str]:
        return {self.state.classes[u][0]: self.state.classes[u][1] for u in sorted(self.state.classes)}

    def series(self) -> list:
        return [self.state.classes[self.state.labels[p]][0] if p in self.state.labels else None for p in range(N)]


class StoreVersusModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp())
        self.path = self.dir / "m.embedviz.db"
        self.store = LabelStore(self.path, n=N)
        self.reader = LabelStore(self.path, readonly=True)
        self.model = Model()

    def teardown(self) -> None:
        self.store.close()
        self.reader.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    @initialize()
    def two_labels(self):
        self.create("a", None)
        self.create("b", "#222222")

    @rule(name=NAMES, color=COLORS)
    def create(self, name, color):
        if self.model.uid(name) is not None:
            return
        chosen = color or next_color(c for _, c in self.model.state.classes.values())
        uid = self.model.new_uid()
        self.model.change(lambda s: s.classes.__setitem__(uid, [name, chosen]))
        assert self.store.create_label(name, color=color) == name

    @rule(old=NAMES, new=NAMES)
    def rename(self, old, new):
        uid = self.model.uid(old)
        if uid is None or self.model.uid(new) is not None:
            return
        self.model.change(lambda s: s.classes[uid].__setitem__(0, new))
        self.store.rename_label(old, new)

    @rule(name=NAMES, color=st.sampled_from(["#010203", "#aabbcc"]))
    def recolor(self, name, color):
        uid = self.model.uid(name)
        if uid is None:
            return
        self.model.change(lambda s: s.classes[uid].__setitem__(1, color))
        self.store.recolor_label(name, color)

    @rule(sources=st.lists(NAMES, min_size=1, max_size=3), into=NAMES)
    def merge(self, sources, into):
        src = list(dict.fromkeys(self.model.uid(s) for s in sources))
        if None in src:
            return
        target = self.model.uid(into)
        src = [u for u in src if u != target]
        if not src:
            return
        color = self.model.state.classes[src[0]][1]
        new_uid = self.model.new_uid() if target is None else target

        def mutate(s: ModelState) -> None:
            if target is None:
                s.classes[new_uid] = [into, color]
            for u in src:
                del s.classes[u]
            s.labels.update({p: new_uid for p, u in s.labels.items() if u in src})

        self.model.change(mutate)
        self.store.merge_labels(sources, into)

    @rule(name=NAMES)
    def delete(self, name):
        uid = self.model.uid(name)
        if uid is None:
            return

        def mutate(s: ModelState) -> None:
            del s.classes[uid]
            for p in [p for p, u in s.labels.items() if u == uid]:
                del s.labels[p]

        self.model.change(mutate)
        self.store.delete_label(name)

    @rule(points=POINTS, name=NAMES)
    def assign(self, points, name):
        uid = self.model.uid(name)
        if uid is None:
            return
        changes = any(self.model.state.labels.get(p) != uid for p in points)
        if changes:
            self.model.change(lambda s: s.labels.update({p: uid for p in points}))
        result = self.store.assign(points, name, source="lasso")
        assert (result is not None) == changes

    @rule(points=POINTS, name=NAMES)
    def assign_create(self, points, name):
        uid = self.model.uid(name)
        if uid is None:
            color = next_color(c for _, c in self.model.state.classes.values())
            new_uid = self.model.new_uid()

            def mutate(s: ModelState) -> None:
                s.classes[new_uid] = [name, color]
                s.labels.update({p: new_uid for p in points})

            self.model.change(mutate)
            changes = True
        else:
            changes = any(self.model.state.labels.get(p) != uid for p in points)
            if changes:
                self.model.change(lambda s: s.labels.update({p: uid for p in points}))
        assert (self.store.assign(points, name, create=True) is not None) == changes

    @rule(values=st.lists(st.one_of(st.none(), NAMES), min_size=N, max_size=N))
    def import_column(self, values):
        state = self.model.state
        new_names = [v for v in dict.fromkeys(values) if v is not None and self.model.uid(v) is None]
        changes = bool(new_names) or any(
            v is not None and state.labels.get(p) != self.model.uid(v) for p, v in enumerate(values))
        if changes:
            used = [c for _, c in state.classes.values()]
            created = {}
            for name in new_names:
                created[name] = (self.model.new_uid(), next_color(used))
                used.append(created[name][1])

            def mutate(s: ModelState) -> None:
                for name, (uid, color) in created.items():
                    s.classes[uid] = [name, color]
                uids = {nm: u for u, (nm, _) in s.classes.items()}
                s.labels.update({p: uids[v] for p, v in enumerate(values) if v is not None})

            self.model.change(mutate)
        assert (self.store.import_labels(values) is not None) == changes

    @rule(points=POINTS)
    def unassign(self, points):
        changes = any(p in self.model.state.labels for p in points)
        if changes:
            self.model.change(lambda s: [s.labels.pop(p, None) for p in points])
        assert (self.store.unassign(points) is not None) == changes

    @rule()
    def undo(self):
        if self.model.undo:
            self.model.redo.append(self.model.state)
            self.model.state = self.model.undo.pop()
            assert self.store.undo() is not None
        else:
            assert self.store.undo() is None

    @rule()
    def redo(self):
        if self.model.redo:
            self.model.undo.append(self.model.state)
            self.model.state = self.model.redo.pop()
            assert self.store.redo() is not None
        else:
            assert self.store.redo() is None

    @rule(snapshot=st.booleans())
    def reopen(self, snapshot):
        if snapshot:
            self.store.snapshot()
        self.store.close()
        self.store = LabelStore(self.path, n=N)

    @invariant()
    def agrees_with_model(self):
        self.reader.refresh()
        for store in (self.store, self.reader):
            assert store.classes == self.model.names()
            assert store.colors == self.model.colors()
            assert [None if pd.isna(v) else v for v in store.series()] == self.model.series()
        assert self.store.can_undo == bool(self.model.undo)
        assert self.store.can_redo == bool(self.model.redo)


StoreVersusModel.TestCase.settings = settings(
    max_examples=100, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestStoreVersusModel = StoreVersusModel.TestCase
