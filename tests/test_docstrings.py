"""Every public name has a numpydoc docstring a user can read (checked with numpydoc itself).

Public means: each name in ``embedviz.__all__`` (for an instance such as ``config``, its
class), and the public methods and properties of the public classes (inherited from
embedviz base classes too). Top-level names need a
summary, every parameter described, a Returns section (functions) and an Examples section;
methods need a summary and their parameters; properties a summary.
"""
from __future__ import annotations

import inspect

import pytest
from numpydoc.validate import validate

import embedviz

# numpydoc's codes: GL08 no docstring, SS01 no summary, PR01 a parameter not documented,
# PR02 a documented parameter that does not exist, RT01 no Returns, EX01 no Examples.
TOP_LEVEL = {"GL08", "SS01", "PR01", "PR02", "RT01", "EX01"}
METHOD = {"GL08", "SS01", "PR01", "PR02"}
PROPERTY = {"GL08", "SS01"}


def _public() -> list[tuple[str, set[str]]]:
    names: list[tuple[str, set[str]]] = []
    for name in embedviz.__all__:
        if name.startswith("_"):
            continue
        obj = getattr(embedviz, name)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            obj = type(obj)  # a public instance (embedviz.config): its class documents it
        path = f"{obj.__module__}.{obj.__qualname__}"
        if inspect.isclass(obj):
            names.append((path, TOP_LEVEL - {"RT01"}))
            seen: set[str] = set()
            for owner in obj.__mro__:  # members inherited from embedviz's own base classes too
                if not owner.__module__.startswith("embedviz"):
                    continue
                where = f"{owner.__module__}.{owner.__qualname__}"
                for attr, value in vars(owner).items():
                    if attr.startswith("_") or attr in seen:
                        continue
                    seen.add(attr)
                    if isinstance(value, property):
                        names.append((f"{where}.{attr}", PROPERTY))
                    elif inspect.isfunction(value) or isinstance(value, (classmethod,
                                                                         staticmethod)):
                        names.append((f"{where}.{attr}", METHOD))
        elif callable(obj):
            names.append((path, TOP_LEVEL))
    return names


PUBLIC = _public()


def test_public_names_are_found() -> None:
    assert {p.rsplit(".", 1)[-1] for p, _ in PUBLIC} >= {"Explorer", "Scatter", "Retrainer", "knn"}


@pytest.mark.parametrize(("path", "codes"), PUBLIC, ids=[p for p, _ in PUBLIC])
def test_numpydoc(path: str, codes: set[str]) -> None:
    errors = [f"{code}: {message}" for code, message in validate(path)["errors"] if code in codes]
    assert not errors, f"{path}:\n  " + "\n  ".join(errors)
