"""Ctrl+C (SIGINT, as Jupyter's "interrupt kernel") during label writes: each write is whole
or absent, the open store agrees with its file, and it keeps accepting writes."""
from __future__ import annotations

import signal
import sys
from unittest import mock

import numpy as np
import pytest

from embedviz.labels import LabelStore
from embedviz.labels.log import EventLog
from embedviz.labels.state import LabelState

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGINT and setitimer")

N = 2000


def _agrees_with_its_file(store: LabelStore) -> bool:
    with LabelStore(store.path, readonly=True) as disk:
        return (disk.version == store.version and disk.classes == store.classes
                and np.array_equal(disk.codes(), store.codes()))


def _interrupting(original, *, before: bool):
    """``original`` with a SIGINT just before it runs or just after it returns (after the
    log's COMMIT; before the in-memory replay)."""
    def run(*args, **kwargs):
        if before:
            signal.raise_signal(signal.SIGINT)
        out = original(*args, **kwargs)
        if not before:
            signal.raise_signal(signal.SIGINT)
        return out
    return run


@pytest.mark.parametrize("owner, name, before", [(EventLog, "append", False),
                                                 (LabelState, "replay", True)])
def test_an_interrupt_inside_a_write_arrives_after_it_is_whole(tmp_path, owner, name, before):
    store = LabelStore(tmp_path / "l.embedviz.db", n=N)
    store.assign([1, 2], "a", create=True)
    with mock.patch.object(owner, name, _interrupting(getattr(owner, name), before=before)):
        with pytest.raises(KeyboardInterrupt):
            store.assign([3, 4], "a")
        with pytest.raises(KeyboardInterrupt):
            store.undo()
    assert store.labelled().tolist() == [1, 2] and _agrees_with_its_file(store)
    store.assign([5], "a")  # still writable, no "changed by another writer"
    store.close()
    with LabelStore(tmp_path / "l.embedviz.db") as again:
        again.check()
        assert again.labelled().tolist() == [1, 2, 5]


def test_ctrl_c_at_random_moments_never_leaves_the_store_behind_its_file(tmp_path):
    store = LabelStore(tmp_path / "s.embedviz.db", n=N)
    rng = np.random.default_rng(0)
    interrupted = 0
    previous = signal.signal(signal.SIGALRM, lambda *_: signal.raise_signal(signal.SIGINT))
    try:
        for _ in range(60):
            signal.setitimer(signal.ITIMER_REAL, float(rng.uniform(0.0005, 0.006)))
            try:
                for _ in range(100):
                    idx = rng.choice(N, 30, replace=False)
                    op = int(rng.integers(3))
                    if op == 0:
                        store.assign(idx, "ab"[int(rng.integers(2))], create=True)
                    elif op == 1:
                        store.unassign(idx)
                    else:
                        store.undo()
                signal.setitimer(signal.ITIMER_REAL, 0)
            except KeyboardInterrupt:
                interrupted += 1
            signal.setitimer(signal.ITIMER_REAL, 0)
            assert not store._log.conn.in_transaction
            assert _agrees_with_its_file(store)
            store.assign(rng.choice(N, 5, replace=False), "a", create=True)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert interrupted >= 20  # the interrupts did land (most of the 60 rounds)
    store.close()
    with LabelStore(tmp_path / "s.embedviz.db") as again:
        again.check()


def test_subscribers_hear_of_a_write_before_the_held_interrupt_arrives(tmp_path):
    store = LabelStore(tmp_path / "n.embedviz.db", n=N)
    store.assign([1], "a", create=True)
    heard = []
    store.on_change(lambda info: heard.append(info["kind"]))
    with mock.patch.object(EventLog, "append",
                           _interrupting(EventLog.append, before=False)):
        with pytest.raises(KeyboardInterrupt):
            store.assign([2], "a")
    assert heard == ["assign"] and store.labelled().tolist() == [1, 2]


def test_an_error_in_the_write_is_reported_not_hidden_by_a_held_interrupt(tmp_path):
    store = LabelStore(tmp_path / "e.embedviz.db", n=N)
    store.assign([1], "a", create=True)

    def fail(*_args, **_kwargs):
        signal.raise_signal(signal.SIGINT)
        raise RuntimeError("disk full")

    with mock.patch.object(EventLog, "append", fail):
        with pytest.raises(RuntimeError, match="disk full"):
            store.assign([2], "a")
    assert store.labelled().tolist() == [1] and _agrees_with_its_file(store)
