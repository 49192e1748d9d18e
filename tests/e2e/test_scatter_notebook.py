"""Browser tests of embedviz.Scatter in real JupyterLab, on examples/scatter.ipynb (the Scatter alone)."""
from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from tests.e2e.conftest import REPO, new_page
from tests.e2e.lab import LabServer, kernel_exec, kernel_json, open_notebook, run_all, settle

pytestmark = pytest.mark.browser

ROOT = ".embedviz-scatter"
SHOTS = REPO / ".tmp" / "shots"


def points_in_polygon(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Even-odd rule, vectorised over points (float64)."""
    x, y = points[:, 0], points[:, 1]
    inside = np.zeros(len(points), dtype=bool)
    for (xi, yi), (xj, yj) in zip(polygon, np.roll(polygon, 1, axis=0)):
        crosses = (yi > y) != (yj > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_at = (xj - xi) * (y - yi) / (yj - yi) + xi
        inside ^= crosses & (x < x_at)
    return inside


def pixels_to_data(camera: dict, px: np.ndarray) -> np.ndarray:
    """Invert the widget's data -> pixel affine (data-camera attribute)."""
    m = np.array([[camera["a"], camera["b"]], [camera["d"], camera["e"]]], dtype=np.float64)
    t = np.array([camera["c"], camera["f"]], dtype=np.float64)
    return (np.linalg.inv(m) @ (px - t).T).T


@pytest.fixture(scope="module")
def quickstart(browser, lab_server: LabServer):  # noqa: ANN001, ANN201
    name = lab_server.add_notebook(REPO / "examples" / "scatter.ipynb")
    page = new_page(browser)
    open_notebook(page, lab_server.url, name)
    run_all(page)
    page.wait_for_selector(f'{ROOT}[data-ready="1"]', timeout=60_000)
    yield page
    page.close()


def canvas_png(page) -> np.ndarray:  # noqa: ANN001
    from PIL import Image

    png = page.locator(f"{ROOT} canvas.ev-canvas").screenshot()
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def test_quickstart_renders_and_lasso_selects_exact_points(quickstart) -> None:  # noqa: ANN001
    page = quickstart
    root = page.locator(ROOT)
    assert root.get_attribute("data-npoints") == "1797"
    assert root.get_attribute("data-ninvalid") == "0"
    assert page.locator(f"{ROOT} .ev-legend-row").count() == 10  # categorical legend
    assert canvas_png(page).std() > 5, "canvas looks blank"

    root.scroll_into_view_if_needed()
    page.locator(f'{ROOT} [data-action="tool-lasso"]').click()
    box = page.locator(f"{ROOT} canvas.ev-canvas").bounding_box()
    w, h = box["width"], box["height"]
    intended = np.array([(0.30, 0.15), (0.70, 0.20), (0.78, 0.60), (0.50, 0.88), (0.22, 0.62)]) * [w, h]
    x0, y0 = round(box["x"]), round(box["y"])
    page.mouse.move(x0 + intended[0, 0], y0 + intended[0, 1])
    page.mouse.down()
    for x, y in list(intended[1:]) + [intended[0]]:
        page.mouse.move(x0 + x, y0 + y, steps=12)
    page.mouse.up()
    page.wait_for_function(f"() => +document.querySelector('{ROOT}').dataset.nselected > 0",
                           timeout=10_000)
    n_js = int(root.get_attribute("data-nselected"))
    camera = json.loads(root.get_attribute("data-camera"))
    drawn = np.array(json.loads(root.get_attribute("data-lasso-px")), dtype=np.float64)

    kernel = kernel_json(page, "{'sel': w.selection.tolist(), 'xy': w.xy.tolist()}")
    selection = np.array(kernel["sel"], dtype=np.int64)
    xy = np.array(kernel["xy"], dtype=np.float32).astype(np.float64)

    # the lasso the widget recorded follows the mouse path (page coords vs canvas offset)
    offset = np.array([box["x"] - x0, box["y"] - y0])
    for vertex in intended:
        assert np.min(np.linalg.norm(drawn + offset - vertex, axis=1)) < 1.0
    # expected set: the drawn polygon mapped to data coordinates through the reported camera
    expected = np.flatnonzero(points_in_polygon(xy, pixels_to_data(camera, drawn)))
    assert len(selection) == n_js
    assert np.array_equal(np.sort(selection), expected)
    # and the intended polygon gives (nearly) the same set: only sub-pixel edge cases differ
    intended_set = np.flatnonzero(points_in_polygon(xy, pixels_to_data(camera, intended - offset)))
    # (mouse events carry whole-pixel client coordinates, so edges move by < 1 px)
    assert len(np.setxor1d(intended_set, expected)) <= 3 + 0.01 * len(expected)
    assert 0 < len(expected) < 1797
    assert not page.errors, page.errors


def test_selection_from_python_changes_pixels(quickstart) -> None:  # noqa: ANN001
    page = quickstart
    root = page.locator(ROOT)
    kernel_exec(page, "w.selection = []")
    page.wait_for_function(f"() => document.querySelector('{ROOT}').dataset.nselected === '0'")
    page.wait_for_timeout(300)
    before = canvas_png(page)
    n = int(kernel_exec(page, "w.selection = np.flatnonzero(digits.target == 0); print(len(w.selection))"))
    page.wait_for_function(
        f"() => document.querySelector('{ROOT}').dataset.nselected === '{n}'", timeout=10_000)
    after = settle(page, lambda: canvas_png(page), lambda img: (np.abs(img - before).sum(axis=2) > 30).mean() > 0.005)
    page.wait_for_timeout(300)                      # a frame for a fade still in flight
    after = canvas_png(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(ROOT).screenshot(path=str(SHOTS / "scatter_selected.png"))
    changed = np.abs(after - before).sum(axis=2) > 30
    assert changed.mean() > 0.005, f"only {changed.mean():.4%} of pixels changed"

    # the change is where the points are: selected points keep their colour, others fade
    camera = json.loads(root.get_attribute("data-camera"))
    xy = np.array(kernel_json(page, "w.xy.tolist()"), dtype=np.float64)
    scale = after.shape[1] / camera["width"]
    px = np.column_stack([camera["a"] * xy[:, 0] + camera["b"] * xy[:, 1] + camera["c"],
                          camera["d"] * xy[:, 0] + camera["e"] * xy[:, 1] + camera["f"]]) * scale
    visible = ((px[:, 0] >= 0) & (px[:, 0] < after.shape[1] - 1)
               & (px[:, 1] >= 0) & (px[:, 1] < after.shape[0] - 1))
    rows, cols = px[visible, 1].astype(int), px[visible, 0].astype(int)
    ink_before = 765 - before.sum(axis=2)[rows, cols]
    ink_after = 765 - after.sum(axis=2)[rows, cols]
    is_zero = np.array(kernel_json(page, "(digits.target == 0).tolist()"))[visible]
    assert is_zero.any() and (~is_zero).any()
    faded = ink_after < 0.95 * ink_before
    print("faded others", faded[~is_zero].mean(), "faded selected", faded[is_zero].mean())
    assert faded[~is_zero].mean() > 0.5, "the unselected points did not fade"
    assert faded[is_zero].mean() < 0.1, "the selected points faded"
    kernel_exec(page, "w.selection = []")


def test_keys_reach_python_not_jupyterlab(quickstart) -> None:  # noqa: ANN001
    page = quickstart
    kernel_exec(page, "_keys = []; w.on_key(_keys.append)")
    kernel_exec(page, "w.selection = [5, 6, 7]")
    page.wait_for_function(f"() => document.querySelector('{ROOT}').dataset.nselected === '3'")
    n_markdown = page.locator(".jp-MarkdownCell").count()
    page.locator(f'{ROOT} [data-action="tool-lasso"]').click()
    page.locator(f'{ROOT} [data-action="tool-pan"]').click()  # tool changes sync model state
    assert kernel_json(page, "w.tool") == "pan"
    assert kernel_json(page, "w.selection.tolist()") == [5, 6, 7]  # no stale lasso resent
    page.locator(ROOT).focus()
    for key in ["3", "Control+z", "Control+Shift+z", "Control+y", "Delete", "Backspace", "9"]:
        page.keyboard.press(key)
    page.wait_for_timeout(300)
    keys = kernel_json(page, "_keys")
    assert keys == ["digit:3", "undo", "redo", "redo", "delete", "delete", "digit:9"]
    assert page.locator(".jp-MarkdownCell").count() == n_markdown  # '3' did not make a heading
    assert page.locator(".jp-Notebook .jp-Cell").count() >= 5  # Delete did not remove cells
    assert page.get_attribute(ROOT, "data-nselected") == "3"
    kernel_exec(page, "w.selection = []")


RING_PIXELS = """() => {
  const c = document.querySelector('.embedviz-scatter canvas.ev-layer');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"""


def test_highlight_draws_rings_and_clears(quickstart) -> None:  # noqa: ANN001
    page = quickstart
    kernel_exec(page, "w.highlight = [0, 100, 200]")
    page.wait_for_function(f"() => ({RING_PIXELS})() > 50", timeout=10_000)
    kernel_exec(page, "w.highlight = []")
    page.wait_for_function(f"() => ({RING_PIXELS})() === 0", timeout=10_000)


def test_xy_update_moves_points_and_recolour_keeps_them(quickstart) -> None:  # noqa: ANN001
    page = quickstart
    before = canvas_png(page)
    kernel_exec(page, "w.xy = xy[:, ::-1].copy()")  # swap the axes: every cluster moves
    def moved() -> float:
        return float((np.abs(canvas_png(page) - before).sum(axis=2) > 30).mean())

    assert settle(page, moved, lambda v: v > 0.003) > 0.003
    kernel_exec(page, "w.set_color(xy[:, 0], colormap='viridis')")  # continuous: colour bar
    page.wait_for_selector(f"{ROOT} .ev-colorbar", timeout=10_000)
    assert page.locator(f"{ROOT} .ev-legend-row").count() == 0
    kernel_exec(page, "w.xy = xy; w.set_color(digits.target, categories=[f'digit {d}' for d in range(10)])")
    page.wait_for_selector(f"{ROOT} .ev-legend-row", timeout=10_000)
    page.wait_for_timeout(2500)
    assert page.get_attribute(ROOT, "data-npoints") == "1797"
    assert not page.errors, page.errors


def test_a_long_legend_stays_clear_of_the_toolbar_and_folds_away(quickstart) -> None:  # noqa: ANN001
    page = quickstart
    names = "[('a very long label name describing digits that look ambiguous ' * 3) + str(d)" \
            " for d in range(10)]"
    kernel_exec(page, f"w.set_color(digits.target, categories={names})")
    legend, toolbar = page.locator(f"{ROOT} .ev-legend"), page.locator(f"{ROOT} .ev-toolbar")
    page.wait_for_function(f"() => document.querySelector('{ROOT} .ev-legend-row')"
                           "?.title.startsWith('a very long')", timeout=10_000)
    lg, tb = legend.bounding_box(), toolbar.bounding_box()
    plot = page.locator(f"{ROOT} canvas.ev-canvas").bounding_box()
    assert lg["width"] <= 0.41 * plot["width"] and lg["x"] > tb["x"] + tb["width"]
    row = page.locator(f"{ROOT} .ev-legend-row").first
    assert "look ambiguous" in row.get_attribute("title")  # the whole name on hover
    page.locator(f"{ROOT} .ev-legend-fold").click()
    assert page.locator(f"{ROOT} .ev-legend-row").first.is_hidden()
    assert legend.bounding_box()["height"] < 30  # folded to one line
    page.locator(f"{ROOT} .ev-legend-fold").click()
    assert page.locator(f"{ROOT} .ev-legend-row").first.is_visible()
    kernel_exec(page, "w.set_color(digits.target, categories=[f'digit {d}' for d in range(10)])")
    assert not page.errors, page.errors


def test_a_narrowed_map_refits_its_home_view(quickstart) -> None:  # noqa: ANN001
    page = quickstart
    kernel_exec(page, "w.reset_view()")
    xy = np.asarray(kernel_json(page, "w.xy.tolist()"), dtype=np.float64)

    def camera() -> dict:
        return json.loads(page.get_attribute(ROOT, "data-camera"))

    def outside(cam: dict) -> float:  # share of points drawn beyond the canvas' sides
        px = xy @ np.array([[cam["a"], cam["d"]], [cam["b"], cam["e"]]]) + [cam["c"], cam["f"]]
        return float(((px[:, 0] < 0) | (px[:, 0] > cam["width"])).mean())

    seen: list[dict] = []

    def still(c: dict) -> bool:  # the reset's 0.5 s animation has ended
        seen.append(c)
        return len(seen) > 2 and seen[-2] == c and outside(c) == 0.0

    wide = settle(page, camera, still)
    try:
        page.set_viewport_size({"width": 560, "height": 900})  # the map: narrower than tall
        def fitted(c: dict) -> bool:  # undistorted (equal scales) and nothing cut off
            return (c["width"] < c["height"] and abs(abs(c["a"]) - abs(c["e"])) < 1e-3 * abs(c["e"])
                    and outside(c) == 0.0)

        narrow = settle(page, camera, fitted)
        assert fitted(narrow), narrow
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})
    settle(page, camera, lambda c: c["width"] == wide["width"])
    assert not page.errors, page.errors


