"""Outline benchmark: what rings around labelled points cost the Scatter at 1,000,000 points.

One map (clustered random points, 10 colour categories) saved as a self-contained page
(``Scatter.save_html``) three times: no outline, 1% of the points outlined (a labelling
session's worth), every point outlined (the worst case). Each page opens in headless Debian
chromium (SwiftShader software GL: compare the ratios within one run, not the absolute
numbers), and is measured the same way:

* first draw: page start to the first frame with the points (``data-drawn-at``);
* zoom frame: a wheel step over the plot to the next two animation frames, median of
  ``--steps`` steps (the ring pass runs on every frame the camera moves).

Run:  venv/bin/python bench/bench_outline.py [--n 1000000] [--steps 8]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from embedviz import Scatter  # noqa: E402
from tests.e2e.lab import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

ROOT = ".embedviz-scatter"
PALETTE = ["#4e79a7", "#f28e2b", "#e15759"]


def _points(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    centres = rng.normal(scale=6, size=(10, 2))
    cat = rng.integers(0, 10, n)
    return centres[cat] + rng.normal(size=(n, 2)), cat


def _page(folder: Path, name: str, xy: np.ndarray, cat: np.ndarray,
          outlined: np.ndarray | None) -> Path:
    w = Scatter(xy, color=cat)
    if outlined is not None:
        codes = np.full(len(xy), -1)
        codes[outlined] = outlined % len(PALETTE)
        w.update(outline=codes, outline_palette=PALETTE)
    return w.save_html(folder / f"{name}.html", overwrite=True)


def _measure(browser, path: Path, steps: int) -> tuple[float, float]:  # noqa: ANN001
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        page.goto(path.as_uri())
        page.wait_for_selector(f'{ROOT}[data-ready="1"]', timeout=600_000)
        first = float(page.locator(ROOT).get_attribute("data-drawn-at"))
        box = page.locator(f"{ROOT} canvas.ev-canvas").bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        times = []
        for k in range(steps):
            start = time.perf_counter()
            page.mouse.wheel(0, -120 if k % 2 == 0 else 120)
            page.evaluate("() => new Promise(r => requestAnimationFrame(() =>"
                          " requestAnimationFrame(r)))")
            times.append((time.perf_counter() - start) * 1000)
        return first, statistics.median(times)
    finally:
        page.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--steps", type=int, default=8)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    rng = np.random.default_rng(0)
    xy, cat = _points(args.n, rng)
    cases = {"none": None,
             "1% outlined": rng.choice(args.n, args.n // 100, replace=False),
             "all outlined": np.arange(args.n)}
    with tempfile.TemporaryDirectory(dir=REPO / ".tmp" if (REPO / ".tmp").is_dir() else None) as tmp:
        pages = {name: _page(Path(tmp), f"case{i}", xy, cat, sel)
                 for i, (name, sel) in enumerate(cases.items())}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                rows = {name: _measure(browser, path, args.steps) for name, path in pages.items()}
            finally:
                browser.close()
    base_first, base_frame = rows["none"]
    print(f"Scatter outlines, n = {args.n:,} (SwiftShader software GL; ratios to 'none')")
    print(f"{'case':<14}{'first draw ms':>15}{'ratio':>8}{'zoom frame ms':>16}{'ratio':>8}")
    for name, (first, frame) in rows.items():
        print(f"{name:<14}{first:>15.0f}{first / base_first:>8.2f}{frame:>16.0f}"
              f"{frame / base_frame:>8.2f}")


if __name__ == "__main__":
    main()
