"""Fixtures for Explorer tests: the digits frame, and helpers that play the front end."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from embedviz.demo_data import digits_frame


@pytest.fixture(scope="session")
def digits():
    return digits_frame()


def front_end_selects(widget: Any, indices: Any) -> None:
    """Exactly the message the browser sends when a lasso ends."""
    widget._handle_msg({"content": {"data": {"method": "update",
                                              "state": {"selection": [int(i) for i in indices]},
                                              "buffer_paths": []}}, "buffers": []})


def front_end_key(widget: Any, key: str) -> None:
    """Exactly the custom message the browser sends for a hotkey ('digit:1', 'undo', ...)."""
    widget._handle_msg({"content": {"data": {"method": "custom",
                                              "content": {"type": "key", "key": key}}},
                        "buffers": []})


def front_end_hovers(widget: Any, index: int) -> None:
    widget._handle_msg({"content": {"data": {"method": "update", "state": {"hovered": int(index)},
                                              "buffer_paths": []}}, "buffers": []})


def blob(digits, digit: int, count: int = 40, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(np.flatnonzero(digits.digit.to_numpy() == digit), count, replace=False))


def front_end_ui(ex: Any, action: str, value: Any = None) -> None:
    """Exactly the custom message the Explorer's front end sends for a user action (a button,
    the name box's Enter, a chip, the colour-by choice, a key on a button...)."""
    ex.widget._handle_msg({"content": {"data": {"method": "custom", "content": {
        "type": "ui", "action": action, "value": value}}}, "buffers": []})


def status(ex: Any) -> str:
    """The status line's text, as the front end shows it."""
    return str(ex.widget.status["text"])


def status_kind(ex: Any) -> str:
    return str(ex.widget.status["kind"])


def chip(ex: Any, i: int) -> str:
    """Chip ``i`` as the front end writes it: '2 · Zero (40)'."""
    item = ex.widget.labels["items"][i]
    return f"{i + 1} · {item['short']} ({item['count']:,})" if i < 9 else \
        f"{item['short']} ({item['count']:,})"


def panel_text(item: dict | None) -> str:
    """What a preview or selection item shows, as text (the image as its data URI)."""
    if not item:
        return ""
    return " ".join(str(v) for k, v in item.items() if v is not None and k != "color")
