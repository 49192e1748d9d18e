"""The Explorer works in Jupyter Notebook 7 too (same server, the /notebooks/ front end)."""
from __future__ import annotations

import re

import nbformat
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LabServer, new_page

pytestmark = pytest.mark.browser

CELLS = [
    "import numpy as np, embedviz as ev\nfrom embedviz.demo_data import digits_frame\n"
    "digits = digits_frame()\n"
    "ex = ev.Explorer(digits, embedding='pixels', label_file='nb7.embedviz.db', color_by='digit')\nex",
    "ex.selection = np.flatnonzero(digits.digit == 3)\nprint('SELECTED', len(ex.selection))",
]


def _open_and_run_all(browser, lab_server: LabServer, name: str, cells: list[str]):  # noqa: ANN001, ANN202
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, lab_server.notebook_dir / name)
    page = new_page(browser)
    page.goto(f"{lab_server.url}/notebooks/{name}", wait_until="domcontentloaded")
    expect(page.locator(".jp-NotebookPanel .jp-Cell").first).to_be_visible(timeout=90_000)
    page.wait_for_timeout(1500)                     # kernel start
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    return page


# Notebook 7's own shell logs these in headless runs with or without any widget on the page
# (its file browser commands and settings are absent under this server's settings folder).
SHELL_NOISE = re.compile(r"not registered|reading 'schema'|Failed to load resource")


def test_explorer_renders_and_syncs_in_notebook7(browser, lab_server: LabServer) -> None:  # noqa: ANN001
    page = _open_and_run_all(browser, lab_server, "nb7.ipynb", CELLS)
    root = page.locator(".ev-explorer .embedviz-scatter")
    expect(root).to_have_attribute("data-ready", "1", timeout=180_000)
    expect(root).to_have_attribute("data-npoints", "1797")
    expect(page.locator(".jp-RenderedText", has_text="SELECTED")).to_contain_text("SELECTED 183",
                                                                                 timeout=60_000)
    expect(root).to_have_attribute("data-nselected", "183", timeout=15_000)   # Python -> browser
    expect(page.locator(".ev-explorer .ev-label-bar")).to_be_visible()
    assert not [e for e in page.errors if not SHELL_NOISE.search(e)], page.errors
    page.close()
