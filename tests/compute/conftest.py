"""Compute tests write their cache entries to a temporary folder, never the user's cache."""
from __future__ import annotations

from pathlib import Path

import pytest

from embedviz import cache


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "embedviz-cache"
    monkeypatch.setenv("EMBEDVIZ_CACHE_DIR", str(folder))
    monkeypatch.delenv("EMBEDVIZ_CACHE", raising=False)
    cache.set_cache_dir(None)
    return folder
