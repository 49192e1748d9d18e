"""Validation of per-point channels (xy, color, size, opacity, tooltip, outline) into wire form,
and of the scalar size and opacity that style every point.

Each channel becomes a :class:`Channel`: a small JSON header plus one or more binary
buffers. Channels travel independently, so recolouring never resends positions.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from embedviz.colors import COLORMAPS, MISSING_COLOR, categorical_palette, check_color
from embedviz.widget import codecs

MAX_CATEGORIES = 4096
#: Allowed sizes (CSS pixels) and opacities, per point or as one scalar.
SIZE_RANGE, OPACITY_RANGE = (0.0, 100.0), (0.0, 1.0)


@dataclass
class Channel:
    """One per-point channel in wire form."""

    name: str
    header: dict[str, Any]
    buffers: list[memoryview] = field(default_factory=list)


def validate_xy(xy: Any) -> tuple[np.ndarray, int]:
    """Return ``(xy as float32 (n, 2), number of non-finite rows)``; raise on bad shapes."""
    if xy is None:
        raise ValueError("xy is required: pass an (n, 2) array of 2-D coordinates")
    try:
        arr = np.asarray(xy, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"xy must be numeric, an (n, 2) array; could not convert: {err}") from None
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"xy must have shape (n, 2), got {arr.shape}; "
                         "for separate x and y use np.column_stack([x, y])")
    if arr.shape[0] == 0:
        raise ValueError("xy is empty: Scatter needs at least one point")
    if arr.shape[0] > np.iinfo(np.uint32).max:
        raise ValueError(f"xy has {arr.shape[0]} points; at most 2**32 - 1 are supported")
    finite = np.isfinite(arr).all(axis=1)
    return np.ascontiguousarray(arr, dtype=np.float32), int((~finite).sum())


def xy_channel(xy: np.ndarray) -> Channel:
    header, buf = codecs.to_wire_array(xy)
    return Channel("xy", header, [buf])


def _check_length(name: str, arr: np.ndarray, n: int) -> None:
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one value per point, shape ({n},); got {arr.shape}")
    if arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} values but xy has {n} points; "
                         f"pass exactly one {name} value per point")


def _is_categorical(values: np.ndarray) -> bool:
    return values.dtype.kind in "iubOSU" or str(values.dtype) == "category"


def _resolve_palette(palette: Any, categories: list[str]) -> list[str]:
    if palette is None:
        return categorical_palette(len(categories))
    if isinstance(palette, Mapping):
        missing = [c for c in categories if c not in {str(k) for k in palette}]
        if missing:
            raise ValueError(f"palette has no colour for categories {missing[:5]}; "
                             "add them to the palette dict")
        by_name = {str(k): v for k, v in palette.items()}
        return [check_color(by_name[c], what=f"palette[{c!r}]") for c in categories]
    colors = [check_color(c, what="palette colour") for c in palette]
    if len(colors) < len(categories):
        raise ValueError(f"palette has {len(colors)} colours for {len(categories)} categories; "
                         "pass at least one colour per category (or a dict name -> colour)")
    return colors[: len(categories)]


def _categorical(values: Any, n: int, categories: Sequence[Any] | None,
                 palette: Any) -> Channel:
    if str(getattr(values, "dtype", "")) == "category":  # pandas Categorical / Series
        cat = values.cat if hasattr(values, "cat") else values
        codes = np.asarray(cat.codes, dtype=np.int64)
        names = [str(c) for c in cat.categories]
        if (codes < 0).any():
            names.append("missing")
            codes = np.where(codes < 0, len(names) - 1, codes)
    else:
        arr = np.asarray(values)
        _check_length("color", arr, n)
        if categories is not None and arr.dtype.kind in "iu":
            names = [str(c) for c in categories]
            codes = arr.astype(np.int64)
            if codes.min() < 0 or codes.max() >= len(names):
                raise ValueError(f"color codes must lie in 0..{len(names) - 1} to index "
                                 f"categories; got {codes.min()}..{codes.max()}")
        elif categories is not None:
            names = [str(c) for c in categories]
            lookup = {name: i for i, name in enumerate(names)}
            as_str = arr.astype(str)
            unknown = sorted(set(np.unique(as_str)) - set(lookup))
            if unknown:
                raise ValueError(f"color has values {unknown[:5]} that are not in categories "
                                 f"{names[:10]}; add them to categories")
            codes = np.array([lookup[s] for s in as_str], dtype=np.int64)
        else:
            keys = arr.astype(str) if arr.dtype.kind in "OSUb" else arr
            uniq, codes = np.unique(keys, return_inverse=True)
            names = [str(u) for u in uniq]
    if len(names) > MAX_CATEGORIES:
        raise ValueError(f"color has {len(names)} categories (at most {MAX_CATEGORIES}); "
                         "for a continuous colour pass floats, e.g. values.astype(float)")
    _check_length("color", codes, n)
    dtype = np.uint8 if len(names) <= 256 else np.uint16
    header, buf = codecs.to_wire_array(codes.astype(dtype))
    header.update(kind="categorical", categories=names,
                  palette=_resolve_palette(palette, names))
    return Channel("color", header, [buf])


def _continuous(values: Any, n: int, colormap: str | Sequence[str],
                vmin: float | None, vmax: float | None) -> Channel:
    arr = np.asarray(values, dtype=np.float64)
    _check_length("color", arr, n)
    finite = arr[np.isfinite(arr)]
    lo = float(vmin) if vmin is not None else (float(finite.min()) if finite.size else 0.0)
    hi = float(vmax) if vmax is not None else (float(finite.max()) if finite.size else 1.0)
    if not hi >= lo:
        raise ValueError(f"vmin ({lo}) must not exceed vmax ({hi})")
    if isinstance(colormap, str):
        if colormap not in COLORMAPS:
            raise ValueError(f"unknown colormap {colormap!r}; "
                             f"known: {sorted(COLORMAPS)} (or a list of hex stops)")
        stops = COLORMAPS[colormap]
    else:
        stops = [check_color(c, what="colormap stop") for c in colormap]
        if len(stops) < 2:
            raise ValueError("a colormap needs at least two hex stops")
    header, buf = codecs.to_wire_array(arr.astype(np.float32))
    header.update(kind="continuous", vmin=lo, vmax=hi, stops=stops,
                  missing=MISSING_COLOR)
    return Channel("color", header, [buf])


def color_channel(values: Any, n: int, *, categories: Sequence[Any] | None = None,
                  palette: Any = None, colormap: str | Sequence[str] = "viridis",
                  vmin: float | None = None, vmax: float | None = None) -> Channel | None:
    """Categorical (ints, strings, bools, pandas categories) or continuous (floats) colour."""
    if values is None:
        return None
    is_pandas_cat = str(getattr(values, "dtype", "")) == "category"
    arr = None if is_pandas_cat else np.asarray(values)
    if arr is not None and arr.ndim == 0:
        raise ValueError("color must be one value per point; for a single colour use "
                         "Scatter(..., point_color='#4e79a7')")
    if arr is None or categories is not None or _is_categorical(arr):
        return _categorical(values, n, categories, palette)
    if arr.dtype.kind != "f":
        raise TypeError(f"color dtype {arr.dtype} is neither categorical nor continuous; "
                        "pass ints/strings (categories) or floats (colour bar)")
    return _continuous(arr, n, colormap, vmin, vmax)


def _numeric_channel(name: str, values: Any, n: int, lo: float, hi: float) -> Channel | None:
    if values is None:
        return None
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 0:
        return None  # scalars are widget options, not per-point channels
    _check_length(name, arr, n)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} has {int((~np.isfinite(arr)).sum())} NaN/inf values; "
                         f"replace them, e.g. np.nan_to_num({name}, nan=...)")
    if arr.min() < lo or arr.max() > hi:
        raise ValueError(f"{name} values must lie in [{lo}, {hi}]; "
                         f"got {arr.min():g}..{arr.max():g}")
    header, buf = codecs.to_wire_array(arr.astype(np.float32))
    return Channel(name, header, [buf])


def size_channel(values: Any, n: int) -> Channel | None:
    """Per-point size in CSS pixels (0..100)."""
    return _numeric_channel("size", values, n, *SIZE_RANGE)


def opacity_channel(values: Any, n: int) -> Channel | None:
    """Per-point opacity in [0, 1]."""
    return _numeric_channel("opacity", values, n, *OPACITY_RANGE)


def scalar_option(name: str, value: Any, lo: float, hi: float) -> float:
    """One size or opacity for every point: a finite number in [lo, hi], like the per-point
    values (0 lets the widget pick one from the number of points)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number in [{lo:g}, {hi:g}] or one value per point; "
                        f"got {type(value).__name__}")
    if not np.isfinite(value) or not lo <= value <= hi:
        raise ValueError(f"{name} must lie in [{lo:g}, {hi:g}] (0 picks one from the number of "
                         f"points); got {float(value):g}")
    return float(value)


