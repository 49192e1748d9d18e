"""Does a label file belong to these rows, in this order? A sampled content signature.

Point ids catch most mismatches, but positional ids (a default RangeIndex) cannot tell a
sorted, shuffled or filtered frame from the one the labels were made for: its labels would
land on other rows. The signature hashes up to ``SAMPLE`` evenly spaced rows among the first
``n`` (the rows the file knows; rows appended later do not change it). A few edited rows still
match; a reordered or filtered frame does not.
"""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

PREFIX = "rows-v1"
SAMPLE = 64
#: Share of sampled rows that must hash alike: edits to a few rows pass, a new order does not.
AGREE = 0.5


def is_positional(index: pd.Index) -> bool:
    """The default index (0, 1, ..., n - 1): ids are row positions."""
    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1


def row_signature(frame: pd.DataFrame, embedding: np.ndarray | None, n: int) -> str | None:
    """A signature of the first ``n`` rows (None when no column can be hashed)."""
    rows = np.unique(np.linspace(0, n - 1, min(SAMPLE, n)).astype(np.int64))
    hashes = _row_hashes(frame, embedding, rows)
    if hashes is None:
        return None
    return f"{PREFIX}:{n}:" + ",".join(f"{h:016x}" for h in hashes)


def signature_agrees(stored: str, frame: pd.DataFrame, embedding: np.ndarray | None
                     ) -> bool | None:
    """Whether ``frame`` has the rows ``stored`` was made from; None when there is nothing to
    compare (``stored`` is not a row signature, or the frame is shorter, which the ids
    check reports itself)."""
    parts = stored.split(":")
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1].isdigit():
        return None
    n = int(parts[1])
    current = row_signature(frame, embedding, n) if 0 < n <= len(frame) else None
    if current is None:
        return None
    old, new = parts[2].split(","), current.split(":")[2].split(",")
    if len(old) != len(new):
        return None
    return float(np.mean([a == b for a, b in zip(old, new)])) >= AGREE


def _row_hashes(frame: pd.DataFrame, embedding: np.ndarray | None,
                rows: np.ndarray) -> np.ndarray | None:
    """One uint64 per row from its scalar cells and its embedding rounded to 2 decimals
    (recomputed embeddings differ in the last bits); per-row vectors are skipped."""
    scalar = [c for c in frame.columns if _scalar_column(frame[c])]
    parts = []
    if scalar:
        parts.append(pd.util.hash_pandas_object(frame.iloc[rows][scalar], index=False)
                     .to_numpy(np.uint64))
    if embedding is not None:
        rounded = np.round(np.asarray(embedding[rows], np.float32), 2) + np.float32(0.0)
        parts.append(np.array([int.from_bytes(hashlib.blake2b(r.tobytes(), digest_size=8)
                                              .digest(), "little") for r in rounded],
                              dtype=np.uint64))
    if not parts:
        return None
    out = parts[0]
    for p in parts[1:]:
        out = out ^ p
    return out


def _scalar_column(column: pd.Series) -> bool:
    try:
        hash(tuple(column.head(3)))
    except TypeError:  # lists or arrays per row (an embedding or image column)
        return False
    return True
