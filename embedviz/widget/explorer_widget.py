"""The Explorer's front end: one anywidget that draws the label bar, the controls, the status
line, the side panels and charts, and composes the :class:`~embedviz.widget.scatter.Scatter`
as a child widget (anywidget's widget composition, ``host.getWidget`` in the browser).

The kernel keeps the state and the logic; this module is the wire between them:

* small JSON view state as synced traits (``labels``, ``controls``, ``status``, ``preview``,
  ``selected``, ``charts``), which every view of the widget draws, so a second view, a
  re-rendered output or marimo's re-render all show the same thing;
* user actions from the browser as custom messages ``{"type": "ui", "action": ..., ...}``,
  handed to one callback (the Explorer's dispatcher).

Text from the data travels as text (the browser sets it with ``textContent``); images as
``data:image/png;base64`` thumbnails.
"""
from __future__ import annotations

import pathlib
from collections.abc import Callable
from typing import Any

import anywidget
import traitlets

_STATIC = pathlib.Path(__file__).parent / "static"
_BUNDLE = _STATIC / "explorer.js"
#: anywidget's first release with widget composition (``WidgetTrait``, ``host.getWidget``).
COMPOSITION_SINCE = "0.11"
EXPLORER_CSS = (pathlib.Path(__file__).parent / "explorer.css").read_text(encoding="utf-8")


def _check_composition() -> None:
    if not hasattr(anywidget, "WidgetTrait"):
        have = getattr(anywidget, "__version__", "unknown")
        raise ImportError(
            "embedviz's Explorer composes the map as a child widget, which needs anywidget "
            f">= {COMPOSITION_SINCE} (you have {have}): "
            f"pip install -U 'anywidget>={COMPOSITION_SINCE}'"
        )


def _bundle() -> str:
    if not _BUNDLE.is_file():
        raise RuntimeError(f"embedviz's Explorer front end is missing ({_BUNDLE}); build it with "
                           "`cd js && npm ci && npm run build` (or reinstall embedviz)")
    return _BUNDLE.read_text(encoding="utf-8")


#: The child-widget trait (``"anywidget:<id>"`` on the wire); older anywidgets lack it and
#: the Explorer refuses to start there (``_check_composition``), while the Scatter still works.
_WidgetRef = getattr(anywidget, "WidgetTrait", traitlets.Any)


class ExplorerWidget(anywidget.AnyWidget):
    """The Explorer's one widget: view state in, user actions out.

    Parameters
    ----------
    scatter : Scatter
        The map, shown inside this widget (composed, not wrapped in a container).
    on_action : callable
        Called with each action dict the browser sends (``{"action": "assign", ...}``).
    **state : dict
        Initial values of the view-state traits.

    Examples
    --------
    >>> import numpy as np
    >>> from embedviz.widget.scatter import Scatter
    >>> w = ExplorerWidget(Scatter(np.zeros((3, 2))), on_action=print)
    >>> w.status = {"text": "hello", "kind": "info"}
    """

    _esm: pathlib.Path | str = _BUNDLE
    _css = EXPLORER_CSS

    scatter = _WidgetRef().tag(sync=True)
    labels = traitlets.Dict().tag(sync=True)
    controls = traitlets.Dict().tag(sync=True)
    status = traitlets.Dict({"text": "", "kind": "info"}).tag(sync=True)
    preview = traitlets.Dict().tag(sync=True)
    selected = traitlets.Dict().tag(sync=True)
    charts = traitlets.Dict().tag(sync=True)

    def __init__(self, scatter: Any, *, on_action: Callable[[dict[str, Any]], None],
                 **state: Any) -> None:
        _check_composition()
        if isinstance(type(self)._esm, pathlib.Path):  # bundle was built after import
            type(self)._esm = _bundle()
        self._on_action = on_action
        super().__init__(scatter=scatter, **state)
        self.on_msg(self._on_frontend_message)

    def patch(self, trait: str, **values: Any) -> None:
        """Update some keys of one view-state trait (a new dict, so the change syncs)."""
        setattr(self, trait, {**getattr(self, trait), **values})

    def _on_frontend_message(self, _widget: Any, content: Any, _buffers: list[bytes]) -> None:
        if isinstance(content, dict) and content.get("type") == "ui" and "action" in content:
            self._on_action(content)

    def __repr__(self) -> str:
        return "ExplorerWidget()"
