"""The durable side of :class:`~embedviz.labels.store.LabelStore`: its SQLite event log.

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
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from embedviz.common import as_positions, brief, deferred_interrupts
from embedviz.labels import events as ev
from embedviz.labels import export, schema
from embedviz.labels.errors import DataMismatchError, NotAStoreError, ReadOnlyError
from embedviz.labels.events import Change, Event
from embedviz.labels.ids import PointIds, appended_rows, encode_ids, normalize_ids
from embedviz.labels.lock import WriterLock
from embedviz.labels.log import EventLog
from embedviz.labels.state import LabelState

ChangeCallback = Callable[[dict[str, Any]], None]
_Store = TypeVar("_Store", bound="StoreFile")
# Snapshot after this many events, or once the points touched since the last snapshot reach
# this multiple of n, so reopening replays a bounded log (replay: ~1 ms per 100k points).
_SNAPSHOT_EVERY_EVENTS = 2000
_SNAPSHOT_EVERY_POINTS = 20


class StoreFile:
    """The event-log file under a :class:`~embedviz.labels.store.LabelStore`.

    It owns the file and everything about it: opening and checking it against the data,
    the single-writer lock, committing events durably, undo and redo, snapshots, following
    other writers (:meth:`refresh`, :meth:`poll`, :meth:`on_change`) and closing. It knows
    events, not labels: :class:`~embedviz.labels.store.LabelStore` adds the label reads and
    writes, and is the class to use (its docstring lists the parameters).

    Parameters
    ----------
    path : str or os.PathLike
        The store file.
    ids : array-like or pandas.Index, optional
        The data's point ids.
    n : int, optional
        Number of points, for positional ids.
    fingerprint : str, optional
        A string identifying the dataset.
    readonly : bool, default False
        Open without taking the single-writer lock.
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
        self._finalizer = weakref.finalize(self, StoreFile._close_handles, self._log.conn, self._writer)

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

    # ---- the data and the log ---------------------------------------------------------------
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
        """The point ids, one per row of the data, as a pandas Index.

        The Index passed as ``ids`` (name and dtype kept), else the stored ids, or a
        RangeIndex for a store made with ``n``.
        """
        if self._user_index is not None and len(self._user_index) == self.n:
            return self._user_index
        return self._ids.as_index()

    @property
    def version(self) -> int:
        """Id of the last event applied; increases with every change (0 for an empty log)."""
        return self._state.last_event_id

    @property
    def can_undo(self) -> bool:
        """Whether an event is in effect that :meth:`undo` would undo."""
        return bool(self._state.undo_stack)

    @property
    def can_redo(self) -> bool:
        """Whether an undone event is there for :meth:`redo` (a new event clears them)."""
        return bool(self._state.redo_stack)

    def history(self, *, include_undo: bool = True) -> list[dict[str, Any]]:
        """Every event of the log, oldest first, as readable dicts.

        Parameters
        ----------
        include_undo : bool, default True
            Also list the undo and redo events themselves.

        Returns
        -------
        list of dict
            One dict per event with keys ``id``, ``time`` (UTC datetime), ``kind``,
            ``description``, ``source``, ``round``, ``n_points``, ``target`` (the event an
            undo or redo acts on) and ``undone`` (True when undone, None for undo/redo
            entries).

        Raises
        ------
        ValueError
            The store is closed.
        """
        with self._lock:
            self._check_open()
            active = set(self._state.undo_stack)
            return export.history(self._log.summaries(), active, include_undo=include_undo)

    # ---- refreshing and notification -------------------------------------------
    def refresh(self) -> bool:
        """Apply the events other connections wrote since the last look.

        Returns
        -------
        bool
            True when there were new events; ``on_change`` callbacks then hear of them.

        Raises
        ------
        ValueError
            The store is closed.
        """
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
        """Call :meth:`refresh` every ``every`` seconds on a daemon thread.

        A reader follows a writer in another process this way; ``on_change`` callbacks then
        run on that thread. A failing refresh warns once and stops the polling.

        Parameters
        ----------
        every : float, default 1.0
            Seconds between two looks, more than zero.

        Returns
        -------
        callable
            A function of no arguments that stops polling; :meth:`close` stops it too.

        Raises
        ------
        ValueError
            ``every`` is not a positive number.
        """
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
        """Call ``callback`` after every change this store sees.

        Changes are its own writes, undo and redo, and the events :meth:`refresh` applies. A
        callback runs once the event is on disk; one that raises is reported as a warning.

        Parameters
        ----------
        callback : callable
            Called with one dict with keys ``version`` (the event id), ``kind`` and
            ``description``.

        Returns
        -------
        callable
            A function of no arguments that unsubscribes ``callback``.

        Raises
        ------
        TypeError
            ``callback`` is not callable.
        """
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

    def undo(self) -> str | None:
        """Undo the latest event in effect (appends an undo event).

        Returns
        -------
        str or None
            A description of what was undone, or None when there is nothing to undo.

        Raises
        ------
        ReadOnlyError
            The store was opened with ``readonly=True``.
        ValueError
            The store is closed.
        """
        return self._undo_redo(ev.UNDO)

    def redo(self) -> str | None:
        """Redo the latest undone event (appends a redo event).

        Returns
        -------
        str or None
            A description of what was redone, or None when there is nothing to redo (a new
            event clears what could be redone).

        Raises
        ------
        ReadOnlyError
            The store was opened with ``readonly=True``.
        ValueError
            The store is closed.
        """
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
        """Store the current state in the file, so reopening replays only newer events.

        The store does this by itself every few thousand events and on :meth:`close`.

        Raises
        ------
        ReadOnlyError
            The store was opened with ``readonly=True``.
        ValueError
            The store is closed.
        """
        with self._lock:
            self._check_writable()
            if self._state.last_event_id:
                self._log.write_snapshot(self._state)
            self._events_since_snapshot = self._points_since_snapshot = 0


    def events_in_effect(self) -> list[Event]:
        """The events in effect now (not undone), oldest first: what made the current labels.

        Returns
        -------
        list of Event
            The assign, import and label events in the order they were applied.

        Raises
        ------
        ValueError
            The store is closed.
        """
        with self._lock:
            self._check_open()
            return [self._log.load(i) for i in self._state.undo_stack]

    # ---- lifecycle ---------------------------------------------------------------
    def check(self) -> None:
        """Check the whole file with SQLite's ``integrity_check``.

        Raises
        ------
        NotAStoreError
            The file is damaged.
        ValueError
            The store is closed.
        """
        with self._lock:
            self._check_open()
            result = self._log.conn.execute("PRAGMA integrity_check").fetchall()
            if result != [("ok",)]:
                raise schema.NotAStoreError(f"{self.path} is damaged: {result[0][0]}")

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has run: the file is closed and the writer lock released."""
        return not self._finalizer.alive

    def close(self) -> None:
        """Close the file and release the writer lock; closing again does nothing.

        A writer with new events first stores a :meth:`snapshot`; polling stops.
        """
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
        StoreFile._close_handles(log.conn if log else None, self._writer)

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

    def __enter__(self: _Store) -> _Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
