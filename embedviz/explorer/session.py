"""What an Explorer's collaborators share, in one object with public, documented fields.

The Explorer makes one :class:`Session` and hands it to :class:`LabelActions`,
:class:`Retraining` and :class:`Meaning` together with the few callbacks each needs; none
of them reads the Explorer's private attributes.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(eq=False)
class Session:
    """The data, the computed structures, the settings and the mutable view state of one
    Explorer.

    Attributes
    ----------
    data : ExplorerData
        The rows, their ids and the columns named at construction.
    X : ndarray of shape (n, d)
        The embedding.
    graph : KNNGraph
        The shared neighbour graph of ``X``.
    store : LabelStore
        The label file.
    device : str
        The device every step asks for.
    random_state : int or None
        Seed of the map and every retrain.
    encoder : object or None
        The model that embeds new rows as ``X`` was (``predict``).
    embedding_column : str or None
        The column of vectors ``X`` came from, if any.
    map_from_umap : bool
        Whether ``xy`` is a UMAP layout (a retrain's map then starts from it at its scale).
    xy : ndarray of shape (n, 2)
        The map on screen; a retrain replaces it.
    lock : RLock
        Taken by every update of the map, its colours and the label views, so the worker
        showing a retrain and the user's actions never interleave.
    replaced : bool
        A newer Explorer took the label file over: this one only says so.
    active : str or None
        The label Assign gives (the outlined chip).
    preview : list of str
        The columns shown beside each point's text or image (``preview=``).
    view : ExplorerView
        What the widget shows (set once the widget is built).
    scatter : Scatter
        The map widget (set once the widget is built).
    """

    data: Any
    X: np.ndarray
    graph: Any
    store: Any
    device: str
    random_state: int | None
    encoder: Any
    embedding_column: str | None
    map_from_umap: bool
    xy: np.ndarray
    lock: threading.RLock = field(default_factory=threading.RLock)
    replaced: bool = False
    active: str | None = None
    preview: list[str] = field(default_factory=list)
    view: Any = None
    scatter: Any = None
