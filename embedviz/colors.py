"""Colours, in one place: the categorical palette shared by label chips and the map's
categorical colourings, the continuous colour maps, the missing-value grey, and the one
colour validator.

The categorical palette is Tableau 10 without its grey, then colours picked greedily
(farthest in CIELAB from those before, from the Kelly, Tableau 20, D3 and Dark2 sets,
skipping greys): the closest pair is 26.1 apart in CIELAB and none is nearer than 24.5 to
the unlabelled / missing grey #c8c8c8. Tableau 10 followed by D3's category10 would put two
blues (#4e79a7, #1f77b4; 10.5 apart) on clusters 0 and 10.

Label colours are taken by ``labels``, map colours by ``widget``; this module imports only
:mod:`embedviz.common`, so neither layer imports the other for a colour.
"""
from __future__ import annotations

import colorsys
import re
from collections.abc import Iterable

from embedviz.common import brief

__all__ = ["COLORMAPS", "DISTINCT", "MISSING_COLOR", "categorical_palette", "check_color",
           "next_color"]

#: The 20 categorical colours, far apart in CIELAB: new labels and categorical colourings.
DISTINCT: tuple[str, ...] = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#7a0177",
    "#e7298a", "#00429d", "#8db600", "#dbdb8d", "#93003a",
    "#882d17", "#ffbb78", "#a6761d", "#9467bd", "#e377c2",
)

#: Continuous colour maps as evenly spaced stops; the front end interpolates them.
COLORMAPS: dict[str, list[str]] = {
    "viridis": ["#440154", "#482878", "#3e4989", "#31688e", "#26828e",
                "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725"],
    "magma": ["#000004", "#180f3d", "#440f76", "#721f81", "#9e2f7f",
              "#cd4071", "#f1605d", "#fd9668", "#feca8d", "#fcfdbf"],
    "cividis": ["#00224e", "#123570", "#3b496c", "#575d6d", "#707173",
                "#8a8779", "#a69d75", "#c4b56c", "#e4cf5b", "#fee838"],
    "coolwarm": ["#3b4cc0", "#5977e3", "#7b9ff9", "#9ebeff", "#c0d4f5",
                 "#dddcdc", "#f2cbb7", "#f7ac8e", "#ee8468", "#d65244", "#b40426"],
}

#: Colour of unlabelled points and of missing (NaN) values.
MISSING_COLOR = "#c8c8c8"

_HEX = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")


def check_color(color: object, *, what: str = "color") -> str:
    """A colour as lower-case ``'#rrggbb'`` (``'#rrggbbaa'`` when it has an alpha).

    The one colour validator: label colours and the Scatter's palettes and colour maps go
    through it.

    Parameters
    ----------
    color : str
        ``'#rgb'``, ``'#rrggbb'``, ``'#rrggbbaa'`` (the ``#`` may be left out), or a CSS
        colour name when matplotlib is installed.
    what : str, default "color"
        What the caller calls it, for messages.

    Returns
    -------
    str

    Raises
    ------
    TypeError
        ``color`` is not a string.
    ValueError
        Not a hex colour (nor, with matplotlib, a colour name).

    Examples
    --------
    >>> check_color("#ABC"), check_color("4e79a7"), check_color("#4e79a780")
    ('#aabbcc', '#4e79a7', '#4e79a780')
    """
    if not isinstance(color, str):
        raise TypeError(f"{what} must be a string like '#4e79a7' ('#rrggbb'), got "
                        f"{type(color).__name__} {brief(color)}")
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
    raise ValueError(f"Unknown {what} {brief(color)}; pass a hex colour like '#4e79a7' "
                     "('#rrggbb')")


def next_color(used: Iterable[str]) -> str:
    """The first palette colour not in ``used``; generated hues once the palette is spent.

    Parameters
    ----------
    used : iterable of str
        Colours taken (``'#rrggbb'``).

    Returns
    -------
    str
        ``'#rrggbb'``: a :data:`DISTINCT` colour, then golden-ratio hue steps.

    Examples
    --------
    >>> next_color([]), next_color(["#4e79a7"])
    ('#4e79a7', '#f28e2b')
    """
    taken = {c.lower() for c in used}
    for color in DISTINCT:
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


def categorical_palette(n: int) -> list[str]:
    """``n`` categorical colours, cycling :data:`DISTINCT` past 20.

    Parameters
    ----------
    n : int
        Categories.

    Returns
    -------
    list of str

    Examples
    --------
    >>> categorical_palette(2)
    ['#4e79a7', '#f28e2b']
    """
    return [DISTINCT[i % len(DISTINCT)] for i in range(n)]
