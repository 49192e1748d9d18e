"""Explorer.save_html: the file, opened from disk with networking off, draws the points in
their colours, shows a preview on hover and counts a lasso."""
from __future__ import annotations

import io
import json

import numpy as np
import pytest

from tests.e2e.conftest import REPO

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def saved(tmp_path_factory):  # noqa: ANN201
    import embedviz as ev
    from embedviz.demo_data import digits_frame

    digits = digits_frame()
    out = tmp_path_factory.mktemp("html")
    ex = ev.Explorer(digits, embedding="pixels", image="image",
                     label_file=str(out / "s.embedviz.db"), color_by="label", progress=False)
    ex.label(np.flatnonzero(digits.digit.to_numpy() == 0), "zero <i>")
    ex.label(np.flatnonzero(digits.digit.to_numpy() == 1), "one")
    return ex.save_html(str(out / "map.html")), ex


def test_saved_map_works_offline(browser, saved) -> None:  # noqa: ANN001
    from PIL import Image

    path, ex = saved
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 800})
    remote: list[str] = []

    def block(route) -> None:  # noqa: ANN001
        url = route.request.url
        if url.startswith(("file:", "blob:", "data:")):
            route.continue_()
        else:
            remote.append(url)
            route.abort()
    context.route("**/*", block)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"file://{path}")
        root = page.locator(".embedviz-scatter")
        page.wait_for_selector('.embedviz-scatter[data-ready="1"]', timeout=30_000)
        assert root.get_attribute("data-npoints") == "1797"
        # the labels' colours are on the canvas, and the legend names them (as text)
        shot = np.asarray(Image.open(io.BytesIO(root.locator("canvas.ev-canvas").screenshot()))
                          .convert("RGB"), dtype=int)
        colours = {c: ex.store.colors[c] for c in ("zero <i>", "one")}
        for name, hexc in colours.items():
            rgb = np.array([int(hexc[i:i + 2], 16) for i in (1, 3, 5)])
            assert (np.abs(shot - rgb).sum(axis=2) < 40).sum() > 50, name
        assert "zero <i>" in page.locator(".ev-legend").inner_text()
        assert "zero <i> (178)" in page.locator("#evs-chips").inner_text()
        # hover a labelled point: the preview shows its label and its image
        xy = ex.xy
        i = int(np.flatnonzero(ex.labels.to_numpy() == "one")[0])
        cam = json.loads(root.get_attribute("data-camera"))
        box = root.locator("canvas.ev-canvas").bounding_box()
        x, y = float(xy[i, 0]), float(xy[i, 1])
        px = (box["x"] + cam["a"] * x + cam["b"] * y + cam["c"],
              box["y"] + cam["d"] * x + cam["e"] * y + cam["f"])
        page.mouse.move(*px)
        page.wait_for_function(
            "() => document.querySelector('#evs-preview').innerText.includes('·')", timeout=10_000)
        assert "one" in page.locator("#evs-preview").inner_text() or \
            "zero" in page.locator("#evs-preview").inner_text()
        assert page.locator("#evs-preview img").count() == 1
        # a lasso around everything: the count shows under the map
        page.keyboard.press("l")
        corners = [(0.1, 0.12), (0.9, 0.12), (0.9, 0.95), (0.1, 0.95)]
        pts = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in corners]
        page.mouse.move(*pts[0])
        page.mouse.down()
        for p in pts[1:] + pts[:1]:
            page.mouse.move(*p, steps=8)
        page.mouse.up()
        page.wait_for_function(
            "() => +document.querySelector('.embedviz-scatter').dataset.nselected > 100",
            timeout=10_000)
        n = root.get_attribute("data-nselected")
        assert f"{int(n):,} selected" in root.locator(".ev-status").inner_text()
        page.screenshot(path=str(REPO / "tests" / "artifacts" / "saved_map.png"))
        assert remote == [] and errors == [], (remote, errors)
    finally:
        context.close()
