"""The Explorer on a 1280x800 laptop screen in real JupyterLab (Debian chromium): nothing
overflows sideways, and besides the notebook's own scroll area only the selection's list
scrolls; the tooltip and the preview say what a point is (text and the picked columns).

Why one list: the notebook scrolls the page, and a lasso's items are the one thing that can
outgrow any box. The side column is as tall as the map and the preview has a fixed height,
so neither needs its own scroll bar; a column that scrolled around a list that scrolls, in a
notebook that scrolls, was three nested scroll areas.
"""
from __future__ import annotations

import json

import nbformat
import numpy as np
import pytest

from tests.e2e.conftest import REPO, LabServer, new_page
from tests.e2e.lab import kernel_exec, kernel_json, open_notebook, run_all, settle

pytestmark = pytest.mark.browser

ROOT = ".ev-explorer .embedviz-scatter"
SHOTS = REPO / "tests" / "artifacts"
CELLS = [
    "import numpy as np\nimport embedviz as ev\nfrom embedviz.demo_data import docstrings_frame\n"
    "docs = docstrings_frame(per_package=250)",
    "ex = ev.Explorer(docs, text='text', preview=['name', 'package'], color_by='package',\n"
    "                 label_file='layout.embedviz.db')\nex",
]

# What overflows sideways inside the Explorer, what scrolls around it and inside it, and
# where its parts end (page pixels).
MEASURE = """() => {
  const ex = document.querySelector('.ev-explorer');
  const name = (e) => e.tagName.toLowerCase() + [...e.classList].map((c) => '.' + c).join('');
  const scrolls = (e) => {
    const s = getComputedStyle(e);
    return (['auto', 'scroll'].includes(s.overflowY) && e.scrollHeight > e.clientHeight + 1)
      || (['auto', 'scroll'].includes(s.overflowX) && e.scrollWidth > e.clientWidth + 1);
  };
  const wide = [ex, ...ex.querySelectorAll('*')].filter((e) => e.scrollWidth > e.clientWidth + 1)
    .map((e) => [name(e), e.scrollWidth, e.clientWidth]);
  const around = [];
  for (let e = ex.parentElement; e; e = e.parentElement) if (scrolls(e)) around.push(name(e));
  const output = ex.closest('.jp-OutputArea-output');
  const notebook = ex.closest('.jp-WindowedPanel-outer');
  const box = (sel) => { const r = ex.querySelector(sel).getBoundingClientRect(); return [r.top, r.bottom]; };
  return {wide, around, inside: [...ex.querySelectorAll('*')].filter(scrolls).map(name),
          outputWide: output.scrollWidth - output.clientWidth,
          top: ex.getBoundingClientRect().top, main: box('.ev-main'), side: box('.ev-side'),
          notebookHeight: notebook.clientHeight, width: ex.clientWidth};
}"""


def _notebook(lab: LabServer) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = lab.notebook_dir / "explorer_layout.ipynb"
    nbformat.write(nb, path)
    for leftover in lab.notebook_dir.glob("layout.embedviz.db*"):
        leftover.unlink()
    return path.name


def _fits(page, when: str) -> dict:  # noqa: ANN001
    page.locator(".ev-explorer").evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)
    m = page.evaluate(MEASURE)
    assert m["wide"] == [], f"{when}: wider than their box: {m['wide']}"
    assert m["outputWide"] <= 1, f"{when}: the cell's output scrolls sideways by {m['outputWide']} px"
    # around the Explorer, only the notebook scrolls; inside it, at most the selection's list
    assert m["around"] == ["div.jp-WindowedPanel-outer"], f"{when}: {m['around']}"
    assert len(m["inside"]) <= 1, f"{when}: nested scroll areas {m['inside']}"
    assert all(n in ("div.ev-items", "div.ev-grid") for n in m["inside"]), m["inside"]
    # the working part (label bar, controls, map, side panels) fits the notebook's height
    # at once, and the side column ends with the map
    assert m["main"][1] - m["top"] <= m["notebookHeight"], (when, m)
    assert abs(m["side"][1] - m["main"][1]) <= 2, (when, m)
    return m


def _hover_a_point(page, xy: np.ndarray) -> int:  # noqa: ANN001
    """Move the real mouse onto a point the map shows; returns the index the kernel heard."""
    canvas = page.locator(f"{ROOT} canvas.ev-canvas").bounding_box()
    cam = json.loads(page.locator(ROOT).get_attribute("data-camera"))
    px = np.column_stack([cam["a"] * xy[:, 0] + cam["b"] * xy[:, 1] + cam["c"],
                          cam["d"] * xy[:, 0] + cam["e"] * xy[:, 1] + cam["f"]])
    # a point with room around it, away from the edges (the legend sits top right), and not
    # under a region's name (the name takes the mouse there)
    inside = (px[:, 0] > 60) & (px[:, 0] < cam["width"] * 0.6) & (px[:, 1] > 80) \
        & (px[:, 1] < cam["height"] - 60)
    gaps = np.sort(np.linalg.norm(px[:, None] - px[None], axis=2), axis=1)[:, 1]
    order = np.flatnonzero(inside)[np.argsort(-gaps[inside])][:40]
    free = page.evaluate(
        """(pts) => pts.map(([x, y]) => { const e = document.elementFromPoint(x, y);
             return !!e && !e.closest('.ev-name, .ev-legend, .ev-toolbar, button'); })""",
        [[canvas["x"] + px[k, 0], canvas["y"] + px[k, 1]] for k in order])
    i = int(order[free.index(True)])
    page.mouse.move(canvas["x"] + px[i, 0] - 20, canvas["y"] + px[i, 1] - 20)
    page.mouse.move(canvas["x"] + px[i, 0], canvas["y"] + px[i, 1], steps=5)
    page.wait_for_function("() => getComputedStyle(document.querySelector("
                           f"'{ROOT} .ev-tooltip')).display === 'block'", timeout=10_000)
    hovered = settle(page, lambda: kernel_json(page, "ex.scatter.hovered"), lambda v: v == i)
    assert hovered == i
    return i


