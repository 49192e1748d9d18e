"""The labelling loop at 100,000 points, in real JupyterLab in headless Debian chromium.

Measures, as a person experiences them:
  * hotkey -> label drawn: from the keydown of a label hotkey (with a lassoed selection) to the first
    canvas frame that shows the new label colours;
  * Retrain click -> predictions ready (the status line says so; the map is recoloured when
    colour-by is "prediction") and -> updated map drawn (the first frame of the new layout);
  * how far each round moved the map (mean and 95th percentile, % of the map's diagonal):
    the Explorer's "align" re-projection next to the earlier one (a warm start boxed into
    [0, 10], full step, 80 epochs) computed in the same kernel from the same model and map;
  * the Explorer's set-up (embedding given: knn + UMAP + clustering) for context.
Software WebGL (SwiftShader) on the CPU: the figures are those of the machine it runs on (the
run prints its cores and load), not a laptop's with a GPU.

    venv/bin/python bench/bench_loop.py [--n 100000] [--repeats 3]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.lab import CHROMIUM, CHROMIUM_ARGS, kernel_exec, kernel_json, open_notebook, running_lab  # noqa: E402

SETUP = """import time, numpy as np, pandas as pd, embedviz as ev
rng = np.random.default_rng(0)
N, D, C = {n}, 64, 10
centres = rng.normal(size=(C * 3, D)).astype(np.float32)
sub = rng.integers(0, C * 3, N)
X = centres[sub] + 0.35 * rng.normal(size=(N, D)).astype(np.float32)
df = pd.DataFrame({{"truth": sub % C}})
t = time.perf_counter()
ex = ev.Explorer(df, embedding=X, label_file="loop_bench.embedviz.db", color_by="truth", height=520)
SETUP_S = time.perf_counter() - t
for c in range(4):                       # earlier work: four labelled lassos
    ex.label(np.flatnonzero(df.truth.to_numpy() == c)[:400], f"class {{c}}")
ex"""

# t0 is taken in the page at the input event itself; done = the widget's first completed draw
# after it (data-drawn-at, stamped two animation frames after the renderer finished drawing).
ARM_JS = """(eventName) => { window.__t0 = null;
  window.addEventListener(eventName, () => { window.__t0 = performance.now(); }, {capture: true, once: true}); }"""
DRAWN_AFTER_JS = """(root) => { const r = document.querySelector(root);
  return window.__t0 !== null && r.dataset.drawnAt && +r.dataset.drawnAt > window.__t0
    ? +r.dataset.drawnAt - window.__t0 : null; }"""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _wait_drawn(page, root: str, timeout_s: float) -> float:  # noqa: ANN001
    handle = page.wait_for_function(DRAWN_AFTER_JS, arg=root, timeout=timeout_s * 1000, polling=16)
    return float(handle.json_value())


def hotkey_ms(page, root: str, round_no: int) -> float:  # noqa: ANN001
    """Select a quarter of class 5 from Python, press 5 (label 'class 5'), time the recolouring."""
    size = kernel_json(page, "len(np.flatnonzero(df.truth.to_numpy() == 5)) // 4")
    kernel_exec(page, f"ex.selection = np.flatnonzero(df.truth.to_numpy() == 5)[{round_no * size}:"
                      f"{(round_no + 1) * size}]")
    page.wait_for_function(f"() => document.querySelector('{root}').dataset.nselected === '{size}'")
    page.wait_for_timeout(800)
    page.locator(root).focus()
    page.evaluate(ARM_JS, "keydown")
    page.keyboard.press("5")
    return _wait_drawn(page, root, 60)


BEFORE_JS = """from embedviz.compute.relayout import displacement, relayout
_m = ex.model
_old = relayout(_m.transform(X), _m.refine_graph(), PREV, keep_scale=False,
                learning_rate=1.0, n_epochs=80, random_state=0)
