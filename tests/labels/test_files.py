"""Files that are not stores, or are damaged, are refused and never modified."""
from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from embedviz.labels import LabelStore, NotAStoreError


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _assert_refused(path: Path, match: str, *, n: int | None = 10) -> None:
    before = _digest(path)
    for readonly in (False, True):
        with pytest.raises(NotAStoreError, match=match):
            LabelStore(path, n=n, readonly=readonly)
    assert _digest(path) == before


def test_text_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("my precious notes\n" * 100)
    _assert_refused(path, "not a SQLite database.*left untouched")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    _assert_refused(path, "empty file")


def test_other_sqlite_database(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    conn.close()
    _assert_refused(path, "without embedviz tables")
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_directory(tmp_path):
    with pytest.raises(NotAStoreError, match="directory"):
        LabelStore(tmp_path, n=3)


def _make_store(path: Path) -> None:
    with LabelStore(path, n=5000) as s:
        for k in range(20):
            s.assign(list(range(k * 200, k * 200 + 150)), f"label{k % 4}", create=True)


@pytest.mark.parametrize("damage", ["truncate", "garbage_pages", "header"])
def test_corrupted_store(tmp_path, damage):
    path = tmp_path / "s.embedviz.db"
    _make_store(path)
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2 + 123]
    elif damage == "garbage_pages":
        page = 4096
        for p in range(1, len(data) // page):
            data[p * page: p * page + 64] = b"\xa5" * 64
    else:
        data[0:16] = b"not sqlite at all"[:16]
    path.write_bytes(bytes(data))
    _assert_refused(path, "not an embedviz label store")


def test_readonly_needs_existing_file(store_path):
    with pytest.raises(FileNotFoundError, match="without readonly=True"):
        LabelStore(store_path, readonly=True)
    assert not store_path.exists()


def test_check_passes_on_healthy_store(store_path):
    _make_store(store_path)
    with LabelStore(store_path) as s:
        s.check()


def test_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist; create it first"):
        LabelStore(tmp_path / "nope" / "s.embedviz.db", n=3)


def test_creation_is_atomic_and_leaves_no_temporary_files(store_path):
    LabelStore(store_path, n=3).close()
    leftovers = sorted(p.name for p in store_path.parent.iterdir())
    assert leftovers == ["labels.embedviz.db", "labels.embedviz.db-lock"]
    conn = sqlite3.connect(store_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


@pytest.mark.parametrize("column, value", [("payload", "{not json"), ("points", b"\x01\x02\x03"),
                                           ("kind", "undo")])
def test_damaged_event_rows(tmp_path, column, value):
    path = tmp_path / "s.embedviz.db"
    _make_store(path)
    conn = sqlite3.connect(path)
    conn.execute(f"UPDATE events SET {column} = ? WHERE id = 3", (value,))
    conn.execute("DELETE FROM snapshots")  # make opening replay the damaged event
    conn.commit()
    conn.close()
    _assert_refused(path, "damaged", n=None)


def test_damaged_event_behind_a_snapshot_fails_clearly_on_undo(tmp_path):
    path = tmp_path / "s.embedviz.db"
    _make_store(path)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE events SET payload = '{' WHERE id = 20")
    conn.commit()
    conn.close()
    with LabelStore(path) as store:
        version = store.version
        with pytest.raises(NotAStoreError, match="event #20 cannot be read"):
            store.undo()
        assert store.version == version  # nothing was appended


def test_damaged_ids(tmp_path):
    path = tmp_path / "s.embedviz.db"
    LabelStore(path, ids=["a", "b", "c"]).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE ids SET data = ?", (b"\x00not json",))
    conn.commit()
    conn.close()
    _assert_refused(path, "damaged", n=None)
