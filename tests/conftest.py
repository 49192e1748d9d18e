"""Shared pytest set-up.

* GPU tests are skipped where CUDA is absent (CI never has one).
* Caches never outlive a test run, and test packages never share one: a cache entry left by
  an earlier run (or by another package's tests) could let a test pass on a stale result.
  Processes the tests start (JupyterLab kernels, nbclient) inherit the run's fresh folder;
  in-process tests get one folder per test package.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

_RUN_CACHE = Path(tempfile.mkdtemp(prefix="embedviz-test-cache-"))
os.environ["EMBEDVIZ_CACHE_DIR"] = str(_RUN_CACHE / "run")
os.environ.pop("EMBEDVIZ_CACHE", None)


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_RUN_CACHE, ignore_errors=True)


@pytest.fixture(autouse=True)
def _package_cache(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point the cache at this test package's own folder (``tests/<package>/``)."""
    from embedviz import cache

    parts = Path(str(request.node.path)).resolve().relative_to(Path(__file__).parent).parts
    package = parts[0] if len(parts) > 1 else "root"
    monkeypatch.setenv("EMBEDVIZ_CACHE_DIR", str(_RUN_CACHE / package))
    cache.set_cache_dir(None)
    yield


def _has_cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


@pytest.fixture(autouse=True)
def _fresh_config():
    """Settings a test assigns to ``embedviz.config`` end with the test."""
    yield
    from embedviz.settings import config

    config.reset()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _has_cuda():
        return
    skip_gpu = pytest.mark.skip(reason="needs CUDA (run on the device machine)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip_gpu)
