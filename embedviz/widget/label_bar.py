"""The label bar: one coloured chip per label (click = make active), a box to create
labels (or rename the active one), and assign / unassign / rename / delete / undo / redo
buttons.

Plain ipywidgets with callbacks; it knows nothing about the store or the map.
"""
from __future__ import annotations

from typing import Callable

import ipywidgets as W

from .preview import shortened

Callback = Callable[..., None]


def _text_color(hex_color: str) -> str:
    """Black or white, whichever reads better on ``hex_color``."""
    h = hex_color.lstrip("#")
    if len(h) != 6:
        return "#111"
    r, g, b = (int(h[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return "#111" if 0.299 * r + 0.587 * g + 0.114 * b > 0.6 else "#fff"


class LabelBar:
    """Chips for labels 1..N (hotkeys 1-9 pick the same ones) plus label actions."""

    def __init__(
        self,
        *,
        on_create: Callback,
        on_pick: Callback,
        on_assign: Callback,
        on_unassign: Callback,
        on_undo: Callback,
        on_redo: Callback,
        on_rename_start: Callback,
        on_rename: Callback,
        on_delete: Callback,
    ) -> None:
        self._on_pick = on_pick
        self.renaming: str | None = None  # the label the name box renames, until submitted
        self._chips: dict[str, W.Button] = {}
        self.chips = W.HBox(layout=W.Layout(flex_flow="row wrap"))
        self.chips.add_class("ev-chips")
        self.new_name = W.Text(placeholder="new label…", layout=W.Layout(width="140px"))
        self.add_btn = add = W.Button(description="Add", icon="plus",  # or "Rename": one width
                                      layout=W.Layout(width="96px"),
                                      tooltip="Create a label (Enter)")
        auto = W.Layout(width="auto")
        self.assign_btn = W.Button(description="Assign", icon="tag", layout=auto, tooltip="Assign the selection to the active label (or press its number)")
        self.unassign_btn = W.Button(description="Unassign", icon="eraser", layout=W.Layout(width="auto"), tooltip="Remove labels from the selection (Delete)")
        self.undo_btn = W.Button(icon="undo", tooltip="Undo (Ctrl+Z)", layout=W.Layout(width="40px"))
        self.redo_btn = W.Button(icon="repeat", tooltip="Redo (Ctrl+Shift+Z)", layout=W.Layout(width="40px"))
        self.rename_btn = W.Button(icon="pencil", tooltip="Rename the active label",
                                   layout=W.Layout(width="40px"))
        self.delete_btn = W.Button(icon="trash", tooltip="Delete the active label; its points "
                                   "become unlabelled (Ctrl+Z restores)", layout=W.Layout(width="40px"))

        def create(_: object = None) -> None:
            name = self.new_name.value
            if not name:
                return
            # a whitespace-only name reaches the handler, which says why it is refused
            old = self.renaming
            self.stop_rename()
            if old is None:
                on_create(name)
            else:
                on_rename(old, name)

        add.on_click(create)
        self.new_name.continuous_update = False  # value arrives on Enter (or leaving the box)
        self.new_name.observe(create, names="value")
        self.assign_btn.on_click(lambda _: on_assign())
        self.unassign_btn.on_click(lambda _: on_unassign())
        self.undo_btn.on_click(lambda _: on_undo())
        self.redo_btn.on_click(lambda _: on_redo())
        self.rename_btn.on_click(lambda _: on_rename_start())
        self.delete_btn.on_click(lambda _: on_delete())
        title = W.HTML("<b>Labels</b>", layout=W.Layout(width="52px"))
        actions = W.HBox([self.assign_btn, self.unassign_btn, self.rename_btn, self.delete_btn,
                          self.undo_btn, self.redo_btn],
                         layout=W.Layout())
        # the tools keep their row and the chips get their own: with the chips in the same
        # wrapping row, the third label pushed the buttons onto a new line under the mouse
        tools = W.HBox([title, W.HBox([self.new_name, add]), actions],
                       layout=W.Layout(flex_flow="row wrap", align_items="center"))
        tools.add_class("ev-label-tools")
        self.widget = W.VBox([tools, self.chips])
        self.widget.add_class("ev-label-bar")

    def start_rename(self, name: str) -> None:
        """The name box renames ``name`` on its next Enter (a new label after that)."""
        self.renaming = name
        self.new_name.value = ""
        self.new_name.placeholder = f"rename {shortened(name, 8)} to…"
        self.add_btn.description, self.add_btn.icon = "Rename", "pencil"
        self.add_btn.tooltip = f"Rename {name!r} to the name in the box (Enter)"
        self.new_name.focus()

    def stop_rename(self) -> None:
        self.renaming = None
        self.new_name.placeholder = "new label…"
        self.add_btn.description, self.add_btn.icon = "Add", "plus"
        self.add_btn.tooltip = "Create a label (Enter)"

    def _chip(self, name: str) -> W.Button:
        if name not in self._chips:
            btn = W.Button(layout=W.Layout(width="auto"))
            btn.add_class("ev-chip")
            btn.on_click(lambda _, n=name: self._on_pick(n))
            self._chips[name] = btn
        return self._chips[name]

    def update(
        self,
        classes: list[str],
        colors: dict[str, str],
        counts: dict[str, int],
        active: str | None,
        *,
        can_undo: bool,
        can_redo: bool,
    ) -> None:
        """Redraw the chips; the ``active`` label's chip is outlined."""
        chips = []
        for i, name in enumerate(classes):
            key = f"{i + 1} · " if i < 9 else ""
            btn = self._chip(name)   # reused: an update sends changed traits, not new widgets
            # a long name is cut short, never the count after it (the whole name on hover)
            btn.description = f"{key}{shortened(name)} ({counts.get(name, 0)})"
            key_hint = f" (key {i + 1})" if i < 9 else ""
            btn.tooltip = (f"Label the selected points '{name}'{key_hint}; with none selected, "
                           "make it the active label")
            btn.style.button_color = colors.get(name, "#888888")
            btn.style.text_color = _text_color(colors.get(name, "#888888"))
            if name == active:
                btn.add_class("ev-chip-active")
            else:
                btn.remove_class("ev-chip-active")
            chips.append(btn)
        if not chips:
            chips = [W.HTML('<span class="ev-muted">no labels yet — type a name and press Add</span>')]
        self.chips.children = chips
        self.undo_btn.disabled = not can_undo
        self.redo_btn.disabled = not can_redo
        self.rename_btn.disabled = self.delete_btn.disabled = active is None
