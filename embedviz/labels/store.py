"""LabelStore: durable, undoable point labels in a SQLite file (an append-only event log).

Design decisions (see the modules named for details):

- The file holds an append-only log of events (:mod:`.events`); the current labels are a
  pure function of it, kept materialised in memory (:mod:`.state`) so reads never query SQLite.
  Snapshots of that state (:mod:`.log`) bound the replay when a long log is reopened.
- Every event stores its exact effect (prior and new class of each touched point, class
  definitions before and after), so ``undo``/``redo`` work the same for every kind. Undo and
  redo are appended events too; a new event clears the redo stack (linear undo).
- Points are addressed by positional indices into the data; the store remembers the data's
  ids (:mod:`.ids`) and refuses other data, while appended rows keep existing labels.
- One writer, many readers: the writer holds an OS lock (:mod:`.lock`); readers open with
  ``readonly=True`` and see new events after :meth:`LabelStore.refresh`.
- Each write is one ``BEGIN IMMEDIATE`` transaction with ``synchronous=FULL`` in WAL mode: when
  a write method returns, its event is on disk and survives SIGKILL (and power loss).
- All methods take one re-entrant lock, so a background thread may read while another writes.
"""
from __future__ import annotations

import os
import sqlite3
import threading
import warnings
import weakref
import zlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from embedviz.labels import events as ev
from embedviz.labels import export, ops, schema
from embedviz.labels.errors import DataMismatchError, NotAStoreError, ReadOnlyError
from embedviz.labels.events import Change, Event
from embedviz.labels.ids import PointIds, appended_rows, encode_ids, normalize_ids
from embedviz.labels.interrupts import deferred_interrupts
from embedviz.labels.lock import WriterLock
from embedviz.labels.log import EventLog
from embedviz.labels.state import LabelState
from embedviz.labels.validate import as_positions, brief

ChangeCallback = Callable[[dict[str, Any]], None]
# Snapshot after this many events, or once the points touched since the last snapshot reach
# this multiple of n, so reopening replays a bounded log (replay: ~1 ms per 100k points).
_SNAPSHOT_EVERY_EVENTS = 2000
_SNAPSHOT_EVERY_POINTS = 20


