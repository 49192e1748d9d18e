"""Each example notebook opens in JupyterLab, runs top to bottom and draws its map.

The screenshots land in .tmp/shots/example_<name>.png, to be looked at by a person.
"""
from __future__ import annotations

import io

import numpy as np
import pytest

from tests.e2e.conftest import REPO, LabServer, new_page
from tests.e2e.lab import open_notebook, run_all

pytestmark = pytest.mark.browser

SHOTS = REPO / ".tmp" / "shots"
EXAMPLES = sorted(p.name for p in (REPO / "examples").glob("*.ipynb"))


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_renders_in_jupyterlab(browser, lab_server: LabServer, name: str) -> None:  # noqa: ANN001
    from PIL import Image

    page = new_page(browser, width=1400, height=1000)
    open_notebook(page, lab_server.url, lab_server.add_notebook(REPO / "examples" / name))
    run_all(page, timeout_ms=420_000)
    scatter = page.locator(".embedviz-scatter").first
    page.wait_for_selector('.embedviz-scatter[data-ready="1"]', timeout=60_000)
    scatter.scroll_into_view_if_needed()
    page.mouse.move(0, 0)
    page.wait_for_timeout(500)
    canvas = np.asarray(Image.open(io.BytesIO(scatter.locator("canvas.ev-canvas").screenshot())).convert("L"))
    assert canvas.std() > 5, "the map looks blank"
    target = page.locator(".ev-explorer").first if page.locator(".ev-explorer").count() else scatter
    SHOTS.mkdir(parents=True, exist_ok=True)
    target.screenshot(path=str(SHOTS / f"example_{name.removesuffix('.ipynb')}.png"))
    assert not page.errors, page.errors
    page.close()
