"""Durability: a writer killed with SIGKILL at random moments never loses an acknowledged event.

A forked child assigns labels (and sometimes undoes) in a loop, writing ``<event id> <crc of
codes>`` to an ack file after each write call returns. The parent kills it at a random moment,
reopens the store and checks that every acknowledged event is there, that the state matches
the last acknowledgement when nothing newer was committed, and that SQLite's
``integrity_check`` passes. Forking (instead of spawning) keeps each round fast.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pytest

from embedviz.labels import LabelStore

N_POINTS = 5000
ROUNDS = 40

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs fork and SIGKILL")


def _codes_crc(store: LabelStore) -> int:
    return zlib.crc32(store.codes().tobytes())


def _writer_loop(path: str, ack_path: str, seed: int) -> None:  # runs in the child, until killed
    rng = np.random.default_rng(seed)
    ack = os.open(ack_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    store = LabelStore(path, n=N_POINTS)
    while True:
        if rng.random() < 0.15 and store.can_undo:
            store.undo()
            event_id = store.version
        else:
            size = int(rng.integers(1, 2000))
            event_id = store.assign(rng.integers(0, N_POINTS, size), "abc"[int(rng.integers(3))],
                                    source="lasso", create=True)
        if event_id is not None:
            os.write(ack, f"{event_id} {_codes_crc(store)}\n".encode())


def _read_acks(ack_path: Path) -> list[tuple[int, int]]:
    text = ack_path.read_text() if ack_path.exists() else ""
    lines = text.split("\n")[:-1]  # only complete lines
    return [(int(a), int(b)) for a, b in (line.split() for line in lines)]


def _wait_for_acks(ack_path: Path, count: int, child: multiprocessing.Process) -> None:
    deadline = time.monotonic() + 30
    while len(_read_acks(ack_path)) < count:
        assert child.is_alive(), "the writer child died on its own"
        assert time.monotonic() < deadline, "the writer child made no progress"
        time.sleep(0.001)


def test_sigkill_never_loses_acknowledged_events(tmp_path):
    path = tmp_path / "durable.embedviz.db"
    ack_path = tmp_path / "acks.txt"
    context = multiprocessing.get_context("fork")
    rng = np.random.default_rng(1234)
    killed_mid_run = 0
    for round_ in range(ROUNDS):
        already = len(_read_acks(ack_path))
        child = context.Process(target=_writer_loop, args=(str(path), str(ack_path), round_), daemon=True)
        child.start()
        try:
            _wait_for_acks(ack_path, already + int(rng.integers(1, 25)), child)
            time.sleep(float(rng.uniform(0, 0.02)))
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.join()
        assert child.exitcode == -signal.SIGKILL
        acks = _read_acks(ack_path)
        last_id, last_crc = acks[-1]
        with LabelStore(path, readonly=True) as reader:  # a reader first: it reads the WAL left behind
            assert reader.version >= last_id
        with LabelStore(path) as store:  # the writer lock died with the child
            logged = {event["id"] for event in store.history()}
            assert {event_id for event_id, _ in acks} <= logged
            assert store.version >= last_id
            if store.version == last_id:
                assert _codes_crc(store) == last_crc
            else:
                killed_mid_run += 1  # committed but not yet acknowledged: allowed
            store.check()
        conn = sqlite3.connect(path)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        finally:
            conn.close()
    assert len(_read_acks(ack_path)) >= ROUNDS
