"""What the Explorer shows: the view state of its one widget, built from plain values.

:class:`ExplorerView` owns the widget's state (label chips, the controls, the status line,
the preview, the selection panel, the side charts) and knows nothing of the store, the model
or the map; the Explorer and its collaborators tell it what to show.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..widget.explorer_widget import ExplorerWidget
from ..widget.preview import image_data_uri, shortened, snippet

#: Message kinds of the status line.
KINDS = ("info", "ok", "warn", "error")
#: Thumbnails shown for a selection of images: at one per row, 164 lassoed digits showed
#: 3.5; a grid of 48 shows whether a lasso caught what it should at a glance.
GRID_LIMIT = 48
#: Rows shown for a selection of text items.
LIST_LIMIT = 8


@dataclass
class ItemRow:
    """What a panel shows of one point."""

    index: int
    label: str | None = None
    color: str | None = None
    text: Any = None  # shown as text (str() of it)
    image: Any = None
    extra: str | None = None  # e.g. "pred: cat (0.93)"
    fields: list[tuple[str, str]] = field(default_factory=list)  # (column, value) as text


def _text_color(hex_color: str) -> str:
    """Black or white, whichever reads better on ``hex_color``."""
    h = hex_color.lstrip("#")
    if len(h) != 6:
        return "#111"
    r, g, b = (int(h[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return "#111" if 0.299 * r + 0.587 * g + 0.114 * b > 0.6 else "#fff"


def item_state(row: ItemRow, *, thumb: int) -> dict[str, Any]:
    """One item as JSON for the browser: text stays text; an image a PNG data URI, or
    ``image_error`` (why it could not be read) for a placeholder."""
    item: dict[str, Any] = {"index": int(row.index), "label": row.label,
                            "color": row.color, "extra": row.extra}
    if row.fields:
        item["fields"] = [[str(k), str(v)] for k, v in row.fields]
    if row.text is not None:
        item["text"] = snippet(str(row.text))
    if row.image is not None:
        try:
            item["image"] = image_data_uri(row.image, size=thumb)
        except Exception as exc:  # an unreadable image becomes a placeholder, never a crash
            item["image_error"] = f"{type(exc).__name__}: {exc}"
    return item


class ExplorerView:
    """The Explorer's widget and its view state.

    Parameters
    ----------
    scatter : Scatter
        The map the widget composes.
    on_action : callable
        Receives every user action from the browser (a dict with an ``action`` key).
    color_options : list of str
        The colour-by choices.
    search_enabled : bool
        Whether there is something to search (a text column, or an encoder for queries).
    rich : bool
        Items have a thumbnail or a text snippet (the preview keeps a fixed height).
    grid : bool
        Show a selection of images as a grid of thumbnails.
    height : int
        The map's height in pixels (the side column matches it).
    search_hint : str, default "search text…"
        The search box's placeholder: what a query there does.

    Examples
    --------
    >>> import numpy as np
    >>> from embedviz.widget.scatter import Scatter
    >>> v = ExplorerView(Scatter(np.zeros((3, 2))), on_action=print, color_options=["label"],
    ...                  search_enabled=False, rich=False, grid=False, height=400)
    >>> v.say("hello", kind="ok")
    >>> v.widget.status["kind"]
    'ok'
    """

    def __init__(self, scatter: Any, *, on_action: Callable[[dict[str, Any]], None],
                 color_options: list[str], search_enabled: bool, rich: bool, grid: bool,
                 height: int, search_hint: str = "search text…") -> None:
        self.grid = grid
        self.limit = GRID_LIMIT if grid else LIST_LIMIT
        self._about_selection = False
        self._history: list[tuple[int, float | None]] = []
        self.widget = ExplorerWidget(
            scatter, on_action=on_action,
            labels={"items": [], "active": None, "can_undo": False, "can_redo": False,
                    "renaming": None, "name_box": "", "box_rev": 0},
            controls={"color_options": list(color_options), "color_by": color_options[0],
                      "search_enabled": bool(search_enabled), "search_hint": str(search_hint),
                      "search": "", "search_rev": 0,
                      "offer_color_by": None, "stale": False, "busy": False, "progress": 0.0,
                      "new_classes": 0, "suspects": 0,
                      "height": int(height)},
            preview={"rich": bool(rich), "item": None},
            selected={"grid": bool(grid), "total": 0, "items": []},
            charts={"counts": {"names": [], "values": [], "colors": []}, "rounds": [],
                    "confidence": None, "n_classes": 0},
        )

    # ---- status line and controls -------------------------------------------------
    def say(self, message: str, *, kind: str = "info", about_selection: bool = False) -> None:
        """One status line; ``kind`` is info, ok, warn or error. A message ``about_selection``
        ("17 points ... are selected") goes when the selection changes."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        self._about_selection = about_selection
        self.widget.status = {"text": str(message), "kind": kind}

    @property
    def status_kind(self) -> str:
        """The kind of the message on the status line."""
        return str(self.widget.status.get("kind", "info"))

    def clear_stale(self, *, selection_changed: bool = False) -> bool:
        """Drop a warning or error once the user has moved on (a new selection, another
        colouring): it read as being about the new action. A message about the selection
        goes with it. Returns whether a message went."""
        if self.status_kind in ("warn", "error") or (selection_changed and self._about_selection):
            self.say("")
            return True
        return False

    @property
    def color_by(self) -> str:
        """The colour-by choice shown."""
        return str(self.widget.controls["color_by"])

    @color_by.setter
    def color_by(self, value: str) -> None:
        if value not in self.widget.controls["color_options"]:
            raise ValueError(f"color_by={value!r} is not one of "
                             f"{self.widget.controls['color_options']}")
        self.widget.patch("controls", color_by=value, offer_color_by=None)

    def offer_colouring(self, option: str | None) -> None:
        """Offer one colouring in the status bar (a button and the C key choose it); None
        withdraws the offer. Choosing any colouring withdraws it too."""
        if option is not None and option not in self.widget.controls["color_options"]:
            raise ValueError(f"{option!r} is not one of {self.widget.controls['color_options']}")
        self.widget.patch("controls", offer_color_by=option)

    def mark_stale(self, stale: bool) -> None:
        """Say whether the predictions shown are out of date (labels changed since)."""
        if bool(self.widget.controls.get("stale")) != bool(stale):
            self.widget.patch("controls", stale=bool(stale))

    def set_busy(self, busy: bool) -> None:
        """Show progress + Cancel while retraining; Retrain is disabled meanwhile."""
        self.widget.patch("controls", busy=bool(busy), progress=0.0)

    def set_progress(self, fraction: float) -> None:
        self.widget.patch("controls", progress=max(0.0, min(1.0, float(fraction))))

    def offer_new_classes(self, count: int) -> None:
        """Show "New class? (count)" after a retrain found candidates; hide it for none."""
        self.widget.patch("controls", new_classes=int(count))

    def offer_suspects(self, count: int) -> None:
        """Show "Check labels (count)" after a retrain found labels that look wrong."""
        self.widget.patch("controls", suspects=int(count))

    def set_search(self, text: str) -> None:
        """Put ``text`` in the search box of every view."""
        c = self.widget.controls
        self.widget.patch("controls", search=text, search_rev=c["search_rev"] + 1)

    # ---- label bar ----------------------------------------------------------------
    def show_labels(self, classes: list[str], colors: dict[str, str], counts: dict[str, int],
                    active: str | None, *, can_undo: bool, can_redo: bool) -> None:
        """Redraw the chips (labels 1..N; keys 1-9 pick the first nine)."""
        items = [{"name": n, "short": shortened(n), "color": colors.get(n, "#888888"),
                  "text_color": _text_color(colors.get(n, "#888888")),
                  "count": int(counts.get(n, 0))} for n in classes]
        self.widget.patch("labels", items=items, active=active, can_undo=bool(can_undo),
                          can_redo=bool(can_redo))

    @property
    def renaming(self) -> str | None:
        """The label the name box renames on its next Enter (None: it creates labels)."""
        return self.widget.labels.get("renaming")

    def start_rename(self, name: str) -> None:
        self.set_name_box("", renaming=name)

    def stop_rename(self) -> None:
        self.widget.patch("labels", renaming=None)

    def set_name_box(self, text: str, *, renaming: str | None = None) -> None:
        """Put ``text`` in the name box of every view (and say what Enter does there)."""
        rev = self.widget.labels["box_rev"] + 1
        self.widget.patch("labels", name_box=text, box_rev=rev, renaming=renaming)

    # ---- side panels ----------------------------------------------------------------
    def show_preview(self, row: ItemRow | None) -> None:
        item = None if row is None else item_state(row, thumb=96)
        self.widget.patch("preview", item=item)

    def show_selection(self, rows: list[ItemRow], total: int) -> None:
        thumb = 40
        self.widget.patch("selected", total=int(total),
                          items=[item_state(r, thumb=thumb) for r in rows[: self.limit]])

    # ---- charts ---------------------------------------------------------------------
    def show_counts(self, names: list[str], counts: list[int], colors: list[str]) -> None:
        values = [int(c) for c in counts]
        self.widget.patch("charts", counts={"names": list(names), "values": values,
                                            "colors": list(colors)})

    def add_round(self, round_no: int, accuracy: float | None) -> None:
        """Accuracy of the chosen method, cross-validated across lassos, after a retrain
        (None, NaN or inf: not measured, a gap; JSON, the front end's format, has no NaN)."""
        acc = None if accuracy is None else float(accuracy)
        self._history.append((int(round_no), acc if acc is not None and np.isfinite(acc) else None))
        self.widget.patch("charts", rounds=[list(r) for r in self._history])

    def show_confidence(self, confidence: np.ndarray, *, n_classes: int = 2,
                        bins: int = 20) -> None:
        """Histogram of the predictions' confidence (with one class it says nothing, and
        the chart says so instead)."""
        hist, _ = np.histogram(np.asarray(confidence, dtype=float), bins=bins, range=(0.0, 1.0))
        self.widget.patch("charts", confidence=hist.astype(int).tolist(),
                          n_classes=int(n_classes))
