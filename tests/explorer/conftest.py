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
