"""Previews of single items (text snippets, image thumbnails), rendered on demand.

Previews are made when a point is hovered or selected, never shipped up front, so a
million-row frame costs nothing until someone looks at a row.
"""
from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import numpy as np

THUMB_PX = 96


def _to_pil(value: Any):  # -> PIL.Image.Image
    from PIL import Image

    if isinstance(value, Image.Image):
        return value
    if isinstance(value, (str, Path)):
        with Image.open(value) as img:
            img.load()
            return img.copy()
    arr = np.asarray(value)
    if arr.dtype == object or arr.ndim not in (2, 3):
        raise ValueError(f"cannot read an image from an array of shape {arr.shape}")
    if arr.dtype != np.uint8:
        lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
        arr = np.zeros(arr.shape, np.uint8) if hi <= lo else ((arr - lo) / (hi - lo) * 255)
        arr = np.nan_to_num(arr).astype(np.uint8)
    return Image.fromarray(arr)


def image_data_uri(value: Any, *, size: int = THUMB_PX) -> str:
    """A PNG ``data:`` URI thumbnail; small images are scaled up with crisp pixels."""
    from PIL import Image

    img = _to_pil(value)
    if img.mode not in ("RGB", "RGBA", "L"):
        img = img.convert("RGB")
    scale = size / max(img.size)
    resample = Image.Resampling.NEAREST if scale > 1 else Image.Resampling.LANCZOS
    img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))), resample)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def shortened(text: str, limit: int = 24) -> str:
    """``text`` cut to ``limit`` characters with '…' (plain text: chips, chart ticks)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def snippet(text: str, *, limit: int = 280) -> str:
    """``text`` with its white space collapsed, cut at ``limit`` characters on a word
    boundary. Plain text: the browser shows it with ``textContent``, never as HTML."""
    text = " ".join(str(text).split())
    if len(text) > limit:
        cut = text[:limit].rsplit(" ", 1)[0]
        text = cut + " …"
    return text
