"""Browser tests in marimo (``marimo run``, headless chromium): the Scatter's styles reach
the shadow root marimo renders widgets in, and a lasso reaches the kernel."""
from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import REPO, new_page
from tests.e2e.marimo_app import running_marimo, wait_for_file

pytestmark = pytest.mark.browser

SCATTER_APP = '''
import marimo
app = marimo.App()

@app.cell
def _():
    import json, pathlib
    import numpy as np
    import marimo as mo
    import embedviz
    xy = np.random.default_rng(0).random((20_000, 2)).astype(np.float32)
    w = embedviz.Scatter(xy, tool="lasso")

    def _save(sel):
        p = xy[np.asarray(sel, dtype=np.int64)]
        pathlib.Path(WORK, "sel.json").write_text(json.dumps(
            {"n": int(len(sel)), "lo": p.min(0).tolist(), "hi": p.max(0).tolist()}))
    w.on_select(_save)
    mo.ui.anywidget(w)
    return

if __name__ == "__main__":
    app.run()
'''


def lasso(page, box: dict, frac: list[tuple[float, float]]) -> None:  # noqa: ANN001
    pts = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in frac]
    page.mouse.move(*pts[0])
    page.mouse.down()
    for p in pts[1:] + [pts[0]]:
        page.mouse.move(*p, steps=10)
    page.mouse.up()


def test_scatter_in_marimo_is_styled_and_lasso_reaches_kernel(browser) -> None:  # noqa: ANN001
    with running_marimo(REPO, SCATTER_APP) as app:
        page = new_page(browser)
        try:
            page.goto(app.url, wait_until="domcontentloaded")
            page.wait_for_selector('.embedviz-scatter[data-ready="1"]', timeout=90_000)
            # the toolbar is laid out by the widget's own CSS: absolute, in a flex row,
            # buttons 28 px wide; unstyled it is a static block of full-width buttons
            style = page.evaluate("""() => {
                const find = (root) => root.querySelector('.embedviz-scatter .ev-toolbar')
                    || [...root.querySelectorAll('*')].map(e => e.shadowRoot && find(e.shadowRoot))
                                                      .find(Boolean);
                const bar = find(document), cs = getComputedStyle(bar);
                const btn = getComputedStyle(bar.querySelector('button'));
                const status = getComputedStyle(bar.closest('.embedviz-scatter')
                                                .querySelector('.ev-status'));
                return {position: cs.position, display: cs.display, width: btn.width,
                        statusDisplay: status.display, inShadow: bar.getRootNode() !== document};
            }""")
            assert style == {"position": "absolute", "display": "flex", "width": "28px",
                             "statusDisplay": "flex", "inShadow": True}, style
            box = page.locator(".embedviz-scatter canvas.ev-canvas").bounding_box()
            lasso(page, box, [(0.3, 0.3), (0.7, 0.3), (0.7, 0.7), (0.3, 0.7)])
            got = json.loads(wait_for_file(app.work / "sel.json"))
            assert got["n"] > 500
            assert min(got["lo"]) > 0.1 and max(got["hi"]) < 0.9  # inside the drawn square
            assert page.errors == []
        finally:
            page.close()
