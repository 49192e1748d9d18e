"""``embedviz.Scatter``: an anywidget WebGL scatter plot for millions of points.

Wire design (ARCHITECTURE.md has the whole data path):

* Per-point channels (xy, color, size, opacity, tooltip, outline) are *not* widget state. They
  travel as custom messages with binary buffers, one message per change, sent when a view
  asks for them (``{"type": "request_data"}``) or when Python changes a channel. Saving a
  notebook therefore never writes per-point data into the file.
* Small state is synced traits: ``selection`` and ``highlight`` (uint32 buffers),
  ``hovered`` (int), and display options.
* Front-end events arrive as custom messages: ``{"type": "select", "encoding":
  "indices" | "bitmask"}`` + one buffer (uint32 indices, or one bit per point when that is
  smaller),
  ``{"type": "hover", "index": i}`` and ``{"type": "key", "key": ...}``. Selection and
  hover are applied with ``set_state`` exactly like a front-end trait update (no echo);
  custom messages skip ipywidgets' one-update-in-flight throttle, which at 1M points
  delayed the selection by seconds while the browser was busy drawing.
"""
from __future__ import annotations

import pathlib
import time
import warnings
from collections.abc import Sequence
from typing import Any

import anywidget
import numpy as np
import traitlets

from embedviz.widget import channels as ch
from embedviz.widget import codecs
from embedviz.widget.callbacks import KEY_EVENTS, Callbacks
from embedviz.widget.names import RegionNames
from embedviz.widget.point_channels import PointChannels, check_height, scalar_options

_BUNDLE = pathlib.Path(__file__).parent / "static" / "widget.js"
#: Styles travel with the widget: each host puts ``_css`` where the view lives (a shadow root
#: in marimo), where a stylesheet added to ``document.head`` would not reach.
SCATTER_CSS = (pathlib.Path(__file__).parent / "scatter.css").read_text(encoding="utf-8")

__all__ = ["KEY_EVENTS", "SCATTER_CSS", "Scatter"]


def _bundle_path() -> pathlib.Path:
    if not _BUNDLE.is_file():
        raise RuntimeError(f"embedviz's front-end bundle is missing ({_BUNDLE}); build it with "
                           "`cd js && npm ci && npm run build` (or reinstall embedviz)")
    return _BUNDLE


