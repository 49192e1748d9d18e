"""Does a label file belong to these rows, in this order? A sampled content signature.

Point ids catch most mismatches, but positional ids (0..n-1) cannot tell a sorted, shuffled
or filtered frame from the one the labels were made for: its labels would land on other
rows. The signature samples up to ``SAMPLE`` evenly spaced rows among the first ``n`` (the
rows the file knows; rows appended later do not change it) and records what identifies
each: a hash of its text (or image) cell, else a 4-number sketch of its embedding, compared
with a tolerance. Columns added, dropped or retyped, recomputed embeddings (float16 noise)
and a few edited rows still match; a reordered or filtered frame does not.
"""
from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd

PREFIX = "rows-v2"
SAMPLE = 64
#: Share of sampled rows that must agree: edits to a few rows pass, a new order does not.
AGREE = 0.5
#: Embedding sketches: projections on a few fixed random unit directions of the unit-norm
#: row, equal within SKETCH_TOLERANCE. Float16 noise moves them by about 1e-3; two different
#: rows of a 384-d MiniLM embedding differ by about 0.05-0.3 in each.
SKETCH_DIMS, SKETCH_TOLERANCE = 4, 0.02


def row_signature(cells: pd.Series | None, embedding: np.ndarray | None, n: int) -> str | None:
    """A signature of the first ``n`` rows from their identifying ``cells`` (texts, image
    paths or arrays) or else their ``embedding``; None when there is neither."""
    rows = np.unique(np.linspace(0, n - 1, min(SAMPLE, n)).astype(np.int64))
    if cells is not None:
        payload = ",".join(_cell_hash(cells.iat[int(i)]) for i in rows)
        return f"{PREFIX}:{n}:h:{payload}"
    if embedding is not None:
        sketch = _sketch(np.asarray(embedding[rows], dtype=np.float64))
        return f"{PREFIX}:{n}:s:" + ",".join(f"{v:.4f}" for v in sketch.ravel())
    return None


def signature_agrees(stored: str, cells: pd.Series | None,
                     embedding: np.ndarray | None) -> bool | None:
    """Whether the rows are the ones ``stored`` was made from; None when there is nothing to
    compare (not a signature of this kind, or fewer rows than it covers: the ids check
    reports that itself)."""
    parts = stored.split(":")
    if len(parts) != 4 or parts[0] != PREFIX or not parts[1].isdigit():
        return None
    n, kind, payload = int(parts[1]), parts[2], parts[3]
    size = len(cells) if cells is not None else (len(embedding) if embedding is not None else 0)
    if not 0 < n <= size:
        return None
    current = row_signature(cells if kind == "h" else None,
                            embedding if kind == "s" else None, n)
    if current is None:
        return None
    old, new = payload.split(","), current.split(":")[3].split(",")
    if len(old) != len(new):
        return None
    if kind == "h":
        same = np.array([a == b for a, b in zip(old, new)])
    else:
        diff = np.abs(np.array(old, float) - np.array(new, float)).reshape(-1, SKETCH_DIMS)
        same = (diff <= SKETCH_TOLERANCE).all(axis=1)
    return float(same.mean()) >= AGREE


def _cell_hash(value: Any) -> str:
    raw = np.asarray(value).tobytes() if isinstance(value, np.ndarray) else str(value).encode()
    return hashlib.blake2b(raw, digest_size=6).hexdigest()


def _sketch(rows: np.ndarray) -> np.ndarray:
    """(m, SKETCH_DIMS): unit-norm rows projected on fixed random unit directions."""
    unit = rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
    directions = np.random.default_rng(0).normal(size=(rows.shape[1], SKETCH_DIMS))
    directions /= np.linalg.norm(directions, axis=0, keepdims=True)
    return unit @ directions
