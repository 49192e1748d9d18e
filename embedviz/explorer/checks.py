"""Checks of what the Explorer is given that need no compute: they run first, so a bad
argument fails before any embedding, neighbour search or map."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..widget.colouring import colour_options


def check_color_by(color_by: str | None, frame: pd.DataFrame) -> None:
    """Refuse a ``color_by`` that is not a colouring of ``frame``, naming the choices."""
    options = colour_options(frame)
    if color_by is not None and color_by not in options:
        raise ValueError(f"color_by={color_by!r} is not a colouring of this data; pass one of "
                         f"{options} (columns with many distinct text values do not colour).")


def check_precomputed(xy: Any, graph: Any, n: int) -> tuple[np.ndarray | None, Any]:
    """A map and a neighbour graph given to the Explorer, checked against the data's rows."""
    from ..compute.knn_graph import KNNGraph

    if graph is not None:
        if not isinstance(graph, KNNGraph):
            raise TypeError(f"knn= takes the KNNGraph of embedviz.knn(embedding, k=...), got "
                            f"{type(graph).__name__}.")
        if graph.n != n:
            raise ValueError(f"knn= is a graph of {graph.n:,} rows but the data has {n:,}; "
                             "compute it on this data's embedding, in the same row order.")
    if xy is None:
        return None, graph
    arr = np.asarray(xy, dtype=np.float32)
    if arr.shape != (n, 2):
        raise ValueError(f"xy= must hold one (x, y) row per data row, shape ({n:,}, 2); got "
                         f"{arr.shape}.")
    bad = np.flatnonzero(~np.isfinite(arr).all(axis=1))
    if bad.size:
        raise ValueError(f"xy= has NaN or inf at rows {bad[:5].tolist()}"
                         f"{' …' if bad.size > 5 else ''}; give every row a finite position.")
    return np.ascontiguousarray(arr), graph
