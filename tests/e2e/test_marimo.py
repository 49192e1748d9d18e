"""Browser tests in marimo (``marimo run``, headless chromium): the Scatter's styles reach
the shadow root marimo renders widgets in, and a lasso reaches the kernel."""
from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import REPO, new_page
from tests.e2e.marimo_app import running_marimo, wait_for_file

pytestmark = pytest.mark.browser
SHOTS = REPO / "tests" / "artifacts"

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


EXPLORER_APP = '''
import marimo
app = marimo.App(width="full")

@app.cell
def _():
    import json, pathlib, threading
    import numpy as np
    import marimo as mo
    import embedviz as ev
    from embedviz.demo_data import digits_frame
    digits = digits_frame()
    out = pathlib.Path(WORK)
    ex = ev.Explorer(digits, embedding="pixels", image="image", label_file=str(out / "m.embedviz.db"),
                     color_by="digit", height=460, progress=False)
    ex.label([], "zero")
    ex.label(np.flatnonzero(digits.digit.to_numpy() == 1)[:30], "one")
    xy0 = ex.xy.copy()
    ex.scatter.on_select(lambda sel: (out / "sel.json").write_text(json.dumps(
        [int(i) for i in sel])))
    ex.on_label(lambda e: (out / "labels.json").write_text(json.dumps(
        ex.labels.value_counts().to_dict())))

    def _watch():
        while ex.rounds == 0:
            ex.wait_retrain(0.2)
        ex.wait_retrain(120)  # the predictions show first; the map follows
        (out / "retrain.json").write_text(json.dumps({
            "moved": float(np.linalg.norm(ex.xy - xy0, axis=1).mean()),
            "pred": sorted(set(ex.predictions.label.dropna()))}))  # grey: no label
    threading.Thread(target=_watch, daemon=True).start()
    ex
    return

if __name__ == "__main__":
    app.run()
'''

EX_ROOT = ".ev-explorer .embedviz-scatter"


def test_explorer_in_marimo_lasso_key_retrain(browser) -> None:  # noqa: ANN001
    with running_marimo(REPO, EXPLORER_APP) as app:
        page = new_page(browser, width=1280, height=800)
        try:
            page.goto(app.url, wait_until="domcontentloaded")
            page.wait_for_selector(f'{EX_ROOT}[data-ready="1"]', timeout=120_000)
            page.wait_for_selector(".ev-chip:has-text('zero')", timeout=30_000)
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "explorer_marimo_start.png"))
            page.wait_for_timeout(1500)  # marimo may swap the output once more as it settles
            square = [(0.3, 0.25), (0.7, 0.25), (0.7, 0.75), (0.3, 0.75)]
            lasso(page, page.locator(f"{EX_ROOT} canvas.ev-canvas").bounding_box(), square)
            sel = json.loads(wait_for_file(app.work / "sel.json", check=lambda t: t != "[]"))
            assert len(sel) > 20                        # the lasso reached the kernel
            page.keyboard.press("1")                     # the map has the focus after a lasso
            counts = json.loads(wait_for_file(app.work / "labels.json"))
            assert counts.get("zero", 0) > 0 and counts["zero"] + counts.get("one", 0) >= len(sel)
            page.wait_for_selector(".ev-chip:has-text('zero (')", timeout=15_000)
            page.locator(".ev-controls button:has-text('Retrain')").click()
            got = json.loads(wait_for_file(app.work / "retrain.json", timeout_s=240))
            assert got["moved"] > 1e-3 and set(got["pred"]) <= {"zero", "one"}
            page.wait_for_selector(".ev-statusline:has-text('Round 1')", timeout=30_000)
            page.wait_for_timeout(1500)
            page.screenshot(path=str(SHOTS / "explorer_marimo.png"))
            assert not [e for e in page.errors if "favicon" not in e], page.errors
        finally:
            page.close()


WRAPPED_APP = '''
import marimo
app = marimo.App()

@app.cell
def _():
    import numpy as np
    import marimo as mo
    import embedviz as ev
    from embedviz.demo_data import digits_frame
    digits = digits_frame()
    ex = ev.Explorer(digits, embedding="pixels", label_file=WORK + "/w.embedviz.db", progress=False)
    ex.label(np.flatnonzero(digits.digit.to_numpy() == 4), "four")
    mo.ui.anywidget(ex.widget)
    return

if __name__ == "__main__":
    app.run()
'''


def test_explorer_in_marimo_through_mo_ui_anywidget(browser) -> None:  # noqa: ANN001
    with running_marimo(REPO, WRAPPED_APP) as app:
        page = new_page(browser)
        try:
            page.goto(app.url, wait_until="domcontentloaded")
            page.wait_for_selector(f'{EX_ROOT}[data-ready="1"]', timeout=120_000)
            page.wait_for_selector(".ev-chip:has-text('1 · four (181)')", timeout=30_000)
            assert page.locator(".ev-explorer svg.ev-chart").count() == 3
            assert not [e for e in page.errors if "favicon" not in e], page.errors
        finally:
            page.close()
