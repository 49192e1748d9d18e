"""The colouring belongs to the user, in real JupyterLab in Debian chromium.

With colour-by "digit" chosen, a label key and a Retrain leave it on "digit"; the labelled
points show as rings in their label's colour around their digit colour (read from the
pixels), and the status row offers the predictions: C takes the offer.
"""
from __future__ import annotations

import nbformat
import numpy as np
import pytest

from tests.e2e.conftest import REPO, LabServer, new_page
from tests.e2e.lab import kernel_exec, kernel_json, open_notebook, run_all, settle
from tests.e2e.test_explorer_loop import _canvas, _pixels_of

pytestmark = pytest.mark.browser

ROOT = ".ev-explorer .embedviz-scatter"
SHOTS = REPO / "tests" / "artifacts"
N = 400  # a few hundred digits: one retrain takes seconds
CELLS = [
    "import numpy as np\nimport embedviz as ev\nfrom embedviz.demo_data import digits_frame\n"
    f"digits = digits_frame().iloc[:{N}].reset_index(drop=True)",
    "ex = ev.Explorer(digits, embedding='pixels', image='image', label_file='colouring.embedviz.db',"
    " color_by='digit', height=460)\nex.actions.name_entered('three')\n"
    "ex.actions.name_entered('six')\nex",
]


def _hex(colour: str) -> np.ndarray:
    return np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])


def _ringed(image: np.ndarray, centres: np.ndarray, colour: np.ndarray, radius: int = 8) -> float:
    """Share of the points with their label's colour near them: at least 3 pixels of it
    within ``radius`` px (their ring, or the border around their labelled group)."""
    dy, dx = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    disc = np.column_stack([dy.ravel(), dx.ravel()])[(dy ** 2 + dx ** 2).ravel() <= radius ** 2]
    rc = np.clip(centres[:, None, :] + disc[None], 0, [image.shape[0] - 1, image.shape[1] - 1])
    near = np.abs(image[rc[..., 0], rc[..., 1]] - colour).sum(axis=2) < 60
    return float((near.sum(axis=1) >= 3).mean())


def _fill_kept(image: np.ndarray, centres: np.ndarray, colour: np.ndarray) -> float:
    """Share of the points whose centre pixel still shows their colouring's colour."""
    rc = np.clip(centres, 0, [image.shape[0] - 1, image.shape[1] - 1])
    return float((np.abs(image[rc[:, 0], rc[:, 1]] - colour).sum(axis=1) < 60).mean())


def _status_row(page) -> tuple[bool, str]:  # noqa: ANN001
    offer = page.locator(".ev-explorer .ev-statusrow .ev-offer")
    return offer.is_visible(), offer.inner_text() if offer.is_visible() else ""


def test_a_chosen_colouring_survives_labels_and_a_retrain(browser, lab_server: LabServer) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                "language": "python"}
    nbformat.write(nb, lab_server.notebook_dir / "colouring.ipynb")
    for leftover in lab_server.notebook_dir.glob("colouring.embedviz.db*"):
        leftover.unlink()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = new_page(browser, width=1280, height=800)
    try:
        open_notebook(page, lab_server.url, "colouring.ipynb")
        run_all(page, timeout_ms=240_000)
        page.wait_for_selector(f'{ROOT}[data-ready="1"]', timeout=90_000)
        page.locator(ROOT).scroll_into_view_if_needed()
        select = page.locator(".ev-explorer .ev-controls select")
        assert select.input_value() == "digit"
        assert _status_row(page) == (False, "")                  # nothing offered yet

        xy = np.array(kernel_json(page, "ex.xy.tolist()"))
        digit = np.array(kernel_json(page, "digits.digit.tolist()"))
        colours = kernel_json(page, "ex.store.colors")
        fills = kernel_json(page, "ex.scatter._channels['color'].header['palette']")
        before = _canvas(page)
        groups = {"three": np.flatnonzero(digit == 3), "six": np.flatnonzero(digit == 6)}
        rings_before = {name: _ringed(before, _pixels_of(page, xy, before)[idx],
                                      _hex(colours[name]))
                        for name, idx in groups.items()}

        # label two digits with the keys, as a person does (the selection set from Python:
        # lassos are tested in test_explorer_loop)
        for key, (name, idx) in enumerate(groups.items(), start=1):
            kernel_exec(page, f"ex.selection = {idx.tolist()}")
            page.wait_for_function(f"() => document.querySelector('{ROOT}').dataset.nselected"
                                   f" === '{len(idx)}'", timeout=20_000)
            page.locator(ROOT).focus()
            page.keyboard.press(str(key))
            page.wait_for_function(f"() => [...document.querySelectorAll('.ev-chip')].some(c =>"
                                   f" c.innerText.includes('{name} ({len(idx)})'))", timeout=20_000)
        page.wait_for_function(f"() => document.querySelector('{ROOT}').dataset.outlined"
                               f" === '{sum(map(len, groups.values()))}'", timeout=20_000)
        assert kernel_json(page, "ex.view.color_by") == "digit"      # the key did not switch it
        assert select.input_value() == "digit"

        def rings() -> dict[str, float]:
            image = _canvas(page)
            rc = _pixels_of(page, np.array(kernel_json(page, "ex.xy.tolist()")), image)
            return {name: _ringed(image, rc[idx], _hex(colours[name]))
                    for name, idx in groups.items()}

        after = settle(page, rings, lambda v: min(v.values()) > 0.7)
        page.screenshot(path=str(SHOTS / "explorer_outlined_digit.png"))
        image = _canvas(page)
        centres = _pixels_of(page, xy, image)
        kept = {name: _fill_kept(image, centres[groups[name]], _hex(fills[d]))
                for name, d in (("three", 3), ("six", 6))}
        for name in groups:  # most labelled points have a ring now; few had that colour around
            assert after[name] > 0.7 and rings_before[name] < 0.3, (name, rings_before, after)
            assert kept[name] > 0.6, kept  # the ring leaves the digit's fill showing

        # Retrain: the colouring stays "digit", the rings stay, the predictions are offered
        page.locator(".ev-controls button:has-text('Retrain')").click()
        page.wait_for_function("() => document.querySelector('.ev-explorer .ev-statusline')"
                               ".innerText.includes('Round 1')", timeout=180_000, polling=500)
        assert kernel_json(page, "ex.view.color_by") == "digit"
        assert select.input_value() == "digit"
        shown = settle(page, lambda: _status_row(page), lambda v: v[0])
        assert shown == (True, "Colour by prediction (C)"), shown
        page.screenshot(path=str(SHOTS / "explorer_offer.png"))
        page.wait_for_timeout(1000)                                   # the map's move ends
        assert min(settle(page, rings, lambda v: min(v.values()) > 0.7).values()) > 0.7

        # C, with the map focused, takes the offer; the offer goes
        page.locator(ROOT).focus()
        page.keyboard.press("c")
        assert settle(page, lambda: kernel_json(page, "ex.view.color_by"),
                      lambda v: v == "prediction") == "prediction"
        page.wait_for_function("() => document.querySelector('.ev-explorer .ev-controls select')"
                               ".value === 'prediction'", timeout=20_000)
        assert settle(page, lambda: _status_row(page), lambda v: not v[0]) == (False, "")
        assert not [e for e in page.errors if "favicon" not in e], page.errors
    finally:
        page.close()
