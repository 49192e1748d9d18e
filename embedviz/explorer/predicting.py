"""What a retrain hands back: its result, and predictions as the map shows them (label missing
where no label fits), in values the front end can take."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ..learn.retrain import Retrainer


@dataclass(frozen=True)
class RetrainResult:
    """What one retrain did: its ``round``, how long it took (``seconds``), how many points
    each label now predicts (``counts``, by label name) and how many no label fits
    (``no_label``: the map's grey points)."""

    round: int
    seconds: float
    counts: dict[str, int]
    no_label: int

    def __repr__(self) -> str:
        labels = ", ".join(f"{name}: {n:,}" for name, n in self.counts.items())
        return (f"RetrainResult(round {self.round}, {self.seconds:.1f} s; {labels}; "
                f"no label fits {self.no_label:,})")


def prediction_frame(model: Retrainer, names: list[str], index: pd.Index,
                     label: np.ndarray, novelty: np.ndarray, proba: np.ndarray) -> pd.DataFrame:
    """Predictions as the map shows them.

    Parameters
    ----------
    model : Retrainer
        The fitted model (its ``classes_`` are positions into ``names``).
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
    nearest = name_of[np.asarray(model.classes_)[proba.argmax(axis=1)]]
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