class LabelStore:
    """Labels of ``n`` points, stored durably at ``path``.

    ``LabelStore(path, *, ids=None, n=None, fingerprint=None, readonly=False)``

    - A new file is created when ``path`` does not exist; it needs ``ids`` (e.g. ``df.index``)
      or ``n`` (positional ids ``0..n-1``).
    - An existing store opens as is when neither is given; with them, the data must have the
      same ids (rows appended at the end are fine, and start unlabelled).
    - ``fingerprint``: any string identifying the dataset (e.g. a content hash); a store made
      with one refuses to open for a different one.
    - ``readonly=True`` opens without taking the single-writer lock; call :meth:`refresh` to
      see the writer's new events.

    Write methods return the id of the event they appended (``create_label`` returns the
    label's name), or None when the request changed nothing. ``version`` is the id of the
    last event applied, so it only increases.

    Reads (memory only): ``classes``, ``colors``, ``codes()``, ``series()``, ``counts()``,
    ``labelled()``, ``history()``, ``can_undo``/``can_redo``, ``to_frame()``.
    Writes (one durable event each): ``create_label``, ``rename_label``, ``recolor_label``,
    ``merge_labels``, ``delete_label``, ``assign``, ``unassign``, ``import_labels``, ``undo``,
    ``redo``. Following others: ``refresh()``, ``poll()``, ``on_change()``.
    """

    def __init__(self, path: str | os.PathLike[str], *, ids: Any = None, n: int | None = None,
                 fingerprint: str | None = None, readonly: bool = False) -> None:
        self.path = Path(path).expanduser().resolve()
        if not self.path.parent.is_dir():
            raise FileNotFoundError(f"the folder {self.path.parent} does not exist; create it first")
        self.readonly = bool(readonly)
        given = normalize_ids(ids, n)
        self._user_index = ids if isinstance(ids, pd.Index) and not isinstance(ids, pd.RangeIndex) else None
        if fingerprint is not None and not isinstance(fingerprint, str):
            raise TypeError(f"fingerprint must be a string, got {type(fingerprint).__name__}")
        self._lock = threading.RLock()
        self._callbacks: list[ChangeCallback] = []
        self._pollers: list[threading.Event] = []
        self._codes_cache: tuple[tuple[int, int, int], np.ndarray] | None = None
        self._writer: WriterLock | None = None
        if self.path.exists():
            schema.check_header(self.path)
        elif self.readonly:
            raise FileNotFoundError(f"no label store at {self.path}; open it without readonly=True to create it")
        if not self.readonly:
            self._writer = WriterLock(self.path)
        try:
            self._open(given, fingerprint)
        except BaseException:
            self._release()
            raise
        self._finalizer = weakref.finalize(self, LabelStore._close_handles, self._log.conn, self._writer)

    # ---- opening ---------------------------------------------------------------
    def _open(self, given: PointIds | None, fingerprint: str | None) -> None:
        if not self.path.exists():
            if given is None:
                raise ValueError(
                    f"creating a new store at {self.path} needs the data's ids or size: "
                    "LabelStore(path, ids=df.index) or LabelStore(path, n=len(data))"
                )
            blob = None if given.index is None else encode_ids(given, 0)
            schema.create_file(self.path, id_kind=given.kind, n=given.n, fingerprint=fingerprint, ids_blob=blob)
        conn = schema.connect(self.path, readonly=self.readonly)
        self._log = EventLog(conn, self.path)
        meta = schema.read_meta(conn, self.path)
        schema.quick_check(conn, self.path)
        if not self.readonly:
            schema.set_writer_pragmas(conn)
        stored_fp = meta.get("fingerprint")
        if fingerprint is not None and stored_fp is not None and fingerprint != stored_fp:
            raise DataMismatchError(
                f"{self.path} was made for data with fingerprint {brief(stored_fp)}, not {brief(fingerprint)}; "
                "open the store that belongs to this data, or pass a new path"
            )
        self._fingerprint = stored_fp if stored_fp is not None else fingerprint
        try:  # read the whole state before writing anything, so a damaged file stays untouched
            stored = self._log.ids(meta["id_kind"], int(meta["n"]))
            self._state = self._log.latest_snapshot() or LabelState(0)
            self._state.grow(stored.n)
            self._replay_new_events()
        except (ValueError, KeyError, TypeError, IndexError, zlib.error, sqlite3.DatabaseError) as exc:
            raise NotAStoreError(f"{self.path} is damaged ({exc!r}); it was left untouched. "
                                 "Restore it from a backup, or pass a new path to start a new store") from exc
        extra = 0 if given is None else appended_rows(stored, given)
        self._ids = given if given is not None and given.kind == stored.kind else stored
        # Rows of a read-only view beyond the stored ones stay unlabelled: they were never
        # matched against the ids a writer may append later.
        self._trusted_n = stored.n if self.readonly else self._ids.n
        if not self.readonly:
            if fingerprint is not None and stored_fp is None:
                self._log.set_meta("fingerprint", fingerprint)
            if extra:
                self._log.append_ids(self._ids, stored.n)
        self._state.grow(max(stored.n, self._trusted_n))
        self._events_since_snapshot = self._points_since_snapshot = 0
        self._seen_data_version = self._log.data_version()

    def _replay_new_events(self) -> int:
        count = 0
        for event in self._log.events_after(self._state.last_event_id):
            self._state.replay(event, self._log.load)
            count += 1
        return count

    # ---- reading ---------------------------------------------------------------
    @property
    def n(self) -> int:
        """Number of points of the data this store was opened with."""
        return self._ids.n

    @property
    def fingerprint(self) -> str | None:
        """The string identifying the data this store was made for (None if it has none)."""
        return self._fingerprint

    @property
    def ids(self) -> pd.Index:
        """The point ids: the Index passed as ``ids`` (name and dtype kept), else the stored
        ids, or a RangeIndex for positional stores."""
        if self._user_index is not None and len(self._user_index) == self.n:
            return self._user_index
        return self._ids.as_index()

    @property
    def version(self) -> int:
        """Id of the last event applied; increases with every change (0 for an empty log)."""
        return self._state.last_event_id

    @property
    def classes(self) -> list[str]:
        """Label names in creation order; ``codes()`` indexes into this list."""
        with self._lock:
            return self._state.names()

    @property
    def label_ids(self) -> list[int]:
        """Stable ids of the labels, in ``classes`` order: a renamed label keeps its id, and a
        deleted label's id is never reused."""
        with self._lock:
            return sorted(self._state.classes)

    @property
    def names_by_id(self) -> dict[int, str]:
        """Stable label id -> current name, read at one moment (see :attr:`label_ids`)."""
        with self._lock:
            return {cid: d["name"] for cid, d in self._state.classes.items()}

    @property
    def colors(self) -> dict[str, str]:
        """Label name -> ``'#rrggbb'``."""
        with self._lock:
            return {d["name"]: d["color"] for _, d in sorted(self._state.classes.items())}

    def codes(self) -> np.ndarray:
        """Read-only int32 array of length ``n``: position in ``classes``, -1 when unlabelled."""
        with self._lock:
            key = (self._state.last_event_id, self.n, self._state.n)
            if self._codes_cache is None or self._codes_cache[0] != key:
                codes = np.full(self.n, -1, dtype=np.int32)
                trusted = min(self._trusted_n, self.n)
                codes[:trusted] = self._state.codes()[:trusted]
                codes.setflags(write=False)
                self._codes_cache = (key, codes)
            return self._codes_cache[1]

    def series(self, *, name: str = "label") -> pd.Series:
        """Categorical labels indexed by the point ids; NaN where unlabelled."""
        with self._lock:
            categories = pd.Index(self.classes, dtype=object)
            values = pd.Categorical.from_codes(self.codes(), categories=categories)
            return pd.Series(values, index=self.ids, name=name)

    def counts(self) -> pd.Series:
        """Points per label (zero for empty labels), in ``classes`` order."""
        with self._lock:
            codes = self.codes()
            counts = np.bincount(codes[codes >= 0], minlength=len(self.classes))
            return pd.Series(counts, index=pd.Index(self.classes, dtype=object), name="count")

    def labelled(self) -> np.ndarray:
        """Positional indices of the labelled points."""
        return np.flatnonzero(self.codes() >= 0)

    @property
    def can_undo(self) -> bool:
        return bool(self._state.undo_stack)

    @property
    def can_redo(self) -> bool:
        return bool(self._state.redo_stack)

    def history(self, *, include_undo: bool = True) -> list[dict[str, Any]]:
        """Events oldest first as dicts: id, time (UTC), kind, description, source, round,
        n_points, labels, and ``undone`` (True when undone, None for undo/redo entries)."""
        with self._lock:
            self._check_open()
            active = set(self._state.undo_stack)
            return export.history(self._log.summaries(), active, include_undo=include_undo)

    # ---- refreshing and notification -------------------------------------------
    def refresh(self) -> bool:
        """Apply events written by other connections since the last look; True if any."""
        with self._lock:
            self._check_open()
            version = self._log.data_version()
            if version == self._seen_data_version:
                return False
            self._seen_data_version = version
            self._state.grow(int(self._log.meta()["n"]))
            changed = self._replay_new_events() > 0
        if changed:
            self._notify({"version": self.version, "kind": "refresh", "description": "changes from another writer"})
        return changed

    def poll(self, *, every: float = 1.0) -> Callable[[], None]:
        """Call :meth:`refresh` every ``every`` seconds on a daemon thread, so a reader follows a
        writer in another process; ``on_change`` callbacks then run on that thread. Returns a
        function that stops polling; :meth:`close` stops it too."""
        if not every > 0:
            raise ValueError(f"every must be a positive number of seconds, got {every!r}")
        stop = threading.Event()
        store_ref = weakref.ref(self)

        def loop() -> None:
            while not stop.wait(every):
                store = store_ref()
                if store is None or store.closed:
                    return
                try:
                    store.refresh()
                except Exception as exc:  # report once and stop rather than spin on a broken file
                    warnings.warn(f"LabelStore polling of {store.path} stopped: {exc!r}", stacklevel=1)
                    return
                del store

        with self._lock:
            self._pollers.append(stop)
        threading.Thread(target=loop, name=f"LabelStore.poll({self.path.name})", daemon=True).start()
        return stop.set

    def on_change(self, callback: ChangeCallback) -> Callable[[], None]:
        """Call ``callback({'version', 'kind', 'description'})`` after every change seen by this
        store (its own writes, undo/redo, and ``refresh``); returns a function that unsubscribes."""
        if not callable(callback):
            raise TypeError("on_change needs a callable taking one dict argument")
        with self._lock:
            self._callbacks.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)

        return unsubscribe

    def _notify(self, info: dict[str, Any]) -> None:
        for callback in list(self._callbacks):
            try:
                callback(info)
            except Exception as exc:  # the event is committed; a bad callback must not hide that
                warnings.warn(f"LabelStore on_change callback {callback!r} failed: {exc!r}", stacklevel=3)

    # ---- writing ---------------------------------------------------------------
    def _commit(self, event: Event, load: Callable[[int], Event] | None = None) -> None:
        """Append ``event`` durably, then apply it in memory; caller holds ``self._lock``
        and holds Ctrl+C off (``_write``, ``_undo_redo``): file and memory never disagree."""
        event.id = self._log.append(event, expected_last=self._state.last_event_id)
        self._state.replay(event, load or self._log.load)
        self._seen_data_version = self._log.data_version()
        self._events_since_snapshot += 1
        self._points_since_snapshot += int(event.change.points.size)
        if (self._events_since_snapshot >= _SNAPSHOT_EVERY_EVENTS
                or self._points_since_snapshot >= _SNAPSHOT_EVERY_POINTS * max(self._state.n, 100_000)):
            self.snapshot()

    def _write(self, build: Callable[[], Event | None]) -> Event | None:
        """Build an event from the current state and commit it, then notify; None if no-op.
        A Ctrl+C meanwhile arrives after the subscribers heard of the change."""
        with deferred_interrupts():
            with self._lock:
                self._check_writable()
                event = build()
                if event is not None:
                    self._commit(event)
            if event is not None:
                what = ev.describe(event.kind, event.info)
                self._notify({"version": event.id, "kind": event.kind, "description": what})
        return event

    def _write_id(self, build: Callable[[], Event | None]) -> int | None:
        event = self._write(build)
        return None if event is None else event.id

    def _positions(self, indices: Any) -> np.ndarray:
        return as_positions(indices, self.n)

    def create_label(self, name: str, *, color: str | None = None) -> str:
        """Create a label (colour from the palette when None); returns its normalised name."""
        event = self._write(lambda: ops.build_create(self._state, name, color))
        assert event is not None
        return event.info["label"]

    def rename_label(self, old: str, new: str) -> int | None:
        """Rename a label; its points keep it."""
        return self._write_id(lambda: ops.build_rename(self._state, old, new))

    def recolor_label(self, name: str, color: str) -> int | None:
        """Change a label's colour (``'#rrggbb'``, ``'#rgb'`` or a CSS name)."""
        return self._write_id(lambda: ops.build_recolor(self._state, name, color))

    def merge_labels(self, sources: Sequence[str], into: str) -> int | None:
        """Move the points of ``sources`` to ``into`` and delete the sources; ``into`` may be new."""
        return self._write_id(lambda: ops.build_merge(self._state, sources, into))

    def delete_label(self, name: str) -> int | None:
        """Delete a label; its points become unlabelled (undo restores both)."""
        return self._write_id(lambda: ops.build_delete(self._state, name))

    def assign(self, indices: Any, label: str, *, source: str = "api", polygon: Any = None,
               round: int | None = None, create: bool = False) -> int | None:
        """Label the points at positional ``indices`` (ints or a boolean mask; duplicates are
        dropped). ``source`` is 'lasso', 'api', 'suggestion' or 'import'; ``polygon`` the lasso
        outline in map coordinates; ``round`` the retraining round. Unknown labels raise unless
        ``create=True``. Returns the event id, or None when nothing changed."""
        with self._lock:
            positions = self._positions(indices)
        return self._write_id(lambda: ops.build_assign(self._state, positions, label, source=source,
                                                    polygon=polygon, round=round, create=create))

    def unassign(self, indices: Any) -> int | None:
        """Remove the labels of the points at ``indices``; None when none was labelled."""
        with self._lock:
            positions = self._positions(indices)
        return self._write_id(lambda: ops.build_unassign(self._state, positions))

    def import_labels(self, values: Any, *, colors: Mapping[str, str] | None = None) -> int | None:
        """Set labels from a label column: a Series indexed by ids (aligned on them), any
        sequence of length ``n`` (positional), or a path to a file written by :meth:`export`.
        Missing values leave points unchanged; new labels are created (``colors`` or palette)."""
        if isinstance(values, (str, os.PathLike)):
            values, file_colors = export.read_labels(Path(values))
            colors = {**file_colors, **(colors or {})}
        with self._lock:
            positions, names = export.align_labels(values, self.ids, self.n)
        return self._write_id(lambda: ops.build_import(self._state, positions, names, colors=colors))

    def undo(self) -> str | None:
        """Undo the latest active event; returns what was undone, or None when nothing to undo."""
        return self._undo_redo(ev.UNDO)

    def redo(self) -> str | None:
        """Redo the latest undone event; None when nothing to redo (a new event clears redo)."""
        return self._undo_redo(ev.REDO)

    def _undo_redo(self, kind: str) -> str | None:
        with deferred_interrupts():  # as in _write: the subscribers hear of it first
            with self._lock:
                self._check_writable()
                stack = self._state.undo_stack if kind == ev.UNDO else self._state.redo_stack
                if not stack:
                    return None
                target = self._log.load(stack[-1])
                info = {"target": target.id, "what": ev.describe(target.kind, target.info)}
                event = Event(kind, info, Change(), target=target.id)
                self._commit(event, load=lambda _: target)
            what = ev.describe(kind, info)
            self._notify({"version": event.id, "kind": kind, "description": what})
        return what

    def snapshot(self) -> None:
        """Store the materialised state so reopening replays only newer events (writer only)."""
        with self._lock:
            self._check_writable()
            if self._state.last_event_id:
                self._log.write_snapshot(self._state)
            self._events_since_snapshot = self._points_since_snapshot = 0

    # ---- export ----------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """One row per point (index = ids): label, color, source, time, event, round."""
        with self._lock:
            self._check_open()
            return export.provenance_frame(self)

    def export(self, path: str | os.PathLike[str], *, format: str | None = None) -> Path:
        """Write :meth:`to_frame` as CSV, Parquet or JSON (chosen by ``format`` or the suffix)."""
        return export.write(self, Path(path), format=format)

    def _active_events(self) -> list[Event]:
        """Events in effect now, in order (for provenance); caller holds the lock."""
        return [self._log.load(i) for i in self._state.undo_stack]

    # ---- lifecycle ---------------------------------------------------------------
    def check(self) -> None:
        """Run SQLite's full ``integrity_check``; raises :class:`NotAStoreError` if damaged."""
        with self._lock:
            self._check_open()
            result = self._log.conn.execute("PRAGMA integrity_check").fetchall()
            if result != [("ok",)]:
                raise schema.NotAStoreError(f"{self.path} is damaged: {result[0][0]}")

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def close(self) -> None:
        """Snapshot (writer with new events), close the file and release the writer lock."""
        with self._lock:
            if self.closed:
                return
            for stop in self._pollers:
                stop.set()
            if not self.readonly and self._events_since_snapshot:
                self.snapshot()
            self._finalizer()

    def _release(self) -> None:
        log = getattr(self, "_log", None)
        LabelStore._close_handles(log.conn if log else None, self._writer)

    @staticmethod
    def _close_handles(conn: Any, writer: WriterLock | None) -> None:
        if conn is not None:
            conn.close()
        if writer is not None:
            writer.release()

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError(f"the LabelStore for {self.path} is closed; open it again")

    def _check_writable(self) -> None:
        self._check_open()
        if self.readonly:
            raise ReadOnlyError(f"{self.path} was opened with readonly=True; open it without to change labels")

    def __enter__(self) -> LabelStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else ("read-only" if self.readonly else "writer")
        return f"LabelStore({str(self.path)!r}, n={self.n}, classes={self.classes}, version={self.version}, {state})"
