"""Fixtures for the label-store tests: a fresh store path and a small open store."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from embedviz.labels import LabelStore


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "labels.embedviz.db"


@pytest.fixture
def store(store_path: Path) -> Iterator[LabelStore]:
    with LabelStore(store_path, n=10) as s:
        yield s