def test_screenshot_for_users(quickstart) -> None:  # noqa: ANN001
    page = quickstart
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(ROOT).scroll_into_view_if_needed()
    page.mouse.move(0, 0)
    page.locator(ROOT).screenshot(path=str(SHOTS / "scatter.png"))
    assert Path(SHOTS / "scatter.png").stat().st_size > 10_000


def _data_to_px(camera: dict, xy: np.ndarray) -> np.ndarray:
    return np.column_stack([camera["a"] * xy[:, 0] + camera["b"] * xy[:, 1] + camera["c"],
                            camera["d"] * xy[:, 0] + camera["e"] * xy[:, 1] + camera["f"]])


def _drag_box(page, box: dict, a: tuple[float, float], b: tuple[float, float],  # noqa: ANN001
              modifier: str | None = None) -> None:
    if modifier:
        page.keyboard.down(modifier)
    page.mouse.move(box["x"] + a[0], box["y"] + a[1])
    page.mouse.down()
    page.mouse.move(box["x"] + b[0], box["y"] + b[1], steps=8)
    page.mouse.up()
    if modifier:
        page.keyboard.up(modifier)


def _wait_selection(page, n_before: int) -> np.ndarray:  # noqa: ANN001
    """The selection once the page shows a new count and the kernel holds that many (the
    page counts first; the selection reaches the kernel a message later, and on a busy
    machine reading it at once gave the previous one)."""
    page.wait_for_function(
        f"() => document.querySelector('{ROOT}').dataset.nselected !== '{n_before}'",
        timeout=10_000)
    shown = int(page.locator(ROOT).get_attribute("data-nselected"))
    got = settle(page, lambda: kernel_json(page, "w.selection.tolist()"),
                 lambda sel: len(sel) == shown, timeout_ms=10_000)
    return np.sort(np.array(got, dtype=np.int64))


