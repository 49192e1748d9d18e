"""What a retrain hands back: its result, and predictions as the map shows them (label missing
where no label fits), in values the front end can take."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ..compute.relayout import Displacement
    from ..learn.retrain import Retrainer


@dataclass(frozen=True)
class RetrainResult:
    """What one retrain did.

    Attributes
    ----------
    round : int
        The round's number (1 for the first retrain of this label file's labels).
    seconds : float
        From the start to the new map on screen.
    counts : dict of str to int
        How many points each label now predicts, by label name.
    no_label : int
        How many points no label fits (the map's grey points).
    seconds_to_predictions : float or None
        From the start to the predictions shown (the map follows them).
    layout : str
        How the map followed: "align", "keep" or "free" (see ``Explorer.retrain``).
    displacement : Displacement or None
        How far points moved on the map (None when the map update was cancelled).
    """

    round: int
    seconds: float
    counts: dict[str, int]
    no_label: int
    seconds_to_predictions: float | None = None
    layout: str = "align"
    displacement: Displacement | None = None

    def __repr__(self) -> str:
        labels = ", ".join(f"{name}: {n:,}" for name, n in self.counts.items())
        moved = "" if self.displacement is None else f"; points moved {self.displacement}"
        return (f"RetrainResult(round {self.round}, {self.seconds:.1f} s; {labels}; "
                f"no label fits {self.no_label:,}{moved})")


def labels_digest(label_ids: np.ndarray) -> str:
    """A short digest of which label (by stable id, -1 for none) each point has: two label
    states with the same digest taught a model the same thing."""
    ids = np.ascontiguousarray(np.asarray(label_ids, dtype=np.int64))
    return hashlib.blake2b(ids.tobytes(), digest_size=16).hexdigest()


@dataclass(eq=False)
class ShownRound:
    """The predictions on the map: of a model fitted in this session, or of the last round
    restored from the label file (then ``model`` is None).

    Attributes
    ----------
    number : int
        The round.
    label_ids, names : list
        The labels it learnt (stable ids, and their names then); ``classes`` index them.
    classes : ndarray of int
        The model's classes, as positions into ``names``.
    proba : ndarray of shape (n, n_classes)
        The distribution over ``classes`` per point.
    novelty : ndarray of shape (n,)
        P(no label fits) per point.
    learned_from : str
        :func:`labels_digest` of the labels it learnt from (stale once they differ).
    model : Retrainer or None
        The fitted model, when fitted in this session.
    """

    number: int
    label_ids: list[int]
    names: list[str]
    classes: np.ndarray
    proba: np.ndarray
    novelty: np.ndarray
    learned_from: str
    model: Any = None
    result: RetrainResult | None = None
    _nearest: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def of_model(cls, number: int, label_ids: list[int], names: list[str], learned_from: str,
                 model: Retrainer) -> ShownRound:
        """The round a freshly fitted ``model`` shows."""
        return cls(number=number, label_ids=list(label_ids), names=list(names),
                   classes=np.asarray(model.classes_, dtype=np.int64),
                   proba=np.asarray(model.label_distributions_, dtype=np.float32),
                   novelty=np.asarray(model.novelty_, dtype=np.float32),
                   learned_from=learned_from, model=model)

    @property
    def nearest(self) -> np.ndarray:
        """The closest label of each point, as a position into ``names``."""
        if self._nearest is None:
            self._nearest = self.classes[self.proba.argmax(axis=1)]
        return self._nearest

    @property
    def confidence(self) -> np.ndarray:
        """P(a label fits and it is ``nearest``) = max proba x (1 - novelty)."""
        return (self.proba.max(axis=1) * (1.0 - self.novelty)).astype(np.float32)

    def label(self, threshold: float) -> np.ndarray:
        """``nearest``, or -1 where novelty reaches ``threshold`` (the map's grey)."""
        return np.where(self.novelty >= threshold, -1, self.nearest).astype(np.int64)


def prediction_frame(model: Any, names: list[str], index: pd.Index,
                     label: np.ndarray, novelty: np.ndarray, proba: np.ndarray) -> pd.DataFrame:
    """Predictions as the map shows them.

    Parameters
    ----------
    model : Retrainer or ShownRound
        What predicted (its ``classes_``, or ``classes``, are positions into ``names``).
    names : list of str
        The label names, by position.
    index : pandas.Index
        The rows' index.
    label : ndarray of int
        Positions into ``names``, -1 where no label fits.
    novelty, proba : ndarray
        P(no label fits) per row, and the distribution over the model's classes.

    Returns
    -------
    DataFrame
        ``label`` (missing where no label fits: the map's grey points), ``nearest`` (the
        closest label all the same), ``confidence`` = P(a label fits and it is ``nearest``)
        = max proba x (1 - novelty), and ``novelty``.
    """
    name_of = np.asarray(names, dtype=object)
    classes = getattr(model, "classes_", None)
    classes = model.classes if classes is None else classes
    nearest = name_of[np.asarray(classes)[proba.argmax(axis=1)]]
    shown = pd.Series(name_of[np.maximum(label, 0)], index=index, dtype=object)
    shown[label < 0] = None
    return pd.DataFrame({"label": shown, "nearest": nearest,
                         "confidence": (proba.max(axis=1) * (1.0 - novelty)).astype(np.float32),
                         "novelty": np.asarray(novelty, dtype=np.float32)}, index=index)


def finite_or_none(value: float) -> float | None:
    """A float the front end can take: JSON has no NaN or inf (a message holding one is
    refused, with a warning in the notebook).

    Parameters
    ----------
    value : float

    Returns
    -------
    float or None
        ``value``, or None when it is NaN or infinite.
    """
    value = float(value)
    return value if np.isfinite(value) else None
