"""The Explorer as a person uses it, in real JupyterLab in Debian chromium.

Lasso a cluster, create a label, press 1, colour by label and see it coloured; undo; retrain
and see the map change and predictions appear; restart the kernel, re-run, and see the labels again. Each
step checks the kernel's state as well as the pixels.
"""
from __future__ import annotations

import io
import json

import nbformat
import numpy as np
import pytest
from scipy.spatial import ConvexHull

from tests.e2e.conftest import REPO, LabServer, new_page
from tests.e2e.lab import kernel_exec, kernel_json, open_notebook, run_all, settle
from tests.e2e.test_scatter_notebook import pixels_to_data, points_in_polygon

pytestmark = pytest.mark.browser

ROOT = ".ev-explorer .embedviz-scatter"
SHOTS = REPO / "tests" / "artifacts"
GREY = np.array([0xC8, 0xC8, 0xC8])       # unlabelled points (colors.MISSING_COLOR)
BLUE = np.array([0x4E, 0x79, 0xA7])       # the first label's colour

CELLS = [
    "import numpy as np\nimport embedviz as ev\nfrom embedviz.demo_data import digits_frame\n"
    "digits = digits_frame()",
    "ex = ev.Explorer(digits, embedding='pixels', image='image', label_file='e2e.embedviz.db',"
    " color_by='digit', height=460)\nex",
]


def _notebook(lab: LabServer) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = lab.notebook_dir / "explorer_e2e.ipynb"
    nbformat.write(nb, path)
    for leftover in lab.notebook_dir.glob("e2e.embedviz.db*"):
        leftover.unlink()
    return path.name


def _canvas(page) -> np.ndarray:  # noqa: ANN001
    from PIL import Image

    png = page.locator(f"{ROOT} canvas.ev-canvas").screenshot()
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def _pixels_of(page, xy: np.ndarray, image: np.ndarray) -> np.ndarray:  # noqa: ANN001
    """Canvas pixel (row, col) of each data point, through the camera the widget reports."""
    cam = json.loads(page.locator(ROOT).get_attribute("data-camera"))
    scale = image.shape[1] / cam["width"]
    px = np.column_stack([cam["a"] * xy[:, 0] + cam["b"] * xy[:, 1] + cam["c"],
                          cam["d"] * xy[:, 0] + cam["e"] * xy[:, 1] + cam["f"]]) * scale
    px = np.clip(px.astype(int), 0, [image.shape[1] - 1, image.shape[0] - 1])
    return px[:, ::-1]


def _colour_near(image: np.ndarray, rc: np.ndarray, colour: np.ndarray, tol: int = 60) -> float:
    """Share of the given pixels whose colour is within ``tol`` of ``colour``."""
    pix = image[rc[:, 0], rc[:, 1]]
    return float((np.abs(pix - colour).sum(axis=1) < tol).mean())


def _drag_lasso(page, polygon_px: np.ndarray) -> None:  # noqa: ANN001
    box = page.locator(f"{ROOT} canvas.ev-canvas").bounding_box()
    page.locator(f'{ROOT} [data-action="tool-lasso"]').click()
    page.mouse.move(box["x"] + polygon_px[0, 0], box["y"] + polygon_px[0, 1])
    page.mouse.down()
    for x, y in list(polygon_px[1:]) + [polygon_px[0]]:
        page.mouse.move(box["x"] + x, box["y"] + y, steps=8)
    page.mouse.up()


def _status(page) -> str:  # noqa: ANN001
    return page.locator(".ev-explorer .ev-statusline").inner_text()


def _map_has_focus(page) -> None:  # noqa: ANN001
    page.wait_for_function(f"() => document.activeElement === document.querySelector('{ROOT}')",
                           timeout=10_000)


