"""One writer, many readers: lock refusal, readers seeing writes, thread safety."""
from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from embedviz.labels import LabelStore, StoreLockedError


def test_second_writer_in_same_process_is_refused(store_path):
    with LabelStore(store_path, n=5) as first:
        with pytest.raises(StoreLockedError, match=r"readonly=True.*close the other Explorer"):
            LabelStore(store_path, n=5)
        first.create_label("a")
    with LabelStore(store_path) as again:  # released on close
        assert again.classes == ["a"]


def test_second_writer_in_other_process_is_refused(store_path):
    code = (
        "import sys\n"
        "from embedviz.labels import LabelStore, StoreLockedError\n"
        "try:\n"
        f"    LabelStore({str(store_path)!r})\n"
        "except StoreLockedError as exc:\n"
        "    print('LOCKED', exc); sys.exit(3)\n"
    )
    with LabelStore(store_path, n=5) as writer:
        writer.create_label("a")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert done.returncode == 3, done.stderr
        assert "LOCKED" in done.stdout and "readonly=True" in done.stdout
        writer.assign([1], "a")
    with LabelStore(store_path, readonly=True) as reader:
        assert reader.codes().tolist() == [-1, 0, -1, -1, -1]


def test_reader_sees_writer_changes_after_refresh(store_path):
    with LabelStore(store_path, n=6) as writer, LabelStore(store_path, readonly=True) as reader:
        seen = []
        reader.on_change(seen.append)
        assert reader.refresh() is False
        writer.create_label("a")
        writer.assign([0, 1], "a")
        assert reader.refresh() is True
        assert reader.codes().tolist() == [0, 0, -1, -1, -1, -1]
        assert reader.version == writer.version
        writer.undo()
        reader.refresh()
        assert reader.labelled().size == 0 and seen[-1]["kind"] == "refresh"
        assert reader.refresh() is False


def test_reader_of_longer_data_sees_growth(store_path):
    with LabelStore(store_path, n=3) as writer:
        writer.assign([2], "a", create=True)
    with LabelStore(store_path, readonly=True, n=5) as reader:  # more rows, read-only: padded
        assert reader.codes().tolist() == [-1, -1, 0, -1, -1]


def test_background_reads_while_writing(store_path):
    n = 2000
    errors: list[BaseException] = []
    with LabelStore(store_path, n=n) as store:
        store.create_label("a")
        store.create_label("b")
        stop = threading.Event()

        def read_loop() -> None:
            try:
                while not stop.is_set():
                    codes = store.codes()
                    assert codes.shape == (n,)
                    counts = store.counts()
                    assert counts.sum() <= n
                    store.series()
                    store.history()
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        thread = threading.Thread(target=read_loop)
        thread.start()
        rng = np.random.default_rng(0)
        for k in range(60):
            store.assign(rng.integers(0, n, 100), "ab"[k % 2])
            if k % 7 == 0:
                store.undo()
        stop.set()
        thread.join()
    assert not errors, errors


def _write_in_child(path: str, ready_fd: int, go_fd: int) -> None:  # forked child
    with LabelStore(path) as writer:
        os.write(ready_fd, b"r")
        os.read(go_fd, 1)
        writer.assign([3, 4], "a", source="lasso")
        os.write(ready_fd, b"w")
        os.read(go_fd, 1)


@pytest.mark.skipif(sys.platform == "win32", reason="uses fork")
def test_reader_sees_other_process_writes(store_path):
    with LabelStore(store_path, n=6) as setup:
        setup.create_label("a")
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    child = multiprocessing.get_context("fork").Process(target=_write_in_child,
                                                         args=(str(store_path), ready_w, go_r))
    child.start()
    try:
        assert os.read(ready_r, 1) == b"r"
        with LabelStore(store_path, readonly=True) as reader:
            assert reader.labelled().size == 0
            os.write(go_w, b"g")
            assert os.read(ready_r, 1) == b"w"
            assert reader.refresh() is True
            assert reader.labelled().tolist() == [3, 4]
            os.write(go_w, b"g")
        child.join(30)
        assert child.exitcode == 0
    finally:
        if child.is_alive():
            child.kill()


def test_poll_follows_the_writer(store_path):
    with LabelStore(store_path, n=4) as writer, LabelStore(store_path, readonly=True) as reader:
        seen = threading.Event()
        reader.on_change(lambda info: seen.set())
        stop = reader.poll(every=0.01)
        writer.assign([1], "a", create=True)
        assert seen.wait(10), "the polling reader never saw the write"
        assert reader.codes().tolist() == [-1, 0, -1, -1]
        stop()
        with pytest.raises(ValueError, match="positive"):
            reader.poll(every=0)


def test_readonly_rows_beyond_the_store_stay_unlabelled(store_path):
    with LabelStore(store_path, ids=["a", "b"]) as writer:
        writer.assign([1], "x", create=True)
    with LabelStore(store_path, ids=["a", "b", "c"], readonly=True) as reader, \
            LabelStore(store_path, ids=["a", "b", "zzz"]) as writer:  # appends a different row
        writer.assign([2], "x")
        reader.refresh()
        assert reader.codes().tolist() == [-1, 0, -1]  # 'c' is not 'zzz': not labelled


def _sleep_in_child(ready_fd: int, seconds: float) -> None:
    import time

    os.write(ready_fd, b"r")
    time.sleep(seconds)


@pytest.mark.skipif(sys.platform == "win32", reason="uses fork")
def test_forked_child_does_not_keep_the_writer_lock(store_path):
    writer = LabelStore(store_path, n=3)
    ready_r, ready_w = os.pipe()
    child = multiprocessing.get_context("fork").Process(target=_sleep_in_child, args=(ready_w, 30))
    child.start()
    try:
        assert os.read(ready_r, 1) == b"r"
        writer.close()
        with LabelStore(store_path) as again:  # the sleeping child holds no lock
            again.create_label("a")
    finally:
        child.kill()
        child.join()
