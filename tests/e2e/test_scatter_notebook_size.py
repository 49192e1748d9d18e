"""Saving a notebook that holds a 1,000,000-point Scatter must not store the points."""
from __future__ import annotations

import json

import nbformat
import pytest

from tests.e2e.conftest import new_page
from tests.e2e.lab import LabServer, open_notebook, run_all, save_notebook

pytestmark = pytest.mark.browser

CELL = """import numpy as np, embedviz
xy = np.random.default_rng(0).normal(size=(1_000_000, 2)).astype(np.float32)
w = embedviz.Scatter(xy, color=(np.abs(xy[:, 0]) * 3).astype(int) % 10, size=np.full(len(xy), 2.0))
w"""


def test_saved_notebook_does_not_grow_with_the_points(browser, lab_server: LabServer) -> None:  # noqa: ANN001
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(CELL)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = lab_server.notebook_dir / "million.ipynb"
    nbformat.write(nb, path)
    page = new_page(browser)
    try:
        open_notebook(page, lab_server.url, path.name)
        run_all(page)
        page.wait_for_selector('.embedviz-scatter[data-ready="1"]', timeout=120_000)
        assert page.get_attribute(".embedviz-scatter", "data-npoints") == "1000000"
        save_notebook(page)
    finally:
        page.close()
    saved = json.loads(path.read_text())
    state = saved["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    scatter = [m for m in state.values() if m["state"].get("_anywidget_id", "").endswith("Scatter")]
    assert len(scatter) == 1, "widget state was not saved, so the test would prove nothing"
    # 1M float32 positions alone are 8 MB (10.7 MB as base64); the saved file holds only
    # the small traits and the JS bundle (~250 kB).
    assert path.stat().st_size < 1_000_000, f"notebook is {path.stat().st_size:,} bytes"
    assert not scatter[0].get("buffers") or all(
        len(b.get("data", "")) < 10_000 for b in scatter[0]["buffers"])
