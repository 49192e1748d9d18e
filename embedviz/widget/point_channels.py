"""The per-point state of one Scatter: its positions and channels, validated together and
encoded for the wire.

:class:`PointChannels` checks a whole update before anything changes (a bad colour never
leaves new positions half-applied), keeps the channels in wire form, and builds the one
``channels`` message a change sends. The Scatter widget owns one and knows only its
public API; ``standalone`` reads the same channels to inline them in a page.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from embedviz.widget import channels as ch
from embedviz.widget.codecs import from_wire_array

#: Per-point channels that may be dropped (``xy`` never can).
CLEARABLE = ("color", "size", "opacity", "tooltip", "outline")


@dataclass
class PendingUpdate:
    """A validated update, not yet applied."""

    channels: list[ch.Channel] = field(default_factory=list)
    xy: np.ndarray | None = None
    n_invalid: int = 0

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.channels]


class PointChannels:
    """Positions plus the per-point channels of one plot, in wire form.

    Parameters
    ----------
    xy : array-like, shape (n, 2)
        Point coordinates (validated as for :class:`~embedviz.Scatter`).

    Examples
    --------
    >>> import numpy as np
    >>> points = PointChannels(np.zeros((3, 2)))
    >>> points.commit(points.prepare(color=[0, 1, 1]))
    ['color']
    >>> sorted(points.channels)
    ['color', 'xy']
    """

    def __init__(self, xy: Any) -> None:
        self.xy, self.n_invalid = ch.validate_xy(xy)
        self.channels: dict[str, ch.Channel] = {"xy": ch.xy_channel(self.xy)}
        self.version = 0

    @property
    def n(self) -> int:
        """Number of points (rows of ``xy``)."""
        return int(self.xy.shape[0])

    def prepare(self, *, xy: Any = None, color: Any = None, size: Any = None,
                opacity: Any = None, tooltip: Sequence[str] | None = None,
                outline: Any = None, outline_palette: Sequence[str] | None = None,
                **color_options: Any) -> PendingUpdate:
        """Validate the given channels together; nothing changes until :meth:`commit`.

        Raises
        ------
        ValueError, TypeError
            As :meth:`embedviz.Scatter.update` documents.
        """
        n = self.n
        pending = PendingUpdate()
        if xy is not None:
            new_xy, pending.n_invalid = ch.validate_xy(xy)
            if new_xy.shape[0] != n:
                given = {"color": color, "size": size, "opacity": opacity, "tooltip": tooltip,
                         "outline": outline}
                stale = [c for c, v in given.items() if c in self.channels and v is None]
                if stale:
                    raise ValueError(f"xy changes the number of points from {n} to "
                                     f"{new_xy.shape[0]}; pass new {stale} in the same "
                                     "update() call, or drop them first with clear_channel()")
            n = new_xy.shape[0]
            pending.xy = new_xy
            pending.channels.append(ch.xy_channel(new_xy))
        candidates = (ch.color_channel(color, n, **color_options), ch.size_channel(size, n),
                      ch.opacity_channel(opacity, n), ch.tooltip_channel(tooltip, n),
                      ch.outline_channel(outline, n, outline_palette))
        pending.channels += [c for c in candidates if c is not None]
        return pending

    def commit(self, pending: PendingUpdate) -> list[str]:
        """Apply a validated update; returns the names of the channels it changed."""
        if pending.xy is not None:
            self.xy, self.n_invalid = pending.xy, pending.n_invalid
        for channel in pending.channels:
            self.channels[channel.name] = channel
        return pending.names

    def clear(self, name: str) -> bool:
        """Drop a channel; returns whether it was set.

        Raises
        ------
        ValueError
            ``name`` is not a channel that can be dropped.
        """
        if name not in CLEARABLE:
            raise ValueError(f"cannot clear {name!r}; known: {', '.join(CLEARABLE)}")
        return self.channels.pop(name, None) is not None

    def message(self, names: list[str], *, animate: bool) -> tuple[dict[str, Any], list[Any]]:
        """The ``channels`` message for ``names`` (a new version): JSON headers + buffers."""
        self.version += 1
        headers, buffers = wire_headers(self.channels, names)
        return ({"type": "channels", "version": self.version, "n": self.n,
                 "animate": bool(animate), "channels": headers}, buffers)

    def outline(self) -> tuple[np.ndarray, list[str]] | None:
        """The outline codes (int, -1 for none) and palette, or None when there are none."""
        channel = self.channels.get("outline")
        if channel is None:
            return None
        codes = from_wire_array(channel.header, channel.buffers[0]).astype(np.int32)
        codes.flags.writeable = False
        return codes, list(channel.header["palette"])


def wire_headers(channels: dict[str, ch.Channel], names: list[str]
                 ) -> tuple[dict[str, dict[str, Any]], list[Any]]:
    """Headers naming their buffers by position in one flat buffer list."""
    headers: dict[str, dict[str, Any]] = {}
    buffers: list[Any] = []
    for name in names:
        channel = channels[name]
        first = len(buffers)
        buffers.extend(channel.buffers)
        headers[name] = {**channel.header, "buffers": list(range(first, len(buffers)))}
    return headers, buffers


def scalar_options(size: Any, opacity: Any) -> dict[str, float]:
    """The traits for a scalar ``size``/``opacity`` (arrays are per-point channels)."""
    given = {"point_size": ("size", size, ch.SIZE_RANGE),
             "point_opacity": ("opacity", opacity, ch.OPACITY_RANGE)}
    return {key: ch.scalar_option(name, value, *span)
            for key, (name, value, span) in given.items()
            if value is not None and np.ndim(value) == 0}


def check_height(height: Any) -> int:
    """The plot height: a positive number of pixels (numpy integers too, never bools)."""
    if isinstance(height, (bool, np.bool_)) or not isinstance(height, (int, np.integer)):
        raise TypeError(f"height must be a whole number of pixels, e.g. height=480; "
                        f"got {type(height).__name__}")
    if height < 1:
        raise ValueError(f"height must be a positive number of pixels, e.g. height=480; "
                         f"got {int(height)}")
    return int(height)