class Scatter(Callbacks, anywidget.AnyWidget):
    """Interactive WebGL scatter plot with lasso/box/click selection.

    Per-point data (positions, colours, sizes, opacities, tooltips) travels to the browser
    as binary messages, not as widget state, so saving the notebook never stores it.

    Parameters
    ----------
    xy : array-like, shape (n, 2)
        Point coordinates. Rows with NaN/inf are not drawn (with a warning); their count is
        ``n_invalid``.
    color : array-like, shape (n,), optional
        Integers, strings or bools give categorical colours with a legend; floats give a
        continuous colour bar. None (default) draws every point in ``point_color``.
    size : float or array-like, shape (n,), optional
        Point size in CSS pixels (0..100), one for all points or one per point. None picks a
        size from the number of points.
    opacity : float or array-like, shape (n,), optional
        Opacity in [0, 1], one for all points or one per point. None picks one from the
        number of points.
    tooltip : sequence of str, optional
        One short string per point, shown on hover (default: the point's index).
    categories : sequence, optional
        Category names in legend order; integer ``color`` values then index into it.
    palette : list of str or dict, optional
        Hex colours, one per category, or a dict category -> hex colour.
    colormap : str or sequence of str, default "viridis"
        Colour bar for float ``color``: ``"viridis"``, ``"magma"``, ``"cividis"``,
        ``"coolwarm"`` or a list of at least two hex stops.
    height : int, default 480
        Plot height in pixels (a positive whole number).
    tool : {"pan", "lasso", "box"}, default "pan"
        The pointer tool the plot starts with.
    **kwargs
        Initial values of the other traits, e.g. ``point_color="#e15759"`` or
        ``animation_ms=300``.

    Raises
    ------
    ValueError
        ``xy`` is empty or not (n, 2), a channel does not have one value per point, a value
        lies outside its range, or ``height`` is not positive.
    TypeError
        ``xy`` or a channel is not numeric where it must be, or ``height`` is not a whole
        number.
    RuntimeError
        The front-end bundle is missing (build it with ``cd js && npm ci && npm run build``).

    See Also
    --------
    embedviz.Explorer : The labelling tool built on this plot.

    Examples
    --------
    >>> import numpy as np
    >>> import embedviz
    >>> xy = np.random.default_rng(0).normal(size=(1000, 2))
    >>> w = embedviz.Scatter(xy, color=(xy[:, 0] > 0).astype(int), tool="lasso")
    >>> w.n_points
    1000
    >>> w  # shows the plot in a notebook                     # doctest: +SKIP
    >>> w.selection  # the points lassoed in the browser, uint32  # doctest: +SKIP
    """

    _esm: str | pathlib.Path = _BUNDLE
    _css = SCATTER_CSS

    height = traitlets.Int(480).tag(sync=True)
    point_size = traitlets.Float(0.0, help="base point size in px; 0 picks one from n").tag(sync=True)
    point_opacity = traitlets.Float(0.0, help="base opacity; 0 picks one from n").tag(sync=True)
    point_color = traitlets.Unicode("#4e79a7").tag(sync=True)
    tool = traitlets.Enum(["pan", "lasso", "box"], "pan").tag(sync=True)
    animation_ms = traitlets.Int(600).tag(sync=True)
    selection = traitlets.Any(np.zeros(0, np.uint32)).tag(
        sync=True, echo_update=False, **codecs.INDEX_SERIALIZERS)
    highlight = traitlets.Any(np.zeros(0, np.uint32)).tag(sync=True, **codecs.INDEX_SERIALIZERS)
    # bumped on every kernel-side assignment of `selection`: the front end re-reads the
    # selection on it, since its model copy may be stale (lassos are not written back to it)
    _selection_rev = traitlets.Int(0).tag(sync=True)
    hovered = traitlets.Int(-1, help="index under the mouse, -1 for none (set by the front end)"
                            ).tag(sync=True, echo_update=False)

    def __init__(self, xy: Any, *, color: Any = None, size: Any = None, opacity: Any = None,
                 tooltip: Sequence[str] | None = None, categories: Sequence[Any] | None = None,
                 palette: Any = None, colormap: str | Sequence[str] = "viridis",
                 height: int = 480, tool: str = "pan", **kwargs: Any) -> None:
        if isinstance(type(self)._esm, pathlib.Path):  # bundle was built after import
            type(self)._esm = _bundle_path().read_text(encoding="utf-8")
        self._points = PointChannels(xy)
        self._points.commit(self._points.prepare(
            color=color, categories=categories, palette=palette, colormap=colormap,
            size=size, opacity=opacity, tooltip=tooltip))
        kwargs.update(scalar_options(size, opacity))
        self._applying_frontend_selection = False
        self.select_transport_ms: float | None = None  # last lasso: JS send -> kernel (diagnostics)
        self._init_callbacks()
        self._names: RegionNames | None = None
        super().__init__(height=check_height(height), tool=tool, **kwargs)
        self.on_msg(self._on_frontend_message)
        self.observe(self._fire_select, names="selection")
        self.observe(self._fire_hover, names="hovered")
        self._warn_invalid()

    # ----- read-only facts -------------------------------------------------------------
    @property
    def n_points(self) -> int:
        """Number of points (rows of ``xy``, drawn or not)."""
        return self._points.n

    @property
    def n_invalid(self) -> int:
        """Number of points with NaN/inf coordinates (not drawn)."""
        return self._points.n_invalid

    @property
    def xy(self) -> np.ndarray:
        """Point coordinates as float32 (n, 2); assign to move points (animated)."""
        view = self._points.xy.view()
        view.flags.writeable = False
        return view

    @xy.setter
    def xy(self, value: Any) -> None:
        self.update(xy=value)

    @property
    def outline(self) -> np.ndarray | None:
        """Outline code per point (int32, -1 for no ring; read-only), or None when no
        outline is set. Set it with ``update(outline=..., outline_palette=...)``."""
        got = self._points.outline()
        return None if got is None else got[0]

    @property
    def outline_palette(self) -> list[str] | None:
        """The hex colours the ``outline`` codes index, or None when no outline is set."""
        got = self._points.outline()
        return None if got is None else got[1]

    @property
    def legend(self) -> dict[str, str]:
        """The categorical colouring's legend as sent to the browser: category name ->
        hex colour, in legend order (empty when the colouring is not categorical).

        Examples
        --------
        >>> import numpy as np
        >>> w = Scatter(np.zeros((3, 2)))
        >>> w.set_color(["a", "b", "a"], palette=["#ff0000", "#00ff00"])
        >>> w.legend
        {'a': '#ff0000', 'b': '#00ff00'}
        """
        channel = self._points.channels.get("color")
        header = {} if channel is None else channel.header
        names, colours = header.get("categories"), header.get("palette")
        if not names or not colours:
            return {}
        return dict(zip(names, colours, strict=False))

    @property
    def tooltips(self) -> list[str] | None:
        """The tooltip line of each point as sent to the browser (``set_tooltip``), or None
        when the tooltip shows point numbers."""
        channel = self._points.channels.get("tooltip")
        return None if channel is None else codecs.decode_strings(*channel.buffers)

    @property
    def names(self) -> list[dict[str, Any]]:
        """The region names drawn on the map, as sent to the browser (one dict per name:
        its text, position and level); empty when none are drawn."""
        return [] if self._names is None else list(self._names.wire)

    # ----- channel updates ---------------------------------------------------------------
    def update(self, *, xy: Any = None, color: Any = None, size: Any = None,
               opacity: Any = None, tooltip: Sequence[str] | None = None,
               outline: Any = None, outline_palette: Sequence[str] | None = None,
               animate: bool = True, **color_options: Any) -> None:
        """Replace several channels at once; only the given ones are sent.

        Changing ``xy`` to a different number of points requires passing every other
        per-point channel in the same call (they would not match otherwise); it also clears
        the selection and highlight. Every value is checked before anything changes.

        Parameters
        ----------
        xy : array-like, shape (n, 2), optional
            New point coordinates.
        color : array-like, shape (n,), optional
            New colours, as for the ``color`` argument of :class:`Scatter`.
        size : float or array-like, shape (n,), optional
            New point size in pixels (0..100), scalar or per point.
        opacity : float or array-like, shape (n,), optional
            New opacity in [0, 1], scalar or per point.
        tooltip : sequence of str, optional
            New hover text, one string per point.
        outline : array-like of int, shape (n,), optional
            A ring around each point in a colour of ``outline_palette``: the code indexes the
            palette, -1 draws no ring. The ring lies outside the point, so its fill (the
            colouring) stays visible; e.g. labelled points outlined in their label's colour
            over any colouring. Drop it with ``clear_channel("outline")``.
        outline_palette : sequence of str, optional
            Hex colours (``'#rrggbb'``) the ``outline`` codes index; required with ``outline``.
        animate : bool, default True
            Animate points from their old positions and colours to the new ones.
        **color_options
            ``categories``, ``palette``, ``colormap``, ``vmin`` and ``vmax`` for ``color``,
            as in :meth:`set_color`.

        Raises
        ------
        ValueError
            ``xy`` changes the number of points while a per-point channel that would no
            longer match is not given (pass it, or drop it with :meth:`clear_channel`), or a
            value is out of range or has the wrong length, an ``outline`` code is outside
            ``-1 .. len(outline_palette) - 1``, one of ``outline`` and ``outline_palette``
            comes without the other, or a palette colour is not ``'#rrggbb'``.
        TypeError
            A channel has a type it cannot take (e.g. a single string as ``tooltip``, or
            float ``outline`` codes).

        Examples
        --------
        >>> import numpy as np
        >>> w = Scatter(np.zeros((3, 2)))
        >>> w.update(xy=np.eye(4, 2), color=[0, 1, 1, 0])
        >>> w.n_points
        4
        >>> w.update(outline=[0, -1, -1, 1], outline_palette=["#e15759", "#4e79a7"])
        >>> w.outline.tolist()
        [0, -1, -1, 1]
        """
        scalars = scalar_options(size, opacity)  # checked before anything changes
        pending = self._points.prepare(xy=xy, color=color, size=size, opacity=opacity,
                                       tooltip=tooltip, outline=outline,
                                       outline_palette=outline_palette, **color_options)
        if pending.xy is not None and pending.xy.shape[0] != self.n_points:
            self.selection = np.zeros(0, np.uint32)
            self.highlight = np.zeros(0, np.uint32)
        names = self._points.commit(pending)
        if pending.xy is not None:
            self._warn_invalid()
        for key, value in scalars.items():
            setattr(self, key, value)
        if names:
            self._send_channels(names, animate=animate)

    def set_color(self, values: Any, *, categories: Sequence[Any] | None = None,
                  palette: Any = None, colormap: str | Sequence[str] = "viridis",
                  vmin: float | None = None, vmax: float | None = None) -> None:
        """Recolour points (positions are not resent).

        Parameters
        ----------
        values : array-like, shape (n,), or None
            Integers, strings or bools give categorical colours with a legend; floats give a
            colour bar. None returns to the single ``point_color``.
        categories : sequence, optional
            Category names in legend order; integer ``values`` then index into it.
        palette : list of str or dict, optional
            Hex colours, one per category, or a dict category -> hex colour.
        colormap : str or sequence of str, default "viridis"
            ``"viridis"``, ``"magma"``, ``"cividis"``, ``"coolwarm"`` or a list of at least
            two hex stops, for float ``values``.
        vmin, vmax : float, optional
            Ends of the colour bar (default: the smallest and largest finite value).

        Raises
        ------
        ValueError
            ``values`` does not have one value per point, a palette lacks a colour for a
            category, ``vmin > vmax``, or the colormap is unknown.
        TypeError
            ``values`` has a dtype that is neither categorical nor continuous.

        Examples
        --------
        >>> import numpy as np
        >>> w = Scatter(np.random.default_rng(0).random((4, 2)))
        >>> w.set_color(["a", "b", "a", "b"], palette={"a": "#4e79a7", "b": "#e15759"})
        >>> w.set_color(np.linspace(0, 1, 4), colormap="magma")
        >>> w.set_color(None)
        """
        if values is None:
            self.clear_channel("color")
            return
        self.update(color=values, categories=categories, palette=palette,
                    colormap=colormap, vmin=vmin, vmax=vmax)

    def set_size(self, values: Any) -> None:
        """Set the point size in pixels.

        Parameters
        ----------
        values : float or array-like, shape (n,)
            Size in CSS pixels (0..100): one for all points, or one per point. 0 picks a
            size from the number of points.

        Raises
        ------
        ValueError
            A size lies outside 0..100, is NaN, or there is not one per point.

        Examples
        --------
        >>> import numpy as np
        >>> w = Scatter(np.random.default_rng(0).random((3, 2)))
        >>> w.set_size(6)
        >>> w.set_size([2, 4, 8])
        """
        self.update(size=values)

    def set_opacity(self, values: Any) -> None:
        """Set the point opacity.

        Parameters
        ----------
        values : float or array-like, shape (n,)
            Opacity in [0, 1]: one for all points, or one per point. 0 picks one from the
            number of points.

        Raises
        ------
        ValueError
            An opacity lies outside [0, 1], is NaN, or there is not one per point.

        Examples
        --------
        >>> import numpy as np
        >>> w = Scatter(np.random.default_rng(0).random((3, 2)))
        >>> w.set_opacity([0.2, 0.6, 1.0])
        """
        self.update(opacity=values)

    def set_tooltip(self, values: Sequence[str] | None) -> None:
        """Set the text shown when the mouse is over a point.

        Parameters
        ----------
        values : sequence of str or None
            One string per point (shown as text, never as HTML), or None to show the point's
            index.

        Raises
        ------
        ValueError
            There is not one string per point.
        TypeError
            ``values`` is a single string rather than one per point.

        Examples
        --------
        >>> import numpy as np
        >>> w = Scatter(np.random.default_rng(0).random((2, 2)))
        >>> w.set_tooltip(["first point", "second point"])
        """
        if values is None:
            self.clear_channel("tooltip")
        else:
            self.update(tooltip=values)

    def clear_channel(self, name: str) -> None:
        """Drop a per-point channel, returning to the single default value.

        Parameters
        ----------
        name : {"color", "size", "opacity", "tooltip", "outline"}
            The channel to drop; dropping one that is not set does nothing.

        Raises
        ------
        ValueError
            ``name`` is not one of these channels (``xy`` cannot be dropped).

        Examples
        --------
        >>> import numpy as np
        >>> w = Scatter(np.random.default_rng(0).random((2, 2)), color=[0, 1])
        >>> w.clear_channel("color")
        """
        if self._points.clear(name):
            self._points.version += 1
            self.send({"type": "clear_channel", "name": name, "version": self._points.version})

    # ----- view commands -----------------------------------------------------------------
    def zoom_to(self, indices: Any, *, padding: float = 0.15) -> None:
        """Animate the camera to fit the given points.

        Parameters
        ----------
        indices : array-like of int
            Indices of the points to fit (e.g. ``w.selection``).
        padding : float, default 0.15
            Margin around the points, as a fraction of their extent.

        Raises
        ------
        ValueError
            ``indices`` is empty (use :meth:`reset_view` to see every point) or holds an
            index outside ``0 .. n_points - 1``.

        Examples
        --------
        >>> import numpy as np
        >>> w = Scatter(np.random.default_rng(0).random((100, 2)))
        >>> w.zoom_to([0, 1, 2], padding=0.3)
        """
        idx = codecs.index_array(indices, self.n_points, name="zoom_to indices")
        if idx.size == 0:
            raise ValueError("zoom_to needs at least one index; use reset_view() to see all")
        self.send({"type": "zoom_to", "padding": float(padding)},
                  [codecs.indices_to_json(idx)])

    def reset_view(self) -> None:
        """Animate the camera back to show every point."""
        self.send({"type": "reset_view"})

    def set_names(self, table: Any) -> None:
        """Draw region names on the map, or remove them with None.

        Parameters
        ----------
        table : pandas.DataFrame or None
            A table from :func:`embedviz.regions` for this map's ``xy``. Names are drawn as
            text sized by region size, coarse ones zoomed out and finer ones zoomed in, never
            two overlapping; hovering one shows its keywords, clicking it selects its
            members (Shift+click adds them), as a lasso would. Call again after ``xy``
            changes.

        Raises
        ------
        ValueError
            The table lacks a column of :func:`embedviz.regions`, or names points this map
            does not have.

        Examples
        --------
        >>> w = embedviz.Scatter(xy)                                # doctest: +SKIP
        >>> w.set_names(embedviz.regions(xy, text=texts))           # doctest: +SKIP
        """
        self._names = None if table is None else RegionNames(table, self.n_points)
        self._send_names()

    def _send_names(self) -> None:
        self.send({"type": "names", "names": [] if self._names is None else self._names.wire})

    def focus(self) -> None:
        """Give the map the keyboard focus, so number keys label the selection next (after
        a button or the name box had it)."""
        self.send({"type": "focus"})

    def save_html(self, path: str | pathlib.Path, *, overwrite: bool = False,
                  title: str = "embedviz map") -> pathlib.Path:
        """Save the map as one self-contained HTML file (no kernel, no network needed).

        The front-end bundle and the point data (binary, base64) are inlined: the file opens
        from disk in a browser with the points in their colours, the legend, tooltips on
        hover, pan/zoom and lasso showing the count selected.

        Parameters
        ----------
        path : str or Path
            Where to write, ending in ``.html``.
        overwrite : bool
            Replace an existing file.
        title : str
            The page's title (shown as text).

        Returns
        -------
        Path
            The file written.

        Raises
        ------
        FileExistsError
            ``path`` exists and ``overwrite`` is False.
        FileNotFoundError, PermissionError
            The folder is missing or not writable. Nothing is half-written: the file is
            written to a temporary name, then renamed.

        Examples
        --------
        >>> w = Scatter(np.random.default_rng(0).random((1000, 2)))
        >>> w.save_html("map.html", overwrite=True)  # doctest: +SKIP
        """
        from .standalone import page_html, write_html

        return write_html(path, page_html(self, title=title), overwrite=overwrite)

    # ----- internals ---------------------------------------------------------------------
    @traitlets.validate("point_size", "point_opacity")
    def _validate_scalar_style(self, proposal: traitlets.Bunch) -> float:
        name = proposal["trait"].name
        span = ch.SIZE_RANGE if name == "point_size" else ch.OPACITY_RANGE
        return ch.scalar_option(name, proposal["value"], *span)

    @traitlets.validate("height")
    def _validate_height(self, proposal: traitlets.Bunch) -> int:
        return check_height(proposal["value"])

    @traitlets.validate("selection", "highlight")
    def _validate_indices(self, proposal: traitlets.Bunch) -> np.ndarray:
        name = proposal["trait"].name
        return codecs.index_array(proposal["value"], self.n_points, name=name)

    def _fire_select(self, change: dict[str, Any]) -> None:
        if not self._applying_frontend_selection:
            self._selection_rev += 1
        if np.array_equal(change["old"], change["new"]):
            return  # e.g. a front end re-sending the selection it already sent
        self._fire("select", change["new"])

    def _fire_hover(self, change: dict[str, Any]) -> None:
        self._fire("hover", int(change["new"]))

    def _on_frontend_message(self, _widget: Any, content: dict[str, Any],
                           _buffers: list[bytes]) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "request_data":
            self._send_channels(list(self._points.channels), animate=False)
            if self._names is not None:
                self._send_names()
        elif kind == "name_pick" and self._names is not None:  # a click on a region's name
            members = self._names.members.get(int(content.get("region", -1)))
            if members is not None:
                self.selection = (np.union1d(self.selection, members) if content.get("add")
                                  else members)
        elif kind == "select":  # JS-owned: applied like a front-end state update, no echo
            raw = _buffers[0] if _buffers else content.get("indices", [])
            if content.get("encoding") == "bitmask":
                raw = codecs.bitmask_to_indices(raw, self.n_points)
            indices = codecs.index_array(codecs.indices_from_json(raw), self.n_points,
                                         name="selection")
            if "sent_at" in content:
                self.select_transport_ms = time.time() * 1000 - float(content["sent_at"])
            changed = not np.array_equal(indices, self.selection)
            # lock on the validated (sorted) value so set_state sends nothing back
            self._applying_frontend_selection = True
            try:
                self.set_state({"selection": codecs.indices_to_json(indices)})
            finally:
                self._applying_frontend_selection = False
            # other views of this widget (a second output, a re-rendered cell) show it too;
            # the view it came from skips its own echo, so a newer lasso is never undone
            if changed:
                self.send({"type": "selection", "origin": content.get("origin")},
                          [codecs.indices_to_json(indices)])
        elif kind == "hover":
            self.set_state({"hovered": int(content.get("index", -1))})
        elif kind == "key" and content.get("key") in KEY_EVENTS:
            self._fire("key", content["key"])

    def _send_channels(self, names: list[str], *, animate: bool) -> None:
        self.send(*self._points.message(names, animate=animate))

    @property
    def _channels(self) -> dict[str, ch.Channel]:
        """The per-point channels in wire form (read by ``standalone``)."""
        return self._points.channels

    def _warn_invalid(self) -> None:
        if self.n_invalid:
            warnings.warn(f"{self.n_invalid} of {self.n_points} points have NaN/inf "
                          "coordinates and are not drawn (see Scatter.n_invalid)",
                          UserWarning, stacklevel=3)

    def __repr__(self) -> str:
        return (f"Scatter(n_points={self.n_points}, n_invalid={self.n_invalid}, "
                f"selected={len(self.selection)})")
