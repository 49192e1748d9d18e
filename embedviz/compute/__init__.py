"""Compute steps: embed -> knn (shared graph) -> reduce -> cluster; numpy/torch only, never widgets.

Public entry points are re-exported lazily from :mod:`embedviz` (``embedviz.embed``,
``embedviz.knn``, ``embedviz.KNNGraph``, ``embedviz.reduce``, ``embedviz.cluster``).
"""
