"""The last round kept beside the label file, so a restarted kernel shows it again.

The label file holds the labels; ``<label file>.last-round.npz`` holds what the last
retrain showed: its predictions (the per-point class distribution and novelty) and the map
they were shown on. The model itself is not kept: loading a pickled model would run code
from a file, and the predictions and the map are what a person comes back to.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .predicting import ShownRound

#: Bumped when the file's fields change; an older file is ignored (the next retrain
#: writes a new one).
FORMAT = 1


def round_path(label_file: str | os.PathLike[str]) -> Path:
    """Where the last round of ``label_file`` is kept."""
    path = Path(label_file).expanduser()
    return path.with_name(path.name + ".last-round.npz")


def data_digest(ids: Any, X: np.ndarray) -> str:
    """Which data a round belongs to: the row ids and a sample of the embedding's rows (a
    re-embedded dataset with the same ids gives another map)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(pd.util.hash_pandas_object(pd.Index(ids), index=False).to_numpy().tobytes())
    step = max(1, X.shape[0] // 256)
    h.update(np.asarray(X.shape, dtype=np.int64).tobytes())
    h.update(np.ascontiguousarray(X[::step], dtype=np.float32).tobytes())
    return h.hexdigest()


def save_round(label_file: str, shown: ShownRound, xy: np.ndarray, digest: str) -> None:
    """Write the round atomically (a crash mid-write leaves the previous round whole)."""
    target = round_path(label_file)
    fd, tmp = tempfile.mkstemp(prefix=target.name, suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, format=np.int64(FORMAT), data=np.str_(digest),
                     number=np.int64(shown.number),
                     label_ids=np.asarray(shown.label_ids, dtype=np.int64),
                     names=np.asarray(shown.names, dtype=np.str_),
                     classes=shown.classes, proba=shown.proba, novelty=shown.novelty,
                     learned_from=np.str_(shown.learned_from),
                     xy=np.asarray(xy, dtype=np.float32))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_round(label_file: str, digest: str, n: int) -> tuple[ShownRound, np.ndarray] | None:
    """The round kept for ``label_file`` and its map, when it belongs to this data (same
    ``digest`` and ``n`` rows); None when there is none or it belongs to other data. A file
    that cannot be read is reported and ignored: the labels themselves are in the label
    file."""
    path = round_path(label_file)
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as f:
            if int(f["format"]) != FORMAT or str(f["data"]) != digest:
                return None
            xy = np.asarray(f["xy"], dtype=np.float32)
            shown = ShownRound(number=int(f["number"]),
                               label_ids=[int(i) for i in f["label_ids"]],
                               names=[str(s) for s in f["names"]],
                               classes=np.asarray(f["classes"], dtype=np.int64),
                               proba=np.asarray(f["proba"], dtype=np.float32),
                               novelty=np.asarray(f["novelty"], dtype=np.float32),
                               learned_from=str(f["learned_from"]))
    except Exception as exc:
        warnings.warn(f"The last round kept in {path} could not be read ({exc}); the map "
                      "starts without predictions until the next retrain (labels are safe).",
                      RuntimeWarning, stacklevel=3)
        return None
    if xy.shape != (n, 2) or shown.proba.shape[0] != n or shown.novelty.shape != (n,):
        return None
    return shown, xy
