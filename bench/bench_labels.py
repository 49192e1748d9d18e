"""Benchmark the LabelStore hot paths against the issue-4 targets.

    venv/bin/python bench/bench_labels.py [--n 1000000] [--repeats 7]

Measures (median of ``--repeats`` runs, wall clock, on a store file in a temp dir):
- assign 100,000 indices (one durable event, fsynced);
- materialise labels for n points: reopen a store whose log holds 20 assignments of 100k
  points (no snapshot, so the log is replayed), then ``codes()`` and ``series()``;
  the same with a snapshot, and ``codes()`` + ``series()`` alone on an open store;
- undo a 100k-point assignment (one durable undo event).
As a reference for the design, a row-per-point table (``INSERT OR REPLACE`` of 100k rows, the
obvious alternative to one BLOB per event) is timed in the same run.
"""
from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from embedviz.labels import LabelStore

SELECTION = 100_000


def _median_ms(run: Callable[[], object], repeats: int, setup: Callable[[], object] | None = None) -> float:
    times = []
    for _ in range(repeats):
        if setup is not None:
            setup()
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _build_log(path: Path, n: int, rng: np.random.Generator) -> None:
    with LabelStore(path, n=n) as store:
        for k in range(20):
            store.assign(rng.choice(n, SELECTION, replace=False), f"class{k % 10}", create=True)
        store._events_since_snapshot = 0  # leave no snapshot: reopening replays the log


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000, help="points in the store (default 1,000,000)")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    rows: list[tuple[str, float, float | None]] = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        store = LabelStore(tmp_path / "bench.embedviz.db", n=args.n)
        store.create_label("a")
        store.create_label("b")
        selections = [rng.choice(args.n, SELECTION, replace=False).astype(np.uint32) for _ in range(args.repeats)]
        turn = iter(range(10**9))

        def assign_next() -> None:
            k = next(turn)
            assert store.assign(selections[k % args.repeats], "ab"[k % 2], source="lasso") is not None

        rows.append(("assign 100k indices", _median_ms(assign_next, args.repeats), 50))
        def flip(selection: np.ndarray) -> None:  # relabel so that the first point changes
            assert store.assign(selection, "b" if store.codes()[selection[0]] == 0 else "a") is not None

        def undo() -> None:
            target = store.version
            assert store.undo().startswith(f"undo #{target}: assign {SELECTION:,} points")

        rows.append(("undo a 100k-point assignment",
                     _median_ms(undo, args.repeats, setup=lambda: flip(selections[0])), 50))
        rows.append((f"codes()+series() on an open store ({args.n:,} points)", _median_ms(
            lambda: (store.codes(), store.series()), args.repeats, setup=lambda: flip(selections[1][:10])), None))
        store.close()

        log_path = tmp_path / "log.embedviz.db"
        _build_log(log_path, args.n, rng)

        def reopen() -> None:
            with LabelStore(log_path) as s:
                s.codes()
                s.series()
                s._events_since_snapshot = 0

        rows.append((f"materialise {args.n:,} points: open + replay 20x100k log + codes + series",
                     _median_ms(reopen, args.repeats), 200))
        with LabelStore(log_path) as s:
            s.snapshot()
        rows.append((f"materialise {args.n:,} points: open from snapshot + codes + series",
                     _median_ms(reopen, args.repeats), 200))

        conn = sqlite3.connect(tmp_path / "rows.db", isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE labels (point INTEGER PRIMARY KEY, class INTEGER)")

        def row_per_point() -> None:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT OR REPLACE INTO labels VALUES (?, ?)",
                             ((int(i), 1) for i in selections[next(turn) % args.repeats]))
            conn.execute("COMMIT")

        rows.append(("reference: row-per-point table, upsert 100k rows", _median_ms(row_per_point, args.repeats), None))
        conn.close()

    width = max(len(r[0]) for r in rows)
    print(f"{'operation':<{width}}  {'median ms':>9}  {'target ms':>9}  result")
    for name, ms, target in rows:
        verdict = "-" if target is None else ("pass" if ms <= target else "MISS")
        print(f"{name:<{width}}  {ms:9.1f}  {'-' if target is None else target:>9}  {verdict}")
    assign_ms, reference_ms = rows[0][1], rows[-1][1]
    print(f"row-per-point upsert / event-blob assign: {reference_ms / assign_ms:.1f}x slower")


if __name__ == "__main__":
    main()
