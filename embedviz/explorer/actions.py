"""What the Explorer's label bar, keys and buttons do. Each handler catches its errors
into the status line; the labels live in the Explorer's store, the model in ``Retraining``."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..common import brief
from .label_names import case_twin, clean_name, ensure_label

if TYPE_CHECKING:
    from .core import Explorer
    from .session import Session


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
    """The label bar's, keys' and buttons' handlers of one Explorer.

    Parameters
    ----------
    ex : Explorer
        Acted on through its public API (``selection``, ``store``, ``label()``,
        ``unlabel()``, ``undo()``, ``rename_label()``, ``candidates``, ``suspects``, ...),
        its ``view``, ``scatter`` and ``retraining``.
    session : Session
        The active label and the lock of label edits.
    refresh_labels : callable
        Redraws the label chips and counts.

    Notes
    -----
    It owns the last edit made in the UI, as (store version after it, "lasso" | "delete",
    its points | its label): what an immediate Ctrl+Z hands back (a selection, the active
    label).
    """

    def __init__(self, ex: Explorer, session: Session, *,
                 refresh_labels: Callable[[], None]) -> None:
        self.ex = ex
        self.session = session
        self._refresh_labels = refresh_labels
        self.last_edit: tuple[int, str, Any] | None = None

    def guard(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn``; an error goes to the status line instead of a traceback in the log."""
        try:
            return fn()
        except Exception as exc:  # shown to the user instead of a traceback in the log
            self.ex.view.say(str(exc), kind="error")
            return None

    def name_entered(self, text: str) -> None:
        """The name box's Enter (or Add/Rename): create a label, or rename the one the
        box was renaming. An empty box does nothing; a blank name is refused, said."""
        if not text:
            return
        old = self.ex.view.renaming
        self.ex.view.stop_rename()
        if old is None:
            self.create(text)
        else:
            self.rename(old, text)

    def create(self, name: str) -> None:
        def run() -> None:
            before = set(self.ex.store.classes)
            clean = clean_name(name)
            if clean not in before:  # "Zero" typed beside "zero" means "zero"
                clean = case_twin(self.ex.store.classes, clean) or clean
            self.session.active = ensure_label(self.ex.store, self.session.lock, clean,
                                               create=True)
            self.ex.view.set_name_box("")
            self._refresh_labels()
            key = self.ex.store.classes.index(self.session.active) + 1
            how = f"press {key} or Assign" if key <= 9 else (
                "press Assign (keys 1-9 reach the first nine labels)")
            what = "is active" if self.session.active not in before else "already exists; it is active"
            n = int(self.ex.selection.size)
            todo = (f"{how} to label the {counted(n, 'selected point')}" if n
                    else f"lasso points, then {how}")
            self.ex.view.say(f"Label {brief(self.session.active)} {what}: {todo}.")
            self.ex.scatter.focus()  # the next key labels the selection, not the name box
        self.guard(run)

    def rename_start(self) -> None:
        if self.session.active is None:
            self.ex.view.say("No label to rename yet.", kind="warn")
            return
        self.ex.view.start_rename(self.session.active)
        self.ex.view.say(f"Type the new name for {brief(self.session.active)} in the box and press "
                          "Enter.")

    def rename(self, old: str, new: str) -> None:
        def run() -> None:
            self.ex.view.set_name_box("")
            stored = self.ex.rename_label(old, new)
            self.ex.view.say(f"Renamed {brief(old)} to {brief(stored)} (Ctrl+Z undoes).",
                              kind="ok")
            self.ex.scatter.focus()
        self.guard(run)

    def delete(self) -> None:
        def run() -> None:
            name = self.session.active
            if name is None:
                raise ValueError("No label to delete yet.")
            n = int(self.ex.store.counts().get(name, 0))
            self.ex.delete_label(name)
            self.last_edit = (self.ex.store.version, "delete", name)
            self.ex.view.say(f"Deleted {brief(name)}: its {counted(n, 'point')} are unlabelled "
                              "(Ctrl+Z restores them).", kind="ok")
        self.guard(run)
        self.ex.scatter.focus()  # keys go to the map, not the button (nor JupyterLab)

    def undo_redo(self, redo: bool) -> None:
        def run() -> None:
            last, self.last_edit = self.last_edit, None
            done = self.ex.redo() if redo else self.ex.undo()
            undid = (last[1:] if done and not redo and last is not None
                     and self.ex.store.version == last[0] + 1 else (None, None))
            verb, action = ("Redone", "redo") if redo else ("Undone", "undo")
            again = ""
            if undid[0] == "delete":
                self.session.active = undid[1]  # the bin undone: its label is the active one again
                self._refresh_labels()
            elif undid[0] == "lasso":
                self.ex.selection = undid[1]  # the lasso just undone: press the right number
                again = "; its points are selected again"
            what = str(done).split(": ", 1)[-1]  # "undo #12: assign …" -> "assign …"
            self.ex.view.say(f"{verb}: {what}{again}" if done else f"Nothing to {action}",
                              kind="ok" if done else "warn", about_selection=bool(again))
        self.guard(run)
        self.ex.scatter.focus()

    def pick(self, name: str) -> None:
        self.ex.view.stop_rename()
        self.session.active = name
        self._refresh_labels()
        self.ex.scatter.focus()
        if len(self.ex.selection):
            self.assign()

    def assign(self, name: str | None = None) -> None:
        def run() -> None:
            target = name or self.session.active
            if target is None:
                raise ValueError("No label yet: type a name in 'new label…' and press Add.")
            sel = self.ex.selection
            if sel.size == 0:
                raise ValueError("Nothing selected: lasso points on the map first.")
            before = self.ex.store.version
            target = ensure_label(self.ex.store, self.session.lock, target, create=False)
            taken = self._taken_from(sel, target)
            self.ex.label(sel, target, create=False, source="lasso")
            # only a lasso that changed labels is one Ctrl+Z can hand back
            changed = self.ex.store.version > before
            self.last_edit = (self.ex.store.version, "lasso", sel) if changed else None
            self.ex.selection = np.zeros(0, np.uint32)       # done with it: show the labels
            self.ex.view.say(f"{counted(int(sel.size), 'point')} → {brief(target)}{taken}. "
                              "Ctrl+Z undoes and selects them again.", kind="ok")
        self.guard(run)
        self.ex.scatter.focus()

    def _taken_from(self, sel: np.ndarray, target: str) -> str:
        """'; 67 of them were 'files'': a lasso over labelled points relabels them, said."""
        codes = self.ex.store.codes()[sel]
        classes = self.ex.store.classes
        moved = codes[(codes >= 0) & (codes != classes.index(target))]
        if moved.size == 0:
            return ""
        top = int(np.bincount(moved).argmax())
        n_top = int((moved == top).sum())
        were = "it was" if sel.size == 1 else f"{moved.size:,} of them were"
        if n_top == moved.size:
            return f"; {were} {brief(classes[top])}"
        return f"; {moved.size:,} of them had other labels, {n_top:,} {brief(classes[top])}"

    def unassign(self) -> None:
        def run() -> None:
            sel = self.ex.selection
            if sel.size == 0:
                raise ValueError("Nothing selected: lasso the points to unlabel first.")
            had = int((self.ex.store.codes()[sel] >= 0).sum())
            if had == 0:
                raise ValueError(f"None of the {counted(int(sel.size), 'selected point')} has a "
                                 "label: nothing to remove.")
            self.ex.unlabel(sel)
            self.ex.view.say(f"Labels removed from {counted(had, 'point')}.", kind="ok")
        self.guard(run)
        self.ex.scatter.focus()

    def key(self, key: str) -> None:
        if key.startswith("digit:"):
            i = int(key.split(":", 1)[1]) - 1
            classes = self.ex.store.classes
            if i >= len(classes):
                self.ex.view.say(f"No label {i + 1} yet: create one with 'new label…'.",
                                 kind="warn")
                return
            self.session.active = classes[i]
            if self.ex.selection.size == 0:  # the key still picks the label: say so
                self._refresh_labels()
                self.ex.view.say(f"Label {brief(classes[i])} is active; nothing is selected: "
                                  f"lasso points, then press {i + 1}.", kind="warn")
                return
            self.assign(classes[i])
        elif key in ("undo", "redo"):
            self.undo_redo(key == "redo")
        elif key == "delete":
            self.unassign()

    def similar(self) -> None:
        sel = self.ex.selection
        if sel.size == 0:
            self.ex.view.say("Select some points first; 'Similar' adds their graph neighbours.",
                             kind="warn")
            return
        grown = np.union1d(sel, self.ex.graph.indices[sel].ravel()).astype(np.uint32)
        self.ex.selection = grown
        self.ex.scatter.focus()
        self.ex.view.say(f"{grown.size - sel.size:,} similar points added", kind="ok",
                          about_selection=True)

    def new_class(self) -> None:
        """Select the next candidate new class (a cluster of points that fit no label)."""
        found = self.ex.candidates
        if not found:
            self.ex.view.say("No candidate new classes: retrain first, or every point fits a "
                              "label.", kind="warn")
            return
        unlabelled = self.ex.store.codes() < 0  # skip what was labelled since the retrain
        at, picked = _next_group(self.ex.retraining.shown_candidate,
                                 [c[unlabelled[c]] for c in found])
        if at < 0:
            self.ex.view.say("Every candidate new class is labelled now: press Retrain to "
                              "look again.", kind="warn")
            self.ex.view.offer_new_classes(0)
            return
        self.ex.retraining.shown_candidate = at
        self.ex.selection = picked
        self.ex.scatter.focus()  # the number key the status line names works at once
        self.ex.view.say(
            f"Possible new class {at + 1} of {len(found)}: {picked.size:,} points that fit no "
            "label are selected. Type a name and press Add, then press its number to label "
            "them.", kind="ok", about_selection=True)

    def check_labels(self) -> None:
        """Select the next group of labels that look wrong (points labelled A that look
        like B), skipping points relabelled since the retrain."""
        found = self.ex.suspects
        if not found:
            self.ex.view.say("No labels look wrong: retrain first, or the model agrees with "
                              "every label.", kind="warn")
            return
        current = self.ex.labels.to_numpy(dtype=object)
        at, picked = _next_group(self.ex.retraining.shown_suspect,
                                 [g.indices[current[g.indices] == g.given] for g in found])
        if at < 0:
            self.ex.view.say("Every label that looked wrong has been changed: press Retrain "
                              "to check again.", kind="warn")
            self.ex.view.offer_suspects(0)
            return
        self.ex.retraining.shown_suspect = at
        group = found[at]
        self.ex.selection = picked
        self.ex.scatter.focus()  # the number key the status line names works at once
        classes = self.ex.store.classes
        key = classes.index(group.predicted) + 1 if group.predicted in classes else None
        how = (f"press {key} to relabel them {brief(group.predicted)}" if key and key <= 9
               else "label them with the right name")
        self.ex.view.say(
            f"Labels that look wrong, {at + 1} of {len(found)}: "
            f"{counted(int(picked.size), 'point')} labelled {brief(group.given)} "
            f"look{'s' if picked.size == 1 else ''} like {brief(group.predicted)}. "
            f"Check the previews, then {how}, or Unassign them.", kind="ok", about_selection=True)