def _side_panels_show_whole(page, hovered: int) -> None:  # noqa: ANN001
    """The selection list is on screen and the preview (with its thumbnail) ends above it:
    squeezed into the side column, the list was 0 px tall and the preview spilled over."""
    listing = page.locator(".ev-explorer .ev-selection-panel")
    kernel_exec(page, "ex.panels.on_hover(-1)")
    page.wait_for_function("() => document.querySelector('.ev-explorer .ev-preview')"
                           ".innerText.includes('hover a point')", timeout=10_000)
    keys = page.locator(".ev-explorer .ev-preview").evaluate(
        "p => [p.scrollHeight, p.clientHeight, p.querySelectorAll('.ev-keys kbd').length]")
    assert keys[0] <= keys[1] and keys[2] == 6, keys  # the whole key guide shows, unscrolled
    # the side column does not scroll (only the selection's list does); the charts sit under
    # the map, each inside its box
    side = page.locator(".ev-explorer .ev-side").evaluate(
        "s => [s.scrollHeight - s.clientHeight, s.scrollWidth - s.clientWidth]")
    assert side == [0, 0], side
    charts = page.locator(".ev-explorer .ev-charts").evaluate(
        "c => [c.scrollWidth - c.clientWidth, c.querySelectorAll('svg.ev-chart').length]")
    assert charts == [0, 3], charts
    top_before = listing.bounding_box()["y"]
    kernel_exec(page, f"ex.panels.on_hover({hovered})")
    page.wait_for_function(f"() => document.querySelector('.ev-explorer .ev-preview')"
                           f".innerText.includes('#{hovered}')", timeout=10_000)
    preview = page.locator(".ev-explorer .ev-preview").bounding_box()
    # hovering does not push the list (and the charts under it) down
    assert abs(listing.bounding_box()["y"] - top_before) <= 1, (top_before, preview)
    # the preview ends above the list (measured before the screenshot scrolls the page)
    assert preview["y"] + preview["height"] <= listing.bounding_box()["y"] + 1
    # digit images: a grid of thumbnails (one per row showed 3.5 of a 164-point lasso)
    page.locator(".ev-explorer").screenshot(path=str(SHOTS / "explorer_selected.png"))
    tops = listing.locator(".ev-tile").evaluate_all("ts => ts.map(t => t.offsetTop)")
    assert len(tops) >= 40 and len(tops) / len(set(tops)) >= 5, tops
    assert listing.bounding_box()["height"] > 100


@pytest.fixture(scope="module")
def explorer_page(browser, lab_server: LabServer):  # noqa: ANN001, ANN201
    name = _notebook(lab_server)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = new_page(browser, width=1400, height=1000)
    open_notebook(page, lab_server.url, name)
    run_all(page, timeout_ms=240_000)
    page.wait_for_selector(f'{ROOT}[data-ready="1"]', timeout=60_000)
    yield page
    page.close()


