"""Data that ships with the installation (no downloads): digits and real docstrings.

- ``digits_frame()``: scikit-learn's 1,797 8x8 handwritten digits as a DataFrame with the
  image, the true digit and the 64 pixel values as an embedding.
- ``docstrings_frame()``: real English text — the public docstrings of installed scientific
  Python packages, labelled by package and sub-module.
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import warnings

import numpy as np
import pandas as pd

DOC_PACKAGES = ("numpy", "scipy", "sklearn", "pandas")


def digits_frame() -> pd.DataFrame:
    """Columns: ``image`` (8x8 uint8 array), ``digit`` (true class), ``pixels`` (64 floats)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    images = (d.images * (255.0 / 16.0)).astype(np.uint8)
    return pd.DataFrame({
        "image": list(images),
        "digit": d.target.astype(int),
        "pixels": list(d.data.astype(np.float32)),
    })


def _first_paragraph(doc: str, limit: int = 400) -> str:
    para = inspect.cleandoc(doc).split("\n\n", 1)[0]
    return " ".join(para.split())[:limit]


def _walk(package: str, max_modules: int):
    root = importlib.import_module(package)
    yield root
    names = [m.name for m in pkgutil.walk_packages(root.__path__, prefix=package + ".")
             if not any(p.startswith("_") or p in ("tests", "testing", "conftest")
                        for p in m.name.split(".")[1:])]
    for name in names[:max_modules]:
        try:
            # importing every sub-module wakes deprecation notices (sklearn's
            # enable_hist_gradient_boosting printed one in red over the text example)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                module = importlib.import_module(name)
        except Exception:  # optional sub-modules may need extras that are not installed
            continue
        yield module


def docstrings_frame(
    packages: tuple[str, ...] = DOC_PACKAGES, *, per_package: int = 600, min_chars: int = 40,
    max_modules: int = 200,
) -> pd.DataFrame:
    """Public function/class docstrings: columns ``text``, ``name``, ``package``, ``module``.

    Deterministic for a given set of installed versions; duplicates are dropped.
    """
    rows: list[dict[str, str]] = []
    for package in packages:
        seen: set[str] = set()
        count = 0
        for module in _walk(package, max_modules):
            for attr, obj in sorted(vars(module).items()):
                if count >= per_package:
                    break
                if attr.startswith("_") or not (inspect.isfunction(obj) or inspect.isclass(obj)):
                    continue
                if not getattr(obj, "__module__", "").startswith(package):
                    continue
                doc = inspect.getdoc(obj)
                if not doc:
                    continue
                text = _first_paragraph(doc)
                if len(text) < min_chars or text in seen:
                    continue
                seen.add(text)
                count += 1
                parts = obj.__module__.split(".")
                rows.append({"text": text, "name": f"{obj.__module__}.{attr}", "package": package,
                             "module": ".".join(parts[:2])})
    return pd.DataFrame(rows)
