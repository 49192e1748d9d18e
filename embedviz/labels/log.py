"""SQL access to one store file: appending events, reading them back, snapshots, ids, meta.

No business logic lives here; :mod:`embedviz.labels.store` decides what to write.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

from embedviz.labels.errors import LabelStoreError, NotAStoreError
from embedviz.labels.events import Event, from_row, to_row
from embedviz.labels.ids import PointIds, decode_ids, encode_ids
from embedviz.labels.state import LabelState

_EVENT_COLUMNS = "id, time, kind, target, payload, points, prior, after"


class EventLog:
    """The tables of one open store file, behind a single connection."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    # ---- writing ---------------------------------------------------------------
    def _write(self, statements: list[tuple[str, tuple]], *, expected_last: int | None = None) -> int | None:
        """Run statements in one ``BEGIN IMMEDIATE`` transaction; returns the last rowid."""
        conn = self.conn
        try:  # BEGIN inside: an error (or interrupt) right after it must roll back too
            conn.execute("BEGIN IMMEDIATE")
            if expected_last is not None:
                (last,) = conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()
                if last != expected_last:
                    raise LabelStoreError(
                        f"{self.path} was changed by another writer (event #{last}, expected #{expected_last}); "
                        "reopen the store"
                    )
            rowid = None
            for sql, params in statements:
                rowid = conn.execute(sql, params).lastrowid
            conn.execute("COMMIT")  # returns only once the WAL is fsynced (synchronous=FULL)
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return rowid

    def append(self, event: Event, *, expected_last: int) -> int:
        """Append ``event`` durably; returns its id once committed."""
        sql = "INSERT INTO events(time, kind, target, payload, points, prior, after) VALUES (?,?,?,?,?,?,?)"
        event_id = self._write([(sql, to_row(event))], expected_last=expected_last)
        assert event_id is not None
        return int(event_id)

    def append_ids(self, ids: PointIds, start: int) -> None:
        """Record rows appended to the data (ids from ``start`` on) and the new point count."""
        statements: list[tuple[str, tuple]] = []
        if ids.index is not None:
            statements.append(("INSERT INTO ids(start, data) VALUES (?, ?)", (start, encode_ids(ids, start))))
        statements.append(("UPDATE meta SET value=? WHERE key='n'", (str(ids.n),)))
        self._write(statements)

    def set_meta(self, key: str, value: str) -> None:
        self._write([("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))])

    def write_snapshot(self, state: LabelState) -> None:
        """Store ``state`` and drop older snapshots (they are a cache, not part of the log)."""
        event_id, meta, blob = state.to_snapshot()
        self._write([
            ("INSERT OR REPLACE INTO snapshots(event_id, state, codes) VALUES (?,?,?)", (event_id, meta, blob)),
            ("DELETE FROM snapshots WHERE event_id < ?", (event_id,)),
        ])

    # ---- reading ---------------------------------------------------------------
    def meta(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT key, value FROM meta").fetchall())

    def ids(self, kind: str, n: int) -> PointIds:
        blobs = [r[0] for r in self.conn.execute("SELECT data FROM ids ORDER BY start")]
        return decode_ids(kind, blobs, n)

    def events_after(self, event_id: int) -> Iterator[Event]:
        rows = self.conn.execute(f"SELECT {_EVENT_COLUMNS} FROM events WHERE id > ? ORDER BY id", (event_id,))
        for row in rows.fetchall():  # fetch all: the transaction is not held open by a generator
            yield from_row(row)

    def load(self, event_id: int) -> Event:
        row = self.conn.execute(f"SELECT {_EVENT_COLUMNS} FROM events WHERE id = ?", (event_id,)).fetchone()
        if row is None:
            raise NotAStoreError(f"{self.path} is damaged: event #{event_id} is missing")
        try:
            return from_row(row)
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise NotAStoreError(f"{self.path} is damaged: event #{event_id} cannot be read ({exc!r})") from exc

    def summaries(self) -> list[tuple[int, float, str, int | None, str]]:
        """(id, time, kind, target, payload) of every event, without the point blobs."""
        return self.conn.execute("SELECT id, time, kind, target, payload FROM events ORDER BY id").fetchall()

    def latest_snapshot(self) -> LabelState | None:
        row = self.conn.execute(
            "SELECT event_id, state, codes FROM snapshots ORDER BY event_id DESC LIMIT 1").fetchone()
        return None if row is None else LabelState.from_snapshot(*row)

    def last_event_id(self) -> int:
        return int(self.conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0])

    def data_version(self) -> int:
        """Changes when *another* connection commits (cheap polling for readers)."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])
