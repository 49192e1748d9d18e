"""The Explorer's Parquet input at scale: what stays in memory and what each on-demand read costs.

    python bench/bench_parquet.py [--rows 1000000] [--dim 64] [--shards 8] [--row-group 16384]

Writes ``--rows`` rows (a ``--dim``-d float32 embedding as a fixed-size list, a ~100-char
text, a 12-value category) as ``--shards`` Parquet files in a temporary folder, then measures:

1. Open: ``open_parquet`` (the light frame + the embedding; texts stay on disk) against
   ``pandas.read_parquet`` of every column (what an in-memory DataFrame holds). Memory is the
   resident set size (psutil RSS) of a fresh subprocess after loading minus before (pyarrow
   and pandas imported before; Arrow's unused pool memory released after), with the loaded
   objects alive; each runs in its own process so neither sees the other's heap.
2. The selection panel: 48 random rows' texts (``ExplorerData.text_at``; cold reader each
   draw) and one hovered row, median of ``--draws`` draws, against the same rows from the
   in-memory column.
3. Substring search over every text: Parquet streamed in batches (``iter_texts``) against the
   in-memory list, both through the Explorer's ``substring_hits``.

A take reads each row group that holds an asked row once, so its cost follows
``--row-group``. The map itself is not built here (UMAP at a million points takes long
on a CPU; ``bench_scale.py`` times it). Timings are wall clock on a machine shared with
other jobs: compare them as ratios within one run.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

WORDS = ("alpha beta gamma delta kernel vector token matrix query graph river stone cloud "
         "engine signal market ticket order refund cable screen").split()


def write_shards(folder: Path, rows: int, dim: int, shards: int, row_group: int) -> float:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    start = time.perf_counter()
    bounds = np.linspace(0, rows, shards + 1).astype(int)
    for s in range(shards):
        lo, hi = int(bounds[s]), int(bounds[s + 1])
        m = hi - lo
        X = rng.normal(size=(m, dim)).astype(np.float32)
        picks = rng.integers(0, len(WORDS), size=(m, 14))
        words = np.asarray(WORDS, dtype=object)[picks]
        text = [f"row {lo + i}: " + " ".join(w) for i, w in enumerate(words.tolist())]
        table = pa.table({
            "text": text,
            "category": pa.array(np.asarray([f"c{k}" for k in range(12)])[
                rng.integers(0, 12, m)]).dictionary_encode(),
            "emb": pa.FixedSizeListArray.from_arrays(pa.array(X.ravel()), dim),
        })
        pq.write_table(table, folder / f"part-{s:04d}.parquet", row_group_size=row_group)
    return time.perf_counter() - start


CHILD = r"""
import gc, json, sys, time
import psutil
import numpy as np, pandas as pd
import pyarrow as pa, pyarrow.compute, pyarrow.dataset, pyarrow.parquet
from embedviz.explorer.parquet_rows import open_parquet
proc = psutil.Process()
gc.collect()
before = proc.memory_info().rss
start = time.perf_counter()
if sys.argv[2] == "light":
    frame, X, rows = open_parquet(sys.argv[1], embedding="emb", text="text")
    held = int(frame.memory_usage(deep=True).sum() + X.nbytes)
else:
    frame = pd.read_parquet(sys.argv[1])
    held = int(frame.memory_usage(deep=True).sum())
took = time.perf_counter() - start
gc.collect()
pa.default_memory_pool().release_unused()  # Arrow's freed scratch is not the frame's
after = proc.memory_info().rss
print(json.dumps({"s": took, "rss": after - before, "held": held, "n": len(frame)}))
"""


def load_in_child(folder: Path, kind: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(folder), kind], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def median_time(fn, draws: int) -> float:
    times = []
    for _ in range(draws):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--row-group", type=int, default=16_384)
    parser.add_argument("--draws", type=int, default=5)
    args = parser.parse_args()

    from embedviz.compute.search import substring_hits
    from embedviz.explorer.dataset import resolve_data

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        wrote = write_shards(folder, args.rows, args.dim, args.shards, args.row_group)
        size = sum(f.stat().st_size for f in folder.glob("*.parquet"))
        print(f"{args.rows:,} rows x {args.dim}-d, {args.shards} shards, row groups of "
              f"{args.row_group:,}: {size / 2**20:,.0f} MiB on disk, written in {wrote:.1f} s\n")

        light, full = load_in_child(folder, "light"), load_in_child(folder, "full")
        print("1. open (each in a fresh process; RSS = psutil resident set after - before)")
        print(f"{'':28}{'time s':>9}{'RSS MiB':>10}{'held MiB':>10}")
        for name, r in (("open_parquet (light+emb)", light), ("pd.read_parquet (all)", full)):
            print(f"{name:28}{r['s']:9.2f}{r['rss'] / 2**20:10.0f}{r['held'] / 2**20:10.0f}")
        print(f"ratio all/light: time {full['s'] / light['s']:.1f}x, "
              f"RSS {full['rss'] / max(light['rss'], 1):.1f}x  (held: frame.memory_usage"
              "(deep=True) [+ embedding nbytes]; the full frame's vectors are per-row arrays "
              "it undercounts)\n")

        data = resolve_data(str(folder), embedding="emb", text="text")
        texts = [t for _, batch in data.iter_texts() for t in batch]
        rng = np.random.default_rng(1)

        def panel() -> None:
            data.rows.clear_cache()
            data.text_at(rng.choice(args.rows, 48, replace=False))

        def hover() -> None:
            data.rows.clear_cache()
            data.text_at([int(rng.integers(args.rows))])

        def panel_memory() -> None:
            picks = rng.choice(args.rows, 48, replace=False)
            [texts[i] for i in picks.tolist()]

        print(f"2. selection panel (median of {args.draws}, cold reader cache)")
        print(f"   48 random rows from Parquet: {median_time(panel, args.draws) * 1e3:8.1f} ms")
        print(f"   1 hovered row from Parquet:  {median_time(hover, args.draws) * 1e3:8.1f} ms")
        print(f"   48 rows from an in-memory list: {median_time(panel_memory, args.draws) * 1e3:.3f} ms\n")

        start = time.perf_counter()
        hits_pq = np.concatenate([o + substring_hits("row 4242", b) for o, b in data.iter_texts()])
        scan_pq = time.perf_counter() - start
        start = time.perf_counter()
        hits_mem = substring_hits("row 4242", texts)
        scan_mem = time.perf_counter() - start
        assert np.array_equal(hits_pq, hits_mem)
        print("3. substring search over every text ('row 4242', "
              f"{hits_mem.size} hits, same rows both ways)")
        print(f"   Parquet streamed in batches: {scan_pq:6.2f} s")
        print(f"   in-memory list:              {scan_mem:6.2f} s   ratio {scan_pq / scan_mem:.1f}x")


if __name__ == "__main__":
    main()
