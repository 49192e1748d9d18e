"""Python callbacks for what happens in the browser: a new selection, the point under the
mouse, a key pressed on the map.

:class:`Callbacks` is mixed into :class:`~embedviz.Scatter`; it keeps the registered
callbacks and calls them in registration order. The widget decides when an event happened
(``_fire``); the callbacks never see the wire.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

#: Keys the widget forwards to :meth:`Callbacks.on_key` callbacks.
KEY_EVENTS = tuple(f"digit:{d}" for d in range(1, 10)) + ("undo", "redo", "delete")


class Callbacks:
    """Registration of ``on_select``, ``on_hover`` and ``on_key`` callbacks (a mixin)."""

    def _init_callbacks(self) -> None:
        self._callbacks: dict[str, list[Callable[[Any], Any]]] = {
            "select": [], "hover": [], "key": []}

    def _fire(self, event: str, value: Any) -> None:
        """Call every callback registered for ``event`` with ``value``."""
        for callback in list(self._callbacks[event]):
            callback(value)

    def on_select(self, callback: Callable[[np.ndarray], Any], *, remove: bool = False
                  ) -> Callable[[np.ndarray], Any]:
        """Call ``callback(selection)`` whenever the selection changes.

        Usable as a decorator. The callback gets the new selection, sorted uint32 indices.

        Parameters
        ----------
        callback : callable
            ``callback(selection: numpy.ndarray)``; its return value is ignored.
        remove : bool, default False
            Unregister ``callback`` instead.

        Returns
        -------
        callable
            ``callback`` itself, so the method works as a decorator.

        Raises
        ------
        TypeError
            ``callback`` is not callable.

        Examples
        --------
        >>> import numpy as np
        >>> import embedviz
        >>> w = embedviz.Scatter(np.random.default_rng(0).random((10, 2)))
        >>> @w.on_select
        ... def show(selection):
        ...     print(len(selection), "selected")
        >>> w.selection = [1, 2, 3]
        3 selected
        >>> _ = w.on_select(show, remove=True)
        """
        return _register(self._callbacks["select"], callback, remove)

    def on_hover(self, callback: Callable[[int], Any], *, remove: bool = False
                 ) -> Callable[[int], Any]:
        """Call ``callback(index)`` when the hovered point changes.

        Parameters
        ----------
        callback : callable
            ``callback(index: int)``, with -1 when the mouse leaves every point.
        remove : bool, default False
            Unregister ``callback`` instead.

        Returns
        -------
        callable
            ``callback`` itself, so the method works as a decorator.

        Raises
        ------
        TypeError
            ``callback`` is not callable.

        Examples
        --------
        >>> import numpy as np
        >>> import embedviz
        >>> w = embedviz.Scatter(np.random.default_rng(0).random((10, 2)))
        >>> _ = w.on_hover(lambda index: print("over", index))
        """
        return _register(self._callbacks["hover"], callback, remove)

    def on_key(self, callback: Callable[[str], Any], *, remove: bool = False
               ) -> Callable[[str], Any]:
        """Call ``callback(event)`` for keys pressed while the plot has focus.

        Parameters
        ----------
        callback : callable
            ``callback(event: str)``, where ``event`` is one of ``'digit:1'`` ..
            ``'digit:9'``, ``'undo'`` (Ctrl/Cmd+Z), ``'redo'`` (Ctrl/Cmd+Shift+Z, Ctrl+Y) or
            ``'delete'`` (Delete/Backspace).
        remove : bool, default False
            Unregister ``callback`` instead.

        Returns
        -------
        callable
            ``callback`` itself, so the method works as a decorator.

        Raises
        ------
        TypeError
            ``callback`` is not callable.

        Examples
        --------
        >>> import numpy as np
        >>> import embedviz
        >>> w = embedviz.Scatter(np.random.default_rng(0).random((10, 2)))
        >>> @w.on_key
        ... def pressed(event):
        ...     print(event)
        """
        return _register(self._callbacks["key"], callback, remove)


def _register(callbacks: list[Any], callback: Any, remove: bool) -> Any:
    if not callable(callback):
        raise TypeError(f"callback must be callable, got {type(callback).__name__}")
    if remove:
        if callback in callbacks:
            callbacks.remove(callback)
    elif callback not in callbacks:
        callbacks.append(callback)
    return callback
