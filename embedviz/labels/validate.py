"""Validation of label names (point indices: :func:`embedviz.common.as_positions`)."""
from __future__ import annotations

import unicodedata
from typing import Any

from embedviz.common import brief


def check_name(name: Any) -> str:
    """A valid label name, NFC-normalised; raises for non-strings and blank names."""
    if not isinstance(name, str):
        shown = brief(name)
        raise TypeError(f"label names are strings, got {type(name).__name__} {shown}; pass str({shown})")
    if not name.strip():
        raise ValueError(f"label names cannot be empty or only whitespace, got {brief(name)}")
    if name != name.strip():
        raise ValueError(f"label names cannot start or end with whitespace; did you mean {brief(name.strip())}?")
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        raise ValueError(f"label names cannot contain control characters, got {brief(name)}")
    return unicodedata.normalize("NFC", name)
