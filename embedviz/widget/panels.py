"""Side panels of the Explorer: the hovered item's preview and the selected items' list.

They receive ready-made rows (index, label, colour, text, image) and render HTML; where the
rows come from is the Explorer's business.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import ipywidgets as W

from .preview import snippet, thumbnail_html


@dataclass
class ItemRow:
    """What a panel shows of one point."""

    index: int
    label: str | None = None
    color: str | None = None
    text: str | None = None
    image: Any = None
    extra: str | None = None  # e.g. "pred: cat (0.93)"


def _label_chip(row: ItemRow) -> str:
    if not row.label:
        return '<span class="ev-chip-s ev-unlabelled">unlabelled</span>'
    return (f'<span class="ev-chip-s" style="background:{row.color or "#888"}">'
            f"{html.escape(row.label)}</span>")


def _row_html(row: ItemRow, *, thumb: int) -> tuple[str, bool]:
    ok = True
    parts = [f'<div class="ev-item"><div class="ev-item-head"><b>#{row.index}</b> {_label_chip(row)}']
    if row.extra:
        parts.append(f' <span class="ev-muted">{html.escape(row.extra)}</span>')
    parts.append("</div>")
    if row.image is not None:
        img, ok = thumbnail_html(row.image, size=thumb)
        parts.append(img)
    if row.text:
        parts.append(f'<div class="ev-text">{snippet(row.text)}</div>')
    parts.append("</div>")
    return "".join(parts), ok


#: Height of the preview for items with a 96 px thumbnail or a snippet of up to 280
#: characters (title, head line and thumbnail: 181 px in chromium); longer content scrolls.
RICH_PREVIEW_PX = 200

#: The map's mouse and keys (js/src/interact/hotkeys.ts), shown while nothing is hovered.
MAP_KEYS = (
    ("drag", "lasso; Shift adds, Ctrl/Alt removes"),
    ("wheel", "zoom; P pans, L lassos again"),
    ("1–9", "label the selection"),
    ("Del", "unlabel the selection"),
    ("Ctrl+Z", "undo (Ctrl+Shift+Z redo)"),
    ("Esc", "clear the selection"),
)


class PreviewPanel:
    """The item under the mouse (or the last one clicked)."""

    def __init__(self, *, rich: bool = False) -> None:
        # ``rich`` items (a thumbnail or a text snippet) get a fixed height, kept while
        # empty: hovering pushed the selection list and charts down by 120 px. That reserve
        # holds the map's keys until a point is hovered, not 200 px of blank.
        self._rich = rich
        self.widget = W.HTML(self._empty(), layout=W.Layout(height=f"{RICH_PREVIEW_PX}px")
                             if rich else W.Layout(min_height="60px"))
        self.widget.add_class("ev-preview")
        self.failed_images = 0

    def _empty(self) -> str:
        head = '<div class="ev-panel-title">Preview</div><div class="ev-muted">hover a point'
        if not self._rich:
            return head + "</div>"
        keys = "".join(f"<kbd>{k}</kbd><span>{what}</span>" for k, what in MAP_KEYS)
        return f'{head}; on the map:</div><div class="ev-keys">{keys}</div>'

    def show(self, row: ItemRow | None) -> None:
        if row is None:
            self.widget.value = self._empty()
            return
        body, ok = _row_html(row, thumb=96)
        self.failed_images += 0 if ok else 1
        self.widget.value = f'<div class="ev-panel-title">Preview</div>{body}'


def _tile_html(row: ItemRow) -> str:
    """A 40 px thumbnail underlined in its label's colour; the rest on hover."""
    img, _ = thumbnail_html(row.image, size=40)
    title = f"#{row.index} {row.label or 'unlabelled'}" + (f" · {row.extra}" if row.extra else "")
    return (f'<div class="ev-tile" title="{html.escape(title)}" '
            f'style="border-bottom-color:{row.color or "#c8c8c8"}">{img}</div>')


#: Thumbnails shown for a selection of images: at one per row, 164 lassoed digits showed
#: 3.5; a grid of 48 shows whether a lasso caught what it should at a glance.
GRID_LIMIT = 48


class SelectionPanel:
    """The first ``limit`` selected items with their labels; ``grid``: images without text
    as a grid of thumbnails."""

    def __init__(self, *, limit: int = 8, grid: bool = False) -> None:
        self.grid = grid
        self.limit = GRID_LIMIT if grid else limit
        self.widget = W.HTML(self._render([], 0), layout=W.Layout(max_height="340px", overflow="auto"))
        self.widget.add_class("ev-selection-panel")

    def _render(self, rows: list[ItemRow], total: int) -> str:
        head = f'<div class="ev-panel-title">Selection <span class="ev-muted">({total:,} points)</span></div>'
        if not rows:
            return head + '<div class="ev-muted">lasso points on the map (drag), Shift adds, Ctrl/Alt removes</div>'
        if self.grid:
            body = '<div class="ev-grid">' + "".join(_tile_html(r) for r in rows) + "</div>"
        else:
            body = "".join(_row_html(r, thumb=40)[0] for r in rows)
        more = f'<div class="ev-muted">… and {total - len(rows):,} more</div>' if total > len(rows) else ""
        return head + f'<div class="ev-items">{body}</div>' + more

    def show(self, rows: list[ItemRow], total: int) -> None:
        self.widget.value = self._render(rows[: self.limit], total)
