"""What the Explorer's label bar, keys and buttons do. Each handler catches its errors
into the status line; the state they act on lives in ``core.Explorer``."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..labels.validate import brief


def counted(n: int, noun: str) -> str:
    """'1 point', '2 points', '1,797 points'."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _next_group(shown: int, remaining: list[np.ndarray]) -> tuple[int, np.ndarray]:
    """The group after ``shown`` (cycling) that still has points, as (position, points);
    (-1, empty) when every group is empty."""
    for step in range(1, len(remaining) + 1):
        at = (shown + step) % len(remaining)
        if remaining[at].size:
            return at, remaining[at]
    return -1, np.zeros(0, np.int64)


class LabelActions:
    """Label-bar, key and toolbar handlers of the Explorer (mixed into it)."""

    def _guard(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except Exception as exc:  # shown to the user instead of a traceback in the log
            self.controls.say(str(exc), kind="error")
            return None

    def _ui_create(self, name: str) -> None:
        def run() -> None:
            before = set(self._store.classes)
            clean = self._clean_name(name)
            if clean not in before:  # "Zero" typed beside "zero" means "zero"
                clean = self._case_twin(clean) or clean
            self._active = self._ensure_label(clean, create=True)
            self.bar.new_name.value = ""
            self._refresh_labels()
            key = self._store.classes.index(self._active) + 1
            how = f"press {key} or Assign" if key <= 9 else (
                "press Assign (keys 1-9 reach the first nine labels)")
            what = "is active" if self._active not in before else "already exists; it is active"
            n = int(self.selection.size)
            todo = (f"{how} to label the {counted(n, 'selected point')}" if n
                    else f"lasso points, then {how}")
            self.controls.say(f"Label {brief(self._active)} {what}: {todo}.")
            self.scatter.focus()  # the next key labels the selection, not the name box
        self._guard(run)

    def _ui_rename_start(self) -> None:
        if self._active is None:
            self.controls.say("No label to rename yet.", kind="warn")
            return
        self.bar.start_rename(self._active)
        self.controls.say(f"Type the new name for {brief(self._active)} in the box and press "
                          "Enter.")

    def _ui_rename(self, old: str, new: str) -> None:
        def run() -> None:
            self.bar.new_name.value = ""
            stored = self.rename_label(old, new)
            self.controls.say(f"Renamed {brief(old)} to {brief(stored)} (Ctrl+Z undoes).",
                              kind="ok")
            self.scatter.focus()
        self._guard(run)

    def _ui_delete(self) -> None:
        def run() -> None:
            name = self._active
            if name is None:
                raise ValueError("No label to delete yet.")
            n = int(self._store.counts().get(name, 0))
            self.delete_label(name)
            self._last_edit = (self._store.version, "delete", name)
            self.controls.say(f"Deleted {brief(name)}: its {counted(n, 'point')} are unlabelled "
                              "(Ctrl+Z restores them).", kind="ok")
        self._guard(run)
        self.scatter.focus()  # keys go to the map, not the button (nor JupyterLab)

    def _ui_undo_redo(self, redo: bool) -> None:
        def run() -> None:
            last, self._last_edit = self._last_edit, None
            done = self.redo() if redo else self.undo()
            undid = (last[1:] if done and not redo and last is not None
                     and self._store.version == last[0] + 1 else (None, None))
            verb, action = ("Redone", "redo") if redo else ("Undone", "undo")
            again = ""
            if undid[0] == "delete":
                self._active = undid[1]  # the bin undone: its label is the active one again
                self._refresh_labels()
            elif undid[0] == "lasso":
                self.selection = undid[1]  # the lasso just undone: press the right number
                again = "; its points are selected again"
            what = str(done).split(": ", 1)[-1]  # "undo #12: assign …" -> "assign …"
            self.controls.say(f"{verb}: {what}{again}" if done else f"Nothing to {action}",
                              kind="ok" if done else "warn", about_selection=bool(again))
        self._guard(run)
        self.scatter.focus()

    def _ui_pick(self, name: str) -> None:
        self.bar.stop_rename()
        self._active = name
        self._refresh_labels()
        self.scatter.focus()
        if len(self.selection):
            self._ui_assign()

    def _ui_assign(self, name: str | None = None) -> None:
        def run() -> None:
            target = name or self._active
            if target is None:
                raise ValueError("No label yet: type a name in 'new label…' and press Add.")
            sel = self.selection
            if sel.size == 0:
                raise ValueError("Nothing selected: lasso points on the map first.")
            before = self._store.version
            target = self._ensure_label(target, create=False)
            taken = self._taken_from(sel, target)
            self.label(sel, target, create=False, source="lasso")
            # only a lasso that changed labels is one Ctrl+Z can hand back
            changed = self._store.version > before
            self._last_edit = (self._store.version, "lasso", sel) if changed else None
            self.selection = np.zeros(0, np.uint32)       # done with it: show the labels
            self.controls.say(f"{counted(int(sel.size), 'point')} → {brief(target)}{taken}. "
                              "Ctrl+Z undoes and selects them again.", kind="ok")
        self._guard(run)
        self.scatter.focus()

    def _taken_from(self, sel: np.ndarray, target: str) -> str:
        """'; 67 of them were 'files'': a lasso over labelled points relabels them, said."""
        codes = self._store.codes()[sel]
        classes = self._store.classes
        moved = codes[(codes >= 0) & (codes != classes.index(target))]
        if moved.size == 0:
            return ""
        top = int(np.bincount(moved).argmax())
        n_top = int((moved == top).sum())
        were = "it was" if sel.size == 1 else f"{moved.size:,} of them were"
        if n_top == moved.size:
            return f"; {were} {brief(classes[top])}"
        return f"; {moved.size:,} of them had other labels, {n_top:,} {brief(classes[top])}"

    def _ui_unassign(self) -> None:
        def run() -> None:
            sel = self.selection
            if sel.size == 0:
                raise ValueError("Nothing selected: lasso the points to unlabel first.")
            had = int((self._store.codes()[sel] >= 0).sum())
            if had == 0:
                raise ValueError(f"None of the {counted(int(sel.size), 'selected point')} has a "
                                 "label: nothing to remove.")
            self.unlabel(sel)
            self.controls.say(f"Labels removed from {counted(had, 'point')}.", kind="ok")
        self._guard(run)
        self.scatter.focus()

    def _on_key(self, key: str) -> None:
        if key.startswith("digit:"):
            i = int(key.split(":", 1)[1]) - 1
            classes = self._store.classes
            if i >= len(classes):
                self.controls.say(f"No label {i + 1} yet: create one with 'new label…'.", kind="warn")
                return
            self._active = classes[i]
            if self.selection.size == 0:  # the key still picks the label: say so
                self._refresh_labels()
                self.controls.say(f"Label {brief(classes[i])} is active; nothing is selected: "
                                  f"lasso points, then press {i + 1}.", kind="warn")
                return
            self._ui_assign(classes[i])
        elif key in ("undo", "redo"):
            self._ui_undo_redo(key == "redo")
        elif key == "delete":
            self._ui_unassign()

    def _ui_similar(self) -> None:
        sel = self.selection
        if sel.size == 0:
            self.controls.say("Select some points first; 'Similar' adds their graph neighbours.", kind="warn")
            return
        grown = np.union1d(sel, self._graph.indices[sel].ravel()).astype(np.uint32)
        self.selection = grown
        self.scatter.focus()
        self.controls.say(f"{grown.size - sel.size:,} similar points added", kind="ok",
                          about_selection=True)

    def _ui_new_class(self) -> None:
        """Select the next candidate new class (a cluster of points that fit no label)."""
        found = self.candidates
        if not found:
            self.controls.say("No candidate new classes: retrain first, or every point fits a "
                              "label.", kind="warn")
            return
        unlabelled = self._store.codes() < 0  # skip what was labelled since the retrain
        at, picked = _next_group(self._shown_candidate, [c[unlabelled[c]] for c in found])
        if at < 0:
            self.controls.say("Every candidate new class is labelled now: press Retrain to "
                              "look again.", kind="warn")
            self.controls.offer_new_classes(0)
            return
        self._shown_candidate = at
        self.selection = picked
        self.scatter.focus()  # the number key the status line names works at once
        self.controls.say(
            f"Possible new class {at + 1} of {len(found)}: {picked.size:,} points that fit no "
            "label are selected. Type a name and press Add, then press its number to label "
            "them.", kind="ok", about_selection=True)

    def _ui_check_labels(self) -> None:
        """Select the next group of labels that look wrong (points labelled A that look
        like B), skipping points relabelled since the retrain."""
        found = self.suspects
        if not found:
            self.controls.say("No labels look wrong: retrain first, or the model agrees with "
                              "every label.", kind="warn")
            return
        current = self.labels.to_numpy(dtype=object)
        at, picked = _next_group(self._shown_suspect,
                                 [g.indices[current[g.indices] == g.given] for g in found])
        if at < 0:
            self.controls.say("Every label that looked wrong has been changed: press Retrain "
                              "to check again.", kind="warn")
            self.controls.offer_suspects(0)
            return
        self._shown_suspect = at
        group = found[at]
        self.selection = picked
        self.scatter.focus()  # the number key the status line names works at once
        classes = self._store.classes
        key = classes.index(group.predicted) + 1 if group.predicted in classes else None
        how = (f"press {key} to relabel them {brief(group.predicted)}" if key and key <= 9
               else "label them with the right name")
        self.controls.say(
            f"Labels that look wrong, {at + 1} of {len(found)}: "
            f"{counted(int(picked.size), 'point')} labelled {brief(group.given)} "
            f"look{'s' if picked.size == 1 else ''} like {brief(group.predicted)}. "
            f"Check the previews, then {how}, or Unassign them.", kind="ok", about_selection=True)

