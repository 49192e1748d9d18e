"""Widget-state fixtures: a Scatter whose outgoing custom messages are captured."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from embedviz.widget.scatter import Scatter


class Sent(list):
    """Custom messages the widget sent: (content, buffers) pairs."""

    def of_type(self, kind: str) -> list[tuple[dict[str, Any], list[memoryview]]]:
        return [(c, b) for c, b in self if c.get("type") == kind]


def capture(widget: Scatter) -> Sent:
    sent = Sent()
    widget.send = lambda content, buffers=None: sent.append((content, list(buffers or [])))  # type: ignore[method-assign]
    return sent


def frontend_update(widget: Scatter, state: dict[str, Any], buffer_paths: list[list[str]] | None = None,
                    buffers: list[bytes] | None = None) -> None:
    """Deliver the exact comm message a front end sends for ``model.save_changes()``."""
    widget._handle_msg({"content": {"data": {"method": "update", "state": state,
                                             "buffer_paths": buffer_paths or []}},
                        "buffers": buffers or []})


def frontend_custom(widget: Scatter, content: dict[str, Any], buffers: list[bytes] | None = None) -> None:
    """Deliver a front-end ``model.send(content, callbacks, buffers)``."""
    widget._handle_msg({"content": {"data": {"method": "custom", "content": content}},
                        "buffers": buffers or []})


@pytest.fixture()
def xy() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(100, 2)).astype(np.float32)
