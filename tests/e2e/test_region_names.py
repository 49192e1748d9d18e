"""Region names on the text example's map, in real JupyterLab in Debian chromium.

The names are drawn and never overlap; zooming in brings finer names; clicking a name selects
its region's members in the kernel; a number key then labels them. Screenshots of the text
example with its names go to tests/artifacts/ (git-ignored) for a person to look at.
"""
from __future__ import annotations

import nbformat
import numpy as np
import pytest

from tests.e2e.conftest import REPO, LabServer, new_page
from tests.e2e.lab import kernel_json, open_notebook, run_all, settle

pytestmark = pytest.mark.browser

ROOT = ".ev-explorer .embedviz-scatter"
ARTIFACTS = REPO / "tests" / "artifacts"
CELLS = [
    "import numpy as np\nimport embedviz as ev\nfrom embedviz.demo_data import docstrings_frame\n"
    "docs = docstrings_frame(per_package=250)",
    "ex = ev.Explorer(docs, text='text', label_file='names_e2e.embedviz.db', color_by='package',"
    " height=560)\nex",
]
SHOWN = (f"() => Array.from(document.querySelectorAll('{ROOT} .ev-name'))"
         ".filter(e => e.style.display !== 'none')"
         ".map(e => { const r = e.getBoundingClientRect();"
         " return [+e.dataset.region, +e.dataset.level, r.left, r.top, r.width, r.height,"
         " e.textContent]; })")


def _notebook(lab: LabServer) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    path = lab.notebook_dir / "names_e2e.ipynb"
    nbformat.write(nb, path)
    for leftover in lab.notebook_dir.glob("names_e2e.embedviz.db*"):
        leftover.unlink()
    return path.name


def _overlapping(shown: list) -> list:
    out = []
    for i, a in enumerate(shown):
        for b in shown[i + 1:]:
            if (a[2] < b[2] + b[4] and b[2] < a[2] + a[4]
                    and a[3] < b[3] + b[5] and b[3] < a[3] + a[5]):
                out.append((a[6], b[6]))
    return out


@pytest.fixture(scope="module")
def text_example(browser, lab_server: LabServer):  # noqa: ANN001, ANN201
    page = new_page(browser, width=1300, height=1000)
    open_notebook(page, lab_server.url, _notebook(lab_server))
    run_all(page, timeout_ms=600_000)  # MiniLM on ~1,000 docstrings on the CPU
    page.wait_for_selector(f'{ROOT}[data-ready="1"]', timeout=120_000)
    page.wait_for_function(f"() => +(document.querySelector('{ROOT} .ev-names')"
                           "?.dataset.shown ?? 0) > 0", timeout=30_000)
    yield page
    page.close()


def test_names_are_drawn_without_overlap_and_finer_ones_appear_zoomed_in(text_example):  # noqa: ANN001
    page = text_example
    page.locator(ROOT).scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator(".ev-explorer").screenshot(path=str(ARTIFACTS / "names_text_example.png"))
    before = page.evaluate(SHOWN)
    table = kernel_json(page, "ex.regions[['region', 'level', 'name']].values.tolist()")
    assert len(before) >= 3, before
    assert not _overlapping(before), _overlapping(before)
    names = {int(r): n for r, _, n in table}
    assert all(names[int(s[0])] == s[6] for s in before)  # each is its region's name, as text
    assert 0 in {s[1] for s in before}
    level_before = np.mean([s[1] for s in before])
    ids_before = {s[0] for s in before}

    box = page.locator(f"{ROOT} canvas.ev-canvas").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(6):
        page.mouse.wheel(0, -240)
        page.wait_for_timeout(150)

    def finer(shown: list) -> bool:
        new = [s for s in shown if s[0] not in ids_before and s[1] > 0]
        return bool(new) and np.mean([s[1] for s in shown]) > level_before

    after = settle(page, lambda: page.evaluate(SHOWN), finer, timeout_ms=15_000)
    page.locator(".ev-explorer").screenshot(path=str(ARTIFACTS / "names_text_example_zoomed.png"))
    assert finer(after), ("zoomed in, finer names show", before, after)
    assert not _overlapping(after), _overlapping(after)
    page.locator(f'{ROOT} [data-action="reset-view"]').click()

    toggle = page.locator(f"{ROOT} .ev-names-toggle")
    toggle.click()
    assert page.locator(f"{ROOT} .ev-names").is_hidden()
    toggle.click()
    assert page.locator(f"{ROOT} .ev-names").is_visible()
    assert not page.errors, page.errors


def test_clicking_a_name_selects_its_region_and_a_key_labels_it(text_example):  # noqa: ANN001
    page = text_example
    page.locator(".ev-label-bar input").fill("topic")  # type a name and press Enter
    page.locator(".ev-label-bar input").press("Enter")
    page.wait_for_selector(".ev-chip:has-text('topic')", timeout=10_000)
    page.locator(f'{ROOT} [data-action="reset-view"]').click()
    page.wait_for_timeout(800)
    shown = page.evaluate(SHOWN)
    region = int(shown[0][0])
    name = page.locator(f'{ROOT} .ev-name[data-region="{region}"]')
    name.hover()
    tip = page.locator(f"{ROOT} .ev-names-tip")
    assert tip.is_visible() and "points" in tip.inner_text()
    name.click()
    members = np.array(kernel_json(page, f"ex.regions.set_index('region').loc[{region}, "
                                         "'members'].tolist()"))
    got = settle(page, lambda: np.array(kernel_json(page, "ex.selection.tolist()")),
                 lambda s: s.size == members.size, timeout_ms=10_000)
    np.testing.assert_array_equal(np.sort(got), np.sort(members))
    page.keyboard.press("1")  # the map has the focus after the click
    labelled = settle(page, lambda: kernel_json(page, "int((ex.labels == 'topic').sum())"),
                      lambda n: n == members.size, timeout_ms=10_000)
    assert labelled == members.size
    assert kernel_json(page, f"bool((ex.labels.iloc[{members.tolist()}] == 'topic').all())")
    assert not page.errors, page.errors
