"""The Examples sections of the label store's public names run as written (doctest)."""
from __future__ import annotations

import doctest
import tempfile
from pathlib import Path
from types import ModuleType

import pytest

import embedviz.labels.errors
import embedviz.labels.store


@pytest.mark.parametrize("module", [embedviz.labels.store, embedviz.labels.errors], ids=lambda m: m.__name__)
def test_examples_run(module: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the examples' mkdtemp() lands here
    result = doctest.testmod(module, report=True)
    assert result.attempted > 0, f"{module.__name__} has no examples to run"
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples of {module.__name__} failed"