def test_box_click_modifiers_hover_and_view(quickstart) -> None:  # noqa: ANN001
    """Box select, Shift adds, Alt subtracts, a click picks the nearest point, hovering sets
    ``w.hovered`` in the kernel, and zoom-to-selection / reset move the camera."""
    page = quickstart
    root = page.locator(ROOT)
    kernel_exec(page, "w.selection = []; _hovered = []; w.on_hover(_hovered.append)")
    page.wait_for_function(f"() => document.querySelector('{ROOT}').dataset.nselected === '0'")
    root.scroll_into_view_if_needed()
    page.mouse.move(0, 0)
    canvas = page.locator(f"{ROOT} canvas.ev-canvas")
    box = canvas.bounding_box()
    w, h = box["width"], box["height"]
    camera = json.loads(root.get_attribute("data-camera"))
    xy = np.array(kernel_json(page, "w.xy.tolist()"), dtype=np.float64)
    px = _data_to_px(camera, xy)

    def in_box(a, b):  # noqa: ANN001, ANN202
        (x0, y0), (x1, y1) = np.minimum(a, b), np.maximum(a, b)
        return set(np.flatnonzero((px[:, 0] >= x0) & (px[:, 0] <= x1)
                                  & (px[:, 1] >= y0) & (px[:, 1] <= y1)).tolist())

    def near_edge(a, b, margin=1.5):  # noqa: ANN001, ANN202
        return in_box(np.subtract(np.minimum(a, b), margin), np.add(np.maximum(a, b), margin)) - \
            in_box(np.add(np.minimum(a, b), margin), np.subtract(np.maximum(a, b), margin))

    page.locator(f'{ROOT} [data-action="tool-box"]').click()
    a1, b1 = (0.08 * w, 0.20 * h), (0.55 * w, 0.55 * h)  # starts below the toolbar
    a2, b2 = (0.45 * w, 0.45 * h), (0.95 * w, 0.95 * h)
    a3, b3 = (0.25 * w, 0.25 * h), (0.75 * w, 0.75 * h)
    _drag_box(page, box, a1, b1)
    first = set(_wait_selection(page, 0).tolist())
    fuzzy = near_edge(a1, b1)  # mouse positions are whole pixels: edges may move < 1 px
    assert first and len(first ^ in_box(a1, b1)) <= len(fuzzy)
    assert (first ^ in_box(a1, b1)) <= fuzzy

    _drag_box(page, box, a2, b2, "Shift")  # add
    second = set(_wait_selection(page, len(first)).tolist())
    fuzzy |= near_edge(a2, b2)
    assert (second ^ (in_box(a1, b1) | in_box(a2, b2))) <= fuzzy
    assert second > first

    _drag_box(page, box, a3, b3, "Alt")  # subtract
    third = set(_wait_selection(page, len(second)).tolist())
    fuzzy |= near_edge(a3, b3)
    assert (third ^ ((in_box(a1, b1) | in_box(a2, b2)) - in_box(a3, b3))) <= fuzzy
    assert third < second

    # a click (no drag) selects the point nearest the cursor
    target = int(np.argmin(np.linalg.norm(px - [0.5 * w, 0.5 * h], axis=1)))
    page.mouse.click(box["x"] + px[target, 0], box["y"] + px[target, 1])
    clicked = _wait_selection(page, len(third))
    assert clicked.size == 1
    assert np.linalg.norm(px[clicked[0]] - px[target]) < 1.5

    # hovering a point reaches the kernel
    page.locator(f'{ROOT} [data-action="tool-pan"]').click()
    page.mouse.move(box["x"] + px[target, 0] + 0.3, box["y"] + px[target, 1] + 0.3)
    page.wait_for_timeout(300)
    page.mouse.move(box["x"] + px[target, 0], box["y"] + px[target, 1])
    kernel_exec(page, "import time; time.sleep(0.5)")
    hovered = kernel_json(page, "w.hovered")
    assert hovered >= 0 and np.linalg.norm(px[hovered] - px[target]) < 6
    assert hovered in kernel_json(page, "_hovered")

    # zoom to the selection, then reset: the camera follows
    kernel_exec(page, "w.selection = np.flatnonzero(digits.target == 0); w.zoom_to(w.selection)")
    page.wait_for_function(
        f"() => document.querySelector('{ROOT}').dataset.camera !== {json.dumps(root.get_attribute('data-camera'))}",
        timeout=10_000)
    zoomed = settle(page, lambda: json.loads(root.get_attribute("data-camera")),
                    lambda cam: abs(cam["a"]) > 1.5 * abs(camera["a"]))
    assert abs(zoomed["a"]) > 1.5 * abs(camera["a"])  # closer in
    page.wait_for_timeout(700)                        # the zoom's 500 ms animation ends
    kernel_exec(page, "w.reset_view(); w.selection = []")
    reset = settle(page, lambda: json.loads(root.get_attribute("data-camera")),
                   lambda cam: abs(cam["a"] - camera["a"]) < 0.05 * abs(camera["a"]))
    assert abs(reset["a"] - camera["a"]) < 0.05 * abs(camera["a"])
    assert not page.errors, page.errors
