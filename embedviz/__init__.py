"""embedviz: explore embeddings in notebooks — compute, map, lasso-label, retrain inline.

Public names are imported lazily so that ``import embedviz`` stays fast and does not
import torch until a compute or learning function is used.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_PUBLIC = {
    "Scatter": "embedviz.widget.scatter",
    "embed": "embedviz.compute.embed",
    "knn": "embedviz.compute.knn",
    "KNNGraph": "embedviz.compute.knn",
    "reduce": "embedviz.compute.reduce",
    "cluster": "embedviz.compute.cluster",
    "regions": "embedviz.compute.regions",
    "search": "embedviz.compute.search",
    "LabelStore": "embedviz.labels.store",
    "Retrainer": "embedviz.learn.retrain",
    "Explorer": "embedviz.explorer",
    "config": "embedviz.settings",
    "cache_info": "embedviz.cache",
    "clear_cache": "embedviz.cache",
}

__all__ = sorted(_PUBLIC) + ["__version__"]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'embedviz' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
