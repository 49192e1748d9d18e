"""What "colour by" means: labels, clusters, predictions, confidence or any data column.

Pure functions from arrays to a ``ColourSpec`` the Scatter understands; no store or model
objects are imported here.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..colors import MISSING_COLOR, categorical_palette
from ..learn.retrain import NOVELTY_THRESHOLD

BUILTIN = ("label", "prediction", "confidence", "cluster")
MAX_CATEGORIES = 40
NOVEL_COLOR = "#9a9a9a"


@dataclass(frozen=True)
class ColourSpec:
    """Per-point values plus, for categorical colouring, names and colours per code."""

    values: np.ndarray
    categories: list[str] | None = None
    palette: list[str] | None = None


def colour_options(frame: pd.DataFrame) -> list[str]:
    """The colour-by choices: the built-ins, then columns that colour well."""
    cols = []
    for name in frame.columns:
        s = frame[name]
        try:
            hash(tuple(s.head(3)))
        except TypeError:  # lists / arrays per row (e.g. an embedding or image column)
            continue
        if pd.api.types.is_numeric_dtype(s) or s.nunique(dropna=True) <= MAX_CATEGORIES:
            cols.append(str(name))
    return list(BUILTIN) + [c for c in cols if c not in BUILTIN]


def _with_unlabelled(codes: np.ndarray, names: list[str], colors: list[str], none: str,
                     *, always: bool = True, none_color: str = MISSING_COLOR) -> ColourSpec:
    """Codes with -1 mapped to an extra category ``none`` in ``none_color`` (only if used,
    unless ``always``)."""
    if not always and not (codes < 0).any():
        return ColourSpec(codes.astype(np.int32), list(names), list(colors))
    values = np.where(codes >= 0, codes, len(names)).astype(np.int32)
    return ColourSpec(values, list(names) + [none], list(colors) + [none_color])


def _predicted_only(codes: np.ndarray, names: list[str]) -> tuple[np.ndarray, list[str]]:
    """Keep the legend to labels some point is predicted as (a label with no points, or
    one whose points all went grey, is not listed)."""
    used = np.unique(codes[codes >= 0])
    remap = np.full(len(names), -1, dtype=np.int32)
    remap[used] = np.arange(used.size, dtype=np.int32)
    return np.where(codes >= 0, remap[np.maximum(codes, 0)], -1), [names[i] for i in used]


def colour_spec(
    mode: str,
    frame: pd.DataFrame,
    *,
    label_codes: np.ndarray,
    label_names: list[str],
    label_colors: dict[str, str],
    clusters: np.ndarray,
    pred_codes: np.ndarray | None = None,
    pred_names: list[str] | None = None,
    confidence: np.ndarray | None = None,
    novelty: np.ndarray | None = None,
    novel_at: float = NOVELTY_THRESHOLD,
) -> ColourSpec:
    """The colours for ``mode``; prediction/confidence fall back to labels before a retrain.
    Points with ``novelty`` at or above ``novel_at`` (the model's ``novelty_threshold``)
    show grey: no label fits them."""
    if mode in ("prediction", "confidence") and pred_codes is None:
        mode = "label"
    if mode == "label":
        return _with_unlabelled(np.asarray(label_codes), label_names,
                                [label_colors[n] for n in label_names], "unlabelled")
    if mode == "prediction":
        names = list(pred_names or [])
        codes = np.asarray(pred_codes, dtype=np.int32)
        if novelty is not None:   # points of classes nobody labelled get their own grey
            codes = np.where(np.asarray(novelty) >= novel_at, -1, codes)
        codes, names = _predicted_only(codes, names)
        return _with_unlabelled(codes, names, [label_colors.get(n, "#888888") for n in names],
                                "novel: no label fits", none_color=NOVEL_COLOR)
    if mode == "confidence":
        return ColourSpec(np.asarray(confidence, dtype=np.float32))
    if mode == "cluster":
        c = np.asarray(clusters)
        k = int(c.max()) + 1 if c.size and c.max() >= 0 else 0
        return _with_unlabelled(c, [f"cluster {i}" for i in range(k)], categorical_palette(k), "noise",
                                always=False)
    if mode not in frame.columns:
        raise KeyError(f"Unknown colour {mode!r}; choose one of {colour_options(frame)}.")
    s = frame[mode]
    if pd.api.types.is_float_dtype(s) and s.nunique() > MAX_CATEGORIES:
        return ColourSpec(s.to_numpy(dtype=np.float32))
    cat = pd.Categorical(s.astype("object").where(s.notna(), None))
    names = [str(v) for v in cat.categories]
    return _with_unlabelled(np.asarray(cat.codes), names, categorical_palette(len(names)), "missing",
                            always=False)
