"""Label colours: automatic colours for new labels and colour validation.

The first 20 are :data:`embedviz.colors.DISTINCT` (picked to be far apart in CIELAB); past
20 labels, golden-ratio hue steps.
"""
from __future__ import annotations

import colorsys
import re
from collections.abc import Iterable

from embedviz.colors import DISTINCT
from embedviz.labels.validate import brief

PALETTE: tuple[str, ...] = DISTINCT

_HEX = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def next_color(used: Iterable[str]) -> str:
    """The first palette colour not in ``used``; generated hues once the palette is spent."""
    taken = {c.lower() for c in used}
    for color in PALETTE:
        if color not in taken:
            return color
    step = 0
    while True:
        hue = (0.11 + 0.618033988749895 * step) % 1.0
        r, g, b = colorsys.hls_to_rgb(hue, 0.55, 0.6)
        color = f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"
        if color not in taken:
            return color
        step += 1


def normalize_color(color: object) -> str:
    """``'#rgb'``, ``'#rrggbb'`` (or a CSS name when matplotlib is installed) -> ``'#rrggbb'``."""
    if not isinstance(color, str):
        raise TypeError(f"color must be a string like '#1f77b4', got {type(color).__name__}")
    match = _HEX.match(color.strip())
    if match:
        digits = match.group(1).lower()
        if len(digits) == 3:
            digits = "".join(ch * 2 for ch in digits)
        return "#" + digits
    try:
        from matplotlib.colors import to_hex

        return str(to_hex(color.strip(), keep_alpha=False))
    except (ImportError, ValueError):  # matplotlib is optional: names need it, hex does not
        pass
    raise ValueError(f"Unknown color {brief(color)}; pass a hex colour like '#1f77b4'")
