"""Two views of one Explorer in JupyterLab (the same ``ex`` shown in two cells): both stay
live and in sync through a lasso and key in one of them, and a retrain."""
from __future__ import annotations

import nbformat
import numpy as np
import pytest

from tests.e2e.conftest import REPO, LabServer, new_page
from tests.e2e.lab import kernel_exec, kernel_json, open_notebook, run_all

pytestmark = pytest.mark.browser

CELLS = [
    "import numpy as np\nimport embedviz as ev\nfrom embedviz.demo_data import digits_frame\n"
    "digits = digits_frame()\n"
    "ex = ev.Explorer(digits, embedding='pixels', image='image', label_file='views.embedviz.db',"
    " color_by='digit', height=360)\nex.label(np.flatnonzero(digits.digit == 1)[:30], 'one')\nex",
    "ex",
]
ROOTS = ".ev-explorer .embedviz-scatter"


def test_two_views_follow_a_label_and_a_retrain(browser, lab_server: LabServer) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                "language": "python"}
    nbformat.write(nb, lab_server.notebook_dir / "views.ipynb")
    for leftover in lab_server.notebook_dir.glob("views.embedviz.db*"):
        leftover.unlink()
    page = new_page(browser, width=1400, height=1000)
    try:
        open_notebook(page, lab_server.url, "views.ipynb")
        run_all(page, timeout_ms=240_000)
        page.wait_for_function(f"() => [...document.querySelectorAll('{ROOTS}')]"
                               ".filter(r => r.dataset.ready === '1').length === 2", timeout=90_000)
        explorers = page.locator(".ev-explorer")
        assert explorers.count() == 2
        second = explorers.nth(1)
        second.scroll_into_view_if_needed()
        # a lasso and a key in the second view
        box = second.locator("canvas.ev-canvas").bounding_box()
        pts = [(0.25, 0.25), (0.75, 0.25), (0.75, 0.75), (0.25, 0.75)]
        page.mouse.move(box["x"] + pts[0][0] * box["width"], box["y"] + pts[0][1] * box["height"])
        page.mouse.down()
        for fx, fy in pts[1:] + pts[:1]:
            page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"], steps=8)
        page.mouse.up()
        page.wait_for_function(f"() => +document.querySelectorAll('{ROOTS}')[1]"
                               ".dataset.nselected > 0", timeout=20_000)
        n_sel = kernel_json(page, "len(ex.selection)")
        assert n_sel > 0
        # the first view shows the selection made in the second
        page.wait_for_function(f"() => document.querySelectorAll('{ROOTS}')[0].dataset.nselected"
                               f" === '{n_sel}'", timeout=20_000)
        page.keyboard.press("1")                         # the second view's map has the focus
        page.wait_for_function(
            "() => [...document.querySelectorAll('.ev-explorer')].every(e =>"
            " [...e.querySelectorAll('.ev-chip')].some(c => c.innerText.startsWith('1 · one (')"
            " && !c.innerText.includes('(30)')))", timeout=20_000)
        assert kernel_json(page, "int((ex.labels == 'one').sum())") > 30
        kernel_exec(page, "ex.label(np.flatnonzero(digits.digit == 0)[:40], 'zero')")
        page.wait_for_function("() => [...document.querySelectorAll('.ev-explorer')]"
                               ".every(e => e.querySelector('.ev-chips').innerText"
                               ".includes('zero (40)'))",
                               timeout=20_000)
        # Retrain from the first view: both views show the round and a new map
        before = [int(r.get_attribute("data-draws")) for r in page.locator(ROOTS).all()]
        explorers.nth(0).locator(".ev-controls button:has-text('Retrain')").click()
        page.wait_for_function("() => [...document.querySelectorAll('.ev-explorer .ev-statusline')]"
                               ".every(s => s.innerText.includes('Round 1'))", timeout=240_000)
        page.wait_for_function(
            f"(before) => [...document.querySelectorAll('{ROOTS}')]"
            ".every((r, i) => +r.dataset.draws > before[i])",
            arg=before, timeout=30_000)
        assert kernel_json(page, "ex.view.color_by") != "prediction"  # the user's colouring
        selects = page.locator(".ev-explorer .ev-controls select")
        offers = page.locator(".ev-explorer .ev-statusrow .ev-offer")
        page.wait_for_function("() => [...document.querySelectorAll('.ev-explorer .ev-offer')]"
                               ".every(b => !b.hidden && b.innerText === 'Colour by prediction"
                               " (C)')", timeout=20_000)       # both views offer the predictions
        offers.nth(0).click()                                    # one view takes the offer...
        page.wait_for_function("() => [...document.querySelectorAll('.ev-explorer .ev-controls"
                               " select')].every(s => s.value === 'prediction')",
                               timeout=20_000)                   # ...and both show it
        page.wait_for_function("() => [...document.querySelectorAll('.ev-explorer .ev-offer')]"
                               ".every(b => b.hidden)", timeout=20_000)  # taken: the offer goes
        assert [selects.nth(i).input_value() for i in range(2)] == ["prediction", "prediction"]
        page.screenshot(path=str(REPO / "tests" / "artifacts" / "explorer_two_views.png"))
        assert np.isfinite(kernel_json(page, "float(ex.predictions.confidence.mean())"))
        assert not [e for e in page.errors if "favicon" not in e], page.errors
    finally:
        page.close()
