"""The Explorer: the whole loop in one cell — map, lasso, label, retrain, the map updates.

This package is the only place that wires the four sides together: compute (embed / knn /
reduce / cluster), the LabelStore, the Retrainer and the widgets. Each side stays usable
alone. ``core``: the Explorer and its public API; ``label_file``: opening the label file
for this data; ``actions``: what the label bar, keys and buttons do; ``retraining``: the
background retrain and the map update.
"""
from .core import Explorer

__all__ = ["Explorer"]