_d = displacement(PREV, _old)"""


def retrain_ms(page, root: str) -> dict[str, float]:  # noqa: ANN001
    """Click Retrain; time to the predictions ready and to the first frame of the new map;
    how far the round moved the map, and how far the earlier re-projection would have."""
    rounds = int(kernel_json(page, "ex.rounds"))
    kernel_exec(page, "PREV = ex.xy.copy()")
    page.wait_for_timeout(2000)                  # earlier draws and animations settle
    page.evaluate(ARM_JS, "click")
    page.locator(".ev-controls button:has-text('Retrain')").click()
    t0 = time.perf_counter()
    status = "document.querySelector('.ev-explorer .ev-statusline').innerText"
    page.wait_for_function(f"() => {status}.includes('round {rounds + 1}') || "
                           f"{status}.includes('Round {rounds + 1}')", timeout=900_000, polling=50)
    predictions_ms = (time.perf_counter() - t0) * 1000
    page.wait_for_function(f"() => {status}.includes('Round {rounds + 1}')",
                           timeout=900_000, polling=100)
    map_ms = _wait_drawn(page, root, 120)
    moved = kernel_json(page, "[ex.last_retrain.displacement.mean, ex.last_retrain.displacement.p95,"
                              " ex.last_retrain.seconds_to_predictions, ex.last_retrain.seconds]")
    kernel_exec(page, BEFORE_JS)
    before = kernel_json(page, "[_d.mean, _d.p95]")
    return {"predictions_ms": predictions_ms, "map_ms": map_ms, "mean": moved[0], "p95": moved[1],
            "kernel_predictions_s": moved[2], "kernel_map_s": moved[3],
            "before_mean": before[0], "before_p95": before[1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    root = ".ev-explorer .embedviz-scatter"
    with running_lab(REPO) as lab, sync_playwright() as p:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(SETUP.format(n=args.n))]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells.insert(0, nbformat.v4.new_code_cell("import numpy as np"))
        nbformat.write(nb, lab.notebook_dir / "loop_bench.ipynb")
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        open_notebook(page, lab.url, "loop_bench.ipynb")
        log("building the Explorer (knn + UMAP + clusters)…")
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_selector(f'{root}[data-ready="1"]', timeout=1_800_000)
        page.locator(root).scroll_into_view_if_needed()
        setup_s = float(kernel_json(page, "SETUP_S"))
        kernel_exec(page, "ex.label([], 'class 5')")      # the fifth label: hotkey 5
        hot = []
        for r in range(args.repeats):
            hot.append(hotkey_ms(page, root, r))
            log(f"hotkey -> drawn: {hot[-1]:.0f} ms")
        rounds = []
        for _ in range(args.repeats):
            rounds.append(retrain_ms(page, root))
            log(f"retrain: {rounds[-1]}")
            kernel_exec(page, f"ex.label(np.flatnonzero(df.truth.to_numpy() == 6)"
                              f"[{len(rounds) * 50}:{len(rounds) * 50 + 50}], 'class 6')")
        timing = kernel_json(page, "ex.widget.status['text']")
        browser.close()

    print(f"\nLabelling loop, {args.n:,} points x 64-d, JupyterLab + headless chromium "
          f"(SwiftShader), {len(os.sched_getaffinity(0))} CPU cores, load average "
          f"{os.getloadavg()[0]:.1f}, median of {args.repeats}")
    print(f"{'step':44s} {'median':>10s} {'runs':>24s}")
    print(f"{'Explorer set-up: knn + UMAP + clusters (s)':44s} {setup_s:10.1f}")
    print(f"{'hotkey 5 -> label drawn (ms)':44s} {statistics.median(hot):10.0f} "
          f"{json.dumps([round(h) for h in hot]):>24s}")
    for key, what in (("predictions_ms", "Retrain click -> predictions ready (ms)"),
                      ("map_ms", "Retrain click -> new map drawn (ms)")):
        runs = [r[key] for r in rounds]
        print(f"{what:44s} {statistics.median(runs):10.0f} {json.dumps([round(v) for v in runs]):>24s}")
    print("\nMap displacement per round (% of the map's diagonal), same model and map:")
    print(f"{'round':>6s} {'align mean':>11s} {'align p95':>10s} {'earlier mean':>13s} "
          f"{'earlier p95':>12s}")
    for i, r in enumerate(rounds, 1):
        print(f"{i:6d} {100 * r['mean']:11.2f} {100 * r['p95']:10.2f} "
              f"{100 * r['before_mean']:13.2f} {100 * r['before_p95']:12.2f}")
    print(f"last status line: {timing}")


if __name__ == "__main__":
    main()
