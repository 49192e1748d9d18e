"""The preview panel: its empty state and the room it keeps."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from embedviz.widget.panels import GRID_LIMIT, MAP_KEYS, ItemRow, PreviewPanel, SelectionPanel

HOTKEYS = Path(__file__).parents[2] / "js" / "src" / "interact" / "hotkeys.ts"


def test_an_empty_rich_preview_lists_the_map_keys_in_the_room_it_keeps():
    panel = PreviewPanel(rich=True)
    height = panel.widget.layout.height
    empty = panel.widget.value
    assert "hover a point" in empty and all(f"<kbd>{k}</kbd>" in empty for k, _ in MAP_KEYS)
    panel.show(ItemRow(index=7, label="zero", color="#4e79a7", text="a docstring"))
    assert "#7" in panel.widget.value and "<kbd>" not in panel.widget.value
    panel.show(None)
    assert panel.widget.value == empty and panel.widget.layout.height == height


def test_a_plain_preview_stays_small_and_says_hover():
    panel = PreviewPanel(rich=False)
    assert "hover a point" in panel.widget.value and "<kbd>" not in panel.widget.value


def test_the_keys_named_are_the_keys_the_map_handles():
    handled = HOTKEYS.read_text()
    for key in ("'Escape'", "'Delete'", "'z'", "'l'", "'b'", "'p'", "[1-9]"):
        assert key in handled, key  # a key the guide names but the map no longer handles


def test_a_selection_of_images_shows_a_grid_of_labelled_thumbnails():
    image = np.arange(64, dtype=np.uint8).reshape(8, 8)
    rows = [ItemRow(index=i, label="zero" if i % 2 else None, color="#4e79a7" if i % 2 else None,
                    image=image, extra="pred: zero (0.90)") for i in range(GRID_LIMIT)]
    panel = SelectionPanel(grid=True)
    assert panel.limit == GRID_LIMIT
    panel.show(rows + rows, 2 * GRID_LIMIT)
    value = panel.widget.value
    assert value.count('class="ev-tile"') == GRID_LIMIT and "(96 points)" in value
    assert 'title="#1 zero · pred: zero (0.90)"' in value and "border-bottom-color:#4e79a7" in value
    assert 'title="#0 unlabelled' in value                      # grey, and said on hover
    listing = SelectionPanel()                                  # text items: a list of rows
    listing.show(rows, GRID_LIMIT)
    assert listing.widget.value.count('class="ev-item"') == listing.limit == 8