def test_lasso_label_undo_retrain_restart(explorer_page) -> None:  # noqa: ANN001
    page = explorer_page
    page.locator(ROOT).scroll_into_view_if_needed()

    # 1. the map starts with the lasso (it is what the Explorer is for); create a label
    #    through the label bar (with a typo), then rename it with the pencil
    assert "ev-active" in page.locator(f'{ROOT} [data-action="tool-lasso"]').get_attribute("class")
    page.locator(".ev-label-bar input").fill("zer")
    page.locator(".ev-label-bar input").press("Enter")
    page.wait_for_selector(".ev-chip:has-text('zer')", timeout=10_000)
    _map_has_focus(page)  # so the key pressed after the lasso labels it, not the name box
    page.locator(".ev-label-bar [data-action='rename_start']").click()
    page.wait_for_function("() => document.activeElement.placeholder === 'rename zer to…'",
                           timeout=10_000)  # the box has the focus: just type
    page.keyboard.type("zero")
    page.keyboard.press("Enter")
    page.wait_for_selector(".ev-chip:has-text('zero')", timeout=10_000)
    assert kernel_json(page, "ex.store.classes") == ["zero"]
    _map_has_focus(page)

    # 2. lasso the core of the digit-0 cluster with the mouse
    xy = np.array(kernel_json(page, "ex.xy.tolist()"), dtype=np.float64)
    zeros = np.flatnonzero(np.array(kernel_json(page, "(digits.digit == 0).tolist()")))
    before = _canvas(page)
    rc = _pixels_of(page, xy, before)
    px = rc[zeros][:, ::-1].astype(float) * (page.locator(f"{ROOT} canvas.ev-canvas").bounding_box()["width"]
                                           / before.shape[1])
    centre = np.median(px, axis=0)
    core = px[np.linalg.norm(px - centre, axis=1) <= np.quantile(np.linalg.norm(px - centre, axis=1), 0.7)]
    hull = core[ConvexHull(core).vertices]
    _drag_lasso(page, hull)
    page.wait_for_function(f"() => +document.querySelector('{ROOT}').dataset.nselected > 0")
    cam = json.loads(page.locator(ROOT).get_attribute("data-camera"))
    drawn = np.array(json.loads(page.locator(ROOT).get_attribute("data-lasso-px")), dtype=np.float64)
    expected = np.flatnonzero(points_in_polygon(xy, pixels_to_data(cam, drawn)))
    selection = np.sort(np.array(kernel_json(page, "ex.selection.tolist()"), dtype=np.int64))
    if not np.array_equal(selection, expected):
        (REPO / ".tmp" / "lasso_debug.json").write_text(json.dumps(
            {"cam": cam, "drawn": drawn.tolist(), "hull": hull.tolist(), "sel": selection.tolist(),
             "xy": xy.tolist()}))
    assert np.array_equal(selection, expected)
    assert np.isin(selection, zeros).mean() > 0.9          # it really is the zero cluster
    _side_panels_show_whole(page, int(selection[0]))

    # 3. press 1: the points get label 1 in the kernel and on the map
    page.locator(f'{ROOT} [data-action="tool-pan"]').click()
    page.locator(ROOT).focus()
    page.keyboard.press("1")
    page.wait_for_function("() => document.querySelector('.ev-chip-active') &&"
                           f" document.querySelector('.ev-chip-active').innerText.includes('({len(selection)})')",
                           timeout=15_000)
    page.wait_for_function(f"() => document.querySelector('{ROOT}').dataset.nselected === '0'",
                           timeout=10_000)            # the selection is cleared so labels show
    assert kernel_json(page, "len(ex.selection)") == 0
    labels = kernel_json(page, "ex.labels.astype(object).where(ex.labels.notna(), None).tolist()")
    assert {i for i, v in enumerate(labels) if v == "zero"} == set(selection.tolist())
    others = np.setdiff1d(np.arange(len(xy)), selection)
    assert kernel_json(page, "ex.view.color_by") == "digit"   # the key kept the user's colouring
    page.locator(".ev-explorer .ev-controls select").select_option("label")  # the user's choice
    assert settle(page, lambda: kernel_json(page, "ex.view.color_by"),
                  lambda v: v == "label") == "label"

    def label_colours() -> tuple[float, float]:
        image = _canvas(page)
        rc = _pixels_of(page, xy, image)
        return _colour_near(image, rc[selection], BLUE), _colour_near(image, rc[others], GREY)

    blue, grey = settle(page, label_colours, lambda v: v[0] > 0.6 and v[1] > 0.5)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(".ev-explorer").screenshot(path=str(SHOTS / "explorer_labelled.png"))
    assert blue > 0.6, f"only {blue:.0%} of the labelled points are the label's colour"
    assert grey > 0.5, f"only {grey:.0%} of the other points are grey: the map is not coloured by label"

    # 4. Ctrl+Z undoes it, in the kernel and on the map
    page.locator(ROOT).focus()
    page.keyboard.press("Control+z")
    page.wait_for_function("() => document.querySelector('.ev-chip').innerText.includes('(0)')", timeout=15_000)
    assert kernel_json(page, "int(ex.labels.notna().sum())") == 0
    def grey_share() -> float:
        image = _canvas(page)
        return _colour_near(image, _pixels_of(page, xy, image)[selection], GREY)

    assert settle(page, grey_share, lambda v: v > 0.6) > 0.6      # the undone points are grey again
    page.keyboard.press("Control+Shift+z")
    page.wait_for_function(f"() => document.querySelector('.ev-chip').innerText.includes('({len(selection)})')",
                           timeout=15_000)

    # 5. a second label from Python, then Retrain from the button
    kernel_exec(page, "ex.label(np.flatnonzero(digits.digit == 1)[:30], 'one')")
    kernel_exec(page, "ex.label(np.flatnonzero(digits.digit == 1)[30:38], 'zero')")  # a slip
    xy_before = np.array(kernel_json(page, "ex.xy.tolist()"))
    map_before = _canvas(page)
    page.locator(".ev-controls button:has-text('Retrain')").click()
    page.wait_for_function("() => document.querySelector('.ev-explorer .ev-statusline').innerText.includes('Round 1')",
                           timeout=180_000, polling=500)
    pred = kernel_json(page, "ex.predictions.label.value_counts().to_dict()")
    assert set(pred) == {"zero", "one"}
    xy_after = np.array(kernel_json(page, "ex.xy.tolist()"))
    assert np.linalg.norm(xy_after - xy_before, axis=1).mean() > 1e-3      # the layout moved
    def changed() -> float:
        return float((np.abs(_canvas(page) - map_before).sum(axis=2) > 40).mean())

    assert settle(page, changed, lambda v: v > 0.01) > 0.01                # and the pixels did
    page.wait_for_timeout(1200)                                            # the animation ends
    assert kernel_json(page, "ex.view.color_by") != "prediction"           # the user's choice
    page.locator(".ev-explorer .ev-controls select").select_option("prediction")
    assert settle(page, lambda: kernel_json(page, "ex.view.color_by"),
                  lambda v: v == "prediction") == "prediction"
    page.locator(".ev-explorer").screenshot(path=str(SHOTS / "explorer_retrained.png"))
    n_zero = len(selection)

    # 5a. "Check labels" selects the slip; the key the status line names fixes it
    slip = kernel_json(page, "[int(i) for i in ex.suspects[0].indices]")
    assert set(slip) <= set(kernel_json(page, "np.flatnonzero(digits.digit == 1)[30:38].tolist()"))
    for name in ("Check labels", "New class?"):  # the whole text, count included, shows
        button = page.locator(f".ev-controls button:has-text('{name}')")
        clipped = button.evaluate("b => [b.scrollWidth, b.clientWidth, b.innerText]")
        assert clipped[0] <= clipped[1] and clipped[2].endswith(")"), clipped
    map_top = page.locator(ROOT).bounding_box()["y"]
    page.locator(".ev-controls button:has-text('Check labels')").click()
    page.wait_for_function("() => document.querySelector('.ev-explorer .ev-statusline').innerText"
                           ".includes(\"look like 'one'\")", timeout=20_000)
    # its long message has room: the map does not jump (it moved 38 px in a text notebook)
    assert abs(page.locator(ROOT).bounding_box()["y"] - map_top) <= 1
    for message in ("short", "a two-line message " * 13):
        kernel_exec(page, f"ex.view.say({message!r})")
        page.wait_for_function(f"() => document.querySelector('.ev-controls .ev-statusline')"
                               f".innerText.trim() === {message.strip()!r}", timeout=10_000)
        assert abs(page.locator(ROOT).bounding_box()["y"] - map_top) <= 1, message
    kernel_exec(page, "ex.actions.check_labels()")  # back to where the steps below start
    assert "press 2 to relabel them 'one'" in page.locator(".ev-controls .ev-statusline").inner_text()
    page.wait_for_function(f"() => document.querySelector('{ROOT}').dataset.nselected"
                           f" === '{len(slip)}'", timeout=20_000)
    page.locator(".ev-explorer").screenshot(path=str(SHOTS / "explorer_check_labels.png"))
    _map_has_focus(page)  # not the button: the key the status line names works at once
    page.keyboard.press("2")
    page.wait_for_function(f"() => document.querySelector('.ev-chip').innerText"
                           f".includes('({n_zero + 8 - len(slip)})')", timeout=15_000)
    if len(slip) < 8:  # a slip the model did not flag: put the labels back as they were
        kernel_exec(page, "ex.label(np.flatnonzero(digits.digit == 1)[30:38], 'one')")

    # 5b. "New class?" selects the first cluster of points that fit no label
    first = kernel_json(page, "[int(i) for i in ex.candidates[0]]")
    page.locator(".ev-controls button:has-text('New class?')").click()
    page.wait_for_function("() => document.querySelector('.ev-explorer .ev-statusline')"
                           ".innerText.includes('Possible new class 1 of')", timeout=20_000)
    assert sorted(kernel_json(page, "ex.selection.tolist()")) == sorted(first)
    page.wait_for_function(f"() => document.querySelector('{ROOT}').dataset.nselected"
                           f" === '{len(first)}'", timeout=20_000)          # the view has it
    page.locator(".ev-explorer").screenshot(path=str(SHOTS / "explorer_new_class.png"))
    kernel_exec(page, "ex.selection = []")

    # 6. restart the kernel, run again: every label is back
    page.evaluate("async () => { await window.jupyterapp.shell.currentWidget.sessionContext"
                  ".session.kernel.restart(); }")
    run_all(page, timeout_ms=240_000)
    page.wait_for_selector(f'{ROOT}[data-ready="1"]', timeout=60_000)
    counts = kernel_json(page, "ex.labels.value_counts().to_dict()")
    assert counts == {"zero": n_zero, "one": 38}  # 30, and the 8 of the fixed slip
    assert page.locator(f".ev-chip:has-text('zero ({n_zero})')").count() == 1

    # 7. many labels: the chips wrap in their own row; the buttons stay where they were
    assign = page.locator(".ev-label-bar [data-action='assign']")
    assign_y = assign.bounding_box()["y"]
    for name in ("two", "three", "four", "five", "six", "seven", "eight", "nine", "a longer name"):
        kernel_exec(page, f"ex.actions.name_entered({name!r})")
    page.wait_for_function("() => document.querySelectorAll('.ev-chip').length === 11",
                           timeout=15_000)
    assert abs(assign.bounding_box()["y"] - assign_y) <= 1
    chips = page.locator(".ev-label-bar .ev-chips").bounding_box()
    tools = page.locator(".ev-label-bar .ev-label-tools").bounding_box()
    assert chips["y"] >= tools["y"] + tools["height"] - 1       # under the tools, not over them
    page.locator(".ev-explorer").screenshot(path=str(SHOTS / "explorer_many_labels.png"))

    # 8. keys pressed while an Explorer button has the focus act as on the map, and no
    #    other key reaches JupyterLab's command mode (M made the cell Markdown, B added one)
    page.locator(".ev-label-bar [data-action='delete']").click()      # deletes 'a longer name'
    page.wait_for_function("() => document.querySelectorAll('.ev-chip').length === 10",
                           timeout=15_000)
    cells = page.locator(".jp-Notebook .jp-Cell").count()
    undo = page.locator(".ev-label-bar [data-action='undo']")
    undo.focus()
    page.keyboard.press("Control+z")                                 # on the button: undoes
    page.wait_for_function("() => document.querySelectorAll('.ev-chip').length === 11",
                           timeout=15_000)
    for focused in (undo, page.locator(ROOT), page.locator(f'{ROOT} [data-action="reset-view"]')):
        for key in ("m", "b", "x", "a", "r", "ArrowDown", "Enter", "Shift+Enter"):
            focused.focus()  # on a button, on the map itself, on a map tool
            page.keyboard.press(key)
        page.wait_for_timeout(500)
        assert page.locator(".jp-Notebook .jp-Cell").count() == cells
        assert page.locator(".ev-explorer").count() == 1             # its cell is still code
    assert not [e for e in page.errors if "favicon" not in e], page.errors