@pytest.fixture(scope="module")
def layout_page(browser, lab_server: LabServer):  # noqa: ANN001, ANN201
    name = _notebook(lab_server)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = new_page(browser, width=1280, height=800)
    open_notebook(page, lab_server.url, name)
    run_all(page, timeout_ms=400_000)
    page.wait_for_selector(f'{ROOT}[data-ready="1"]', timeout=60_000)
    yield page
    page.close()


def test_the_explorer_fits_a_laptop_screen_and_says_what_a_point_is(layout_page) -> None:  # noqa: ANN001
    page = layout_page
    assert page.errors == []
    _fits(page, "as it opens, beside the file browser")

    # a search selects 40 items: the list outgrows the column and is the one thing to scroll
    kernel_exec(page, "hits = ex.search('probability distributions and random sampling', k=40)")
    page.wait_for_function("() => document.querySelectorAll('.ev-explorer .ev-items .ev-item').length >= 8",
                           timeout=15_000)
    m = _fits(page, "with 40 points selected")
    assert m["inside"] == ["div.ev-items"], m["inside"]
    first = page.locator(".ev-explorer .ev-items .ev-item").first
    top = kernel_json(page, "int(hits[0])")
    assert first.locator("dl.ev-fields dd").all_inner_texts() == kernel_json(
        page, f"[docs.name.iat[{top}], docs.package.iat[{top}]]")

    # hover a point with the mouse: the tooltip says what it is, the preview shows it whole
    xy = np.array(kernel_json(page, "ex.xy.tolist()"), dtype=np.float64)
    i = _hover_a_point(page, xy)
    tip = page.locator(f"{ROOT} .ev-tooltip").inner_text()
    name, text = kernel_json(page, f"[docs.name.iat[{i}], docs.text.iat[{i}]]")
    sent = kernel_json(page, "__import__('embedviz.widget.codecs', fromlist=['x']).decode_strings("
                             f"*ex.scatter._channels['tooltip'].buffers)[{i}]")
    assert tip == sent and len(tip) <= 80, (tip, sent)
    # the point's name (cut at 40 characters), then the start of its text
    head, _, body = tip.partition(": ")
    assert name.startswith(head.rstrip("…")) and len(head) <= 40, (tip, name)
    assert " ".join(text.split()).startswith(body.rstrip("…").rstrip()), (tip, text)
    page.wait_for_function(f"() => document.querySelector('.ev-explorer .ev-preview')"
                           f".innerText.includes('#{i}')", timeout=10_000)
    preview = page.locator(".ev-explorer .ev-preview")
    assert preview.locator("dl.ev-fields dd").all_inner_texts() == kernel_json(
        page, f"[docs.name.iat[{i}], docs.package.iat[{i}]]")
    tip_box = page.locator(f"{ROOT} .ev-tooltip").bounding_box()
    plot = page.locator(f"{ROOT} canvas.ev-canvas").bounding_box()
    assert tip_box["x"] >= plot["x"] and tip_box["x"] + tip_box["width"] <= plot["x"] + plot["width"] + 1
    page.screenshot(path=str(SHOTS / "explorer_text_1280x800.png"))
    _fits(page, "while hovering")

    # without the file browser the cell is wider: still nothing sideways
    page.evaluate("() => window.jupyterapp.commands.execute('application:toggle-left-area')")
    page.wait_for_timeout(800)
    wide = _fits(page, "without the file browser")
    assert wide["width"] > m["width"]

    # after a retrain: the widest controls (findings buttons) and the charts under the map
    kernel_exec(page, "for w in ('matrix', 'file', 'date'):\n"
                      "    ex.label(docs.index[docs.text.str.contains(w, case=False)], w)\n"
                      "res = ex.retrain(timeout=300)", timeout_ms=320_000)
    page.wait_for_function("() => document.querySelector('.ev-explorer .ev-statusline')"
                           ".innerText.includes('Round 1')", timeout=30_000)
    page.evaluate("() => window.jupyterapp.commands.execute('application:toggle-left-area')")
    page.wait_for_timeout(800)
    _fits(page, "after a retrain, beside the file browser")
    charts = page.locator(".ev-explorer .ev-charts svg.ev-chart")
    assert charts.count() == 3
    boxes = [charts.nth(k).bounding_box() for k in range(3)]
    main = page.locator(".ev-explorer .ev-main").bounding_box()
    assert all(b["y"] >= main["y"] + main["height"] - 1 for b in boxes)   # under the map
    assert all(b["width"] >= 239 for b in boxes)                          # not squeezed
    assert len({round(b["y"]) for b in boxes}) == 1                       # in one row
    page.locator(".ev-explorer").evaluate("e => e.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(SHOTS / "explorer_text_retrained_1280x800.png"))
    page.locator(".ev-explorer .ev-charts").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "explorer_text_charts_1280x800.png"))
    assert page.errors == []
