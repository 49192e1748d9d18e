"""Colour palettes for the Scatter widget (hex strings; no matplotlib needed)."""
from __future__ import annotations

import re

from embedviz.colors import DISTINCT

#: Categorical palette (20 colours far apart; the same as new labels get).
CATEGORICAL = list(DISTINCT)

#: Continuous colour maps as evenly spaced stops; the front end interpolates them.
COLORMAPS = {
    "viridis": ["#440154", "#482878", "#3e4989", "#31688e", "#26828e",
                "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725"],
    "magma": ["#000004", "#180f3d", "#440f76", "#721f81", "#9e2f7f",
              "#cd4071", "#f1605d", "#fd9668", "#feca8d", "#fcfdbf"],
    "cividis": ["#00224e", "#123570", "#3b496c", "#575d6d", "#707173",
                "#8a8779", "#a69d75", "#c4b56c", "#e4cf5b", "#fee838"],
    "coolwarm": ["#3b4cc0", "#5977e3", "#7b9ff9", "#9ebeff", "#c0d4f5",
                 "#dddcdc", "#f2cbb7", "#f7ac8e", "#ee8468", "#d65244", "#b40426"],
}

#: Colour of points with a missing (NaN) continuous value.
MISSING_COLOR = "#c8c8c8"

_HEX = re.compile(r"^#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")


def check_hex(color: str, *, what: str = "colour") -> str:
    """Return ``color`` lower-cased if it is ``#rrggbb`` or ``#rrggbbaa``; else raise."""
    if not isinstance(color, str) or not _HEX.match(color):
        raise ValueError(f"{what} {color!r} is not a hex colour; use '#rrggbb' (e.g. '#4e79a7')")
    return color.lower()


def categorical_palette(n: int) -> list[str]:
    """``n`` distinct colours, cycling the default palette when there are more than 20."""
    return [CATEGORICAL[i % len(CATEGORICAL)] for i in range(n)]
