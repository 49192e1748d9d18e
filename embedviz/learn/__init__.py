"""Semi-supervised retraining from lasso labels (scikit-learn style estimators; no widgets)."""
from __future__ import annotations

from embedviz.learn.jobs import Cancelled, FitJob
from embedviz.learn.retrain import Retrainer
from embedviz.learn.suggest import Suggestion
from embedviz.learn.suspects import SuspectGroup

__all__ = ["Retrainer", "FitJob", "Cancelled", "Suggestion", "SuspectGroup"]