def tooltip_channel(values: Any, n: int) -> Channel | None:
    """One short string per point, packed as UTF-8 bytes + uint32 offsets."""
    if values is None:
        return None
    if isinstance(values, str):
        raise TypeError("tooltip must be one string per point (a list/array), not one string")
    strings = [str(v) for v in values]
    _check_length("tooltip", np.empty(len(strings)), n)
    header, buffers = codecs.encode_strings(strings)
    return Channel("tooltip", header, buffers)


def outline_channel(codes: Any, n: int, palette: Sequence[str] | None) -> Channel | None:
    """A ring per point in a palette colour: ``codes`` index ``palette``, -1 draws none.

    Codes travel in the narrowest signed integer type that holds them (int8 for up to 127
    colours), so relabelling a million points resends one byte per point.
    """
    if codes is None:
        if palette is not None:
            raise ValueError("outline_palette was given without outline codes; pass "
                             "outline=codes (one palette index per point, -1 for none) too")
        return None
    if palette is None:
        raise ValueError("outline needs outline_palette: one hex colour per code, "
                         "e.g. outline_palette=['#4e79a7', '#e15759']")
    if isinstance(palette, str):
        raise TypeError("outline_palette must be a list of hex colours, not one string; "
                        f"e.g. outline_palette=[{palette!r}]")
    colors = [check_color(c, what="outline_palette colour") for c in palette]
    if len(colors) > MAX_CATEGORIES:
        raise ValueError(f"outline_palette has {len(colors)} colours (at most {MAX_CATEGORIES})")
    arr = np.asarray(codes)
    if arr.dtype.kind == "f" and np.isfinite(arr).all() and (np.mod(arr, 1) == 0).all():
        arr = arr.astype(np.int64)  # whole floats, e.g. from pandas with missing values filled
    if arr.dtype.kind not in "iu":
        raise TypeError(f"outline must be integer palette indices (-1 for no outline), got "
                        f"dtype {arr.dtype}; e.g. pandas codes: series.cat.codes.to_numpy()")
    _check_length("outline", arr, n)
    arr = arr.astype(np.int64)
    if arr.size and (arr.min() < -1 or arr.max() >= len(colors)):
        bad = int(arr.min()) if arr.min() < -1 else int(arr.max())
        raise ValueError(f"outline code {bad} is outside -1..{len(colors) - 1}: each code must "
                         f"index outline_palette ({len(colors)} colours) or be -1 for none")
    dtype = np.int8 if len(colors) <= 127 else np.int16
    header, buf = codecs.to_wire_array(arr.astype(dtype))
    header.update(palette=colors)
    return Channel("outline", header, [buf])
