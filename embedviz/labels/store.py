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

from embedviz.common import as_positions, brief, deferred_interrupts
from embedviz.labels import events as ev
from embedviz.labels import export, ops, schema
from embedviz.labels.errors import DataMismatchError, NotAStoreError, ReadOnlyError
from embedviz.labels.events import Change, Event
from embedviz.labels.ids import PointIds, appended_rows, encode_ids, normalize_ids
from embedviz.labels.lock import WriterLock
from embedviz.labels.log import EventLog
from embedviz.labels.state import LabelState

ChangeCallback = Callable[[dict[str, Any]], None]
# Snapshot after this many events, or once the points touched since the last snapshot reach
# this multiple of n, so reopening replays a bounded log (replay: ~1 ms per 100k points).
_SNAPSHOT_EVERY_EVENTS = 2000
_SNAPSHOT_EVERY_POINTS = 20


class LabelStore:
    """Labels of the points of one dataset, stored durably in a SQLite file at ``path``.

    Every change is one event appended to the file, on disk when the method returns, and
    undoable. Reads come from memory and never query the file.

    Parameters
    ----------
    path : str or os.PathLike
        The store file. A new store is created when it does not exist (its folder must).
    ids : array-like or pandas.Index, optional
        The data's point ids, e.g. ``df.index``; unique, one per row. Creating a store needs
        ``ids`` or ``n``. An existing store opens as is when neither is given; with them, the
        data must have the same ids (rows appended at the end are fine, and start unlabelled).
    n : int, optional
        Number of points, for positional ids ``0..n-1``; instead of ``ids``.
    fingerprint : str, optional
        Any string identifying the dataset (e.g. a content hash); a store made with one refuses
        to open for a different one.
    readonly : bool, default False
        Open without taking the single-writer lock, so any number of readers can follow one
        writer; call :meth:`refresh` (or :meth:`poll`) to see the writer's new events.

    Attributes
    ----------
    path : pathlib.Path
        The store file, absolute.
    readonly : bool
        Whether the store was opened with ``readonly=True`` (write methods then raise).

    Raises
    ------
    FileNotFoundError
        The folder of ``path`` does not exist, or ``readonly=True`` and there is no store yet.
    ValueError
        A new store without ``ids`` or ``n``; ``ids`` not unique; ``n`` and ``ids`` disagree.
    TypeError
        ``fingerprint`` is not a string, or ``ids`` are not a 1-D array of ids.
    NotAStoreError
        ``path`` is not a label store, or it is damaged; the file is left untouched.
    DataMismatchError
        The ids or the fingerprint are not those of the data the store was made for.
    StoreLockedError
        Another LabelStore, in this or another process, holds the store for writing.

    See Also
    --------
    embedviz.Explorer : The notebook widget that labels points with a lasso into a store.

    Notes
    -----
    Write methods (``create_label``, ``rename_label``, ``recolor_label``, ``merge_labels``,
    ``delete_label``, ``assign``, ``unassign``, ``import_labels``, ``undo``, ``redo``) append
    one durable event each and return its id (``create_label`` returns the label's name,
    ``undo``/``redo`` what they undid or redid), or None when the request changed nothing.
    :attr:`version` is the id of the last event applied, so it only increases. Undo and redo
    are linear: a new event clears the redo stack. All methods take one re-entrant lock, so a
    background thread may read while another writes. Use the store as a context manager, or
    call :meth:`close`, to release the writer lock.

    Examples
    --------
    >>> import os, tempfile
    >>> from embedviz import LabelStore
    >>> path = os.path.join(tempfile.mkdtemp(), "labels.db")
    >>> with LabelStore(path, ids=["a", "b", "c", "d"]) as store:
    ...     store.create_label("cat", color="#1f77b4")
    ...     store.assign([0, 2], "cat")
    ...     store.assign([True, False, False, True], "dog", create=True)
    ...     store.series().tolist()
    ...     store.undo()
    ...     store.counts().to_dict()
    'cat'
    2
    3
    ['dog', nan, 'cat', 'dog']
    "undo #3: assign 2 points to 'dog' (from Python)"
    {'cat': 2}

    A reader in another process (or thread) follows the writer without blocking it:

    >>> with LabelStore(path) as writer, LabelStore(path, readonly=True) as reader:
    ...     writer.unassign([2])
    ...     reader.refresh()
    ...     reader.labelled().tolist()
    5
    True
    [0]
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
    def classes(self) -> list[str]:
        """Label names in creation order; ``codes()`` indexes into this list."""
        with self._lock:
            return self._state.names()

    @property
    def label_ids(self) -> list[int]:
        """Stable ids of the labels, in :attr:`classes` order.

        A renamed label keeps its id, and a deleted label's id is never reused.
        """
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
        """Return the label code of every point.

        Returns
        -------
        numpy.ndarray
            Read-only int32 array of length :attr:`n`: the position of each point's label in
            :attr:`classes`, -1 when unlabelled.
        """
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
        """Return the labels as a categorical Series indexed by the point ids.

        Parameters
        ----------
        name : str, default "label"
            Name of the Series.

        Returns
        -------
        pandas.Series
            Categorical with categories :attr:`classes`, indexed by :attr:`ids`; NaN where
            unlabelled.
        """
        with self._lock:
            categories = pd.Index(self.classes, dtype=object)
            values = pd.Categorical.from_codes(self.codes(), categories=categories)
            return pd.Series(values, index=self.ids, name=name)

    def counts(self) -> pd.Series:
        """Count the points of each label.

        Returns
        -------
        pandas.Series
            Number of points of each label (zero for empty labels), indexed by label name in
            :attr:`classes` order, named ``"count"``.
        """
        with self._lock:
            codes = self.codes()
            counts = np.bincount(codes[codes >= 0], minlength=len(self.classes))
            return pd.Series(counts, index=pd.Index(self.classes, dtype=object), name="count")

    def labelled(self) -> np.ndarray:
        """Return the positions of the labelled points.

        Returns
        -------
        numpy.ndarray
            Sorted int64 positional indices of the points that have a label.
        """
        return np.flatnonzero(self.codes() >= 0)

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

    def create_label(self, name: str, *, color: str | None = None) -> str:
        """Create an empty label.

        Parameters
        ----------
        name : str
            The label's name; not blank, no leading or trailing whitespace.
        color : str, optional
            ``'#rrggbb'``, ``'#rgb'`` or a CSS colour name; None takes the next palette colour.

        Returns
        -------
        str
            The name as stored (Unicode NFC-normalised).

        Raises
        ------
        ValueError
            A label of that name exists, the name is blank or has control characters, or the
            colour is unknown, or the store is closed.
        TypeError
            ``name`` or ``color`` is not a string.
        ReadOnlyError
            The store was opened with ``readonly=True``.
        """
        event = self._write(lambda: ops.build_create(self._state, name, color))
        assert event is not None
        return event.info["label"]

    def rename_label(self, old: str, new: str) -> int | None:
        """Rename a label; its points keep it, and so do undo and export.

        Parameters
        ----------
        old : str
            The label's current name.
        new : str
            Its new name, not taken by another label.

        Returns
        -------
        int or None
            The id of the appended event.

        Raises
        ------
        UnknownLabelError
            No label is called ``old``.
        ValueError
            ``new`` is taken, is already the name or is not a valid name; or the store is
            closed.
        TypeError
            A name is not a string.
        ReadOnlyError
            The store was opened with ``readonly=True``.
        """
        return self._write_id(lambda: ops.build_rename(self._state, old, new))

    def recolor_label(self, name: str, color: str) -> int | None:
        """Change a label's colour.

        Parameters
        ----------
        name : str
            The label.
        color : str
            ``'#rrggbb'``, ``'#rgb'`` or a CSS colour name.

        Returns
        -------
        int or None
            The id of the appended event.

        Raises
        ------
        UnknownLabelError
            No label is called ``name``.
        ValueError
            The colour is unknown, or the store is closed.
        TypeError
            ``color`` is not a string.
        ReadOnlyError
            The store was opened with ``readonly=True``.
        """
        return self._write_id(lambda: ops.build_recolor(self._state, name, color))

    def merge_labels(self, sources: Sequence[str], into: str) -> int | None:
        """Move the points of ``sources`` to ``into`` and delete the sources.

        Parameters
        ----------
        sources : sequence of str
            The labels to merge; a non-empty list.
        into : str
            The label that receives their points; a new name creates it with the colour of
            the first source.

        Returns
        -------
        int or None
            The id of the appended event.

        Raises
        ------
        UnknownLabelError
            A source is not a label.
        TypeError
            ``sources`` is not a non-empty list of names.
        ValueError
            Every source is ``into``, a name is not valid, or the store is closed.
        ReadOnlyError
            The store was opened with ``readonly=True``.
        """
        return self._write_id(lambda: ops.build_merge(self._state, sources, into))

    def delete_label(self, name: str) -> int | None:
        """Delete a label; its points become unlabelled (undo restores both).

        Parameters
        ----------
        name : str
            The label to delete.

        Returns
        -------
        int or None
            The id of the appended event.

        Raises
        ------
        UnknownLabelError
            No label is called ``name``.
        ReadOnlyError
            The store was opened with ``readonly=True``.
        ValueError
            The store is closed.
        """
        return self._write_id(lambda: ops.build_delete(self._state, name))

    def assign(self, indices: Any, label: str, *, source: str = "api", polygon: Any = None,
               round: int | None = None, create: bool = False) -> int | None:
        """Give the points at positional ``indices`` the label ``label``.

        Parameters
        ----------
        indices : int, array-like of int, or array-like of bool
            Positions in ``0..n-1`` (duplicates are dropped), or a boolean mask of length
            :attr:`n`.
        label : str
            The label to give.
        source : {'api', 'lasso', 'suggestion', 'import'}, default 'api'
            Where the labels came from, kept as provenance (see :meth:`to_frame`).
        polygon : array-like of shape (m, 2), optional
            The lasso outline in map coordinates, kept with the event.
        round : int, optional
            The retraining round a suggestion came from (non-negative).
        create : bool, default False
            Create ``label`` when it does not exist, instead of raising.

        Returns
        -------
        int or None
            The id of the appended event, or None when every point already had the label.

        Raises
        ------
        UnknownLabelError
            ``label`` does not exist and ``create`` is False.
        IndexError
            An index is negative or not below :attr:`n`.
        TypeError
            The indices are not integers or booleans, or ``label`` is not a string.
        ValueError
            The mask has the wrong length, ``source``, ``round`` or ``polygon`` is invalid,
            or the store is closed.
        ReadOnlyError
            The store was opened with ``readonly=True``.
        """
        with self._lock:
            positions = self._positions(indices)
        return self._write_id(lambda: ops.build_assign(self._state, positions, label, source=source,
                                                    polygon=polygon, round=round, create=create))

    def unassign(self, indices: Any) -> int | None:
        """Remove the labels of the points at positional ``indices``.

        Parameters
        ----------
        indices : int, array-like of int, or array-like of bool
            Positions in ``0..n-1`` (duplicates are dropped), or a boolean mask of length
            :attr:`n`.

        Returns
        -------
        int or None
            The id of the appended event, or None when none of the points was labelled.

        Raises
        ------
        IndexError
            An index is negative or not below :attr:`n`.
        TypeError
            The indices are not integers or booleans.
        ValueError
            The mask has the wrong length, or the store is closed.
        ReadOnlyError
            The store was opened with ``readonly=True``.
        """
        with self._lock:
            positions = self._positions(indices)
        return self._write_id(lambda: ops.build_unassign(self._state, positions))

    def import_labels(self, values: Any, *, colors: Mapping[str, str] | None = None) -> int | None:
        """Set labels from a label column, creating the labels it names.

        Parameters
        ----------
        values : pandas.Series, pandas.DataFrame, sequence, str or os.PathLike
            A Series indexed by ids (aligned on :attr:`ids`), a DataFrame with a ``label``
            column, any sequence of length :attr:`n` (positional), or the path of a file
            written by :meth:`export`. Missing values leave their points unchanged.
        colors : mapping of str to str, optional
            Colours of new labels by name (they override a file's); other new labels take
            palette colours.

        Returns
        -------
        int or None
            The id of the appended event, or None when nothing changed.

        Raises
        ------
        DataMismatchError
            Some ids of ``values`` are not in this store's data.
        ValueError
            Duplicated ids, a sequence of the wrong length, a file that is not a label
            export, an invalid label name or colour, or the store is closed.
        ReadOnlyError
            The store was opened with ``readonly=True``.
        """
        if isinstance(values, (str, os.PathLike)):
            values, file_colors = export.read_labels(Path(values))
            colors = {**file_colors, **(colors or {})}
        with self._lock:
            positions, names = export.align_labels(values, self.ids, self.n)
        return self._write_id(lambda: ops.build_import(self._state, positions, names, colors=colors))

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

    # ---- export ----------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """Return the labels with their provenance, one row per point.

        Returns
        -------
        pandas.DataFrame
            Indexed by :attr:`ids` (named ``id``), with columns ``label`` (categorical),
            ``color``, ``source``, ``time`` (UTC), ``event`` (id) and ``round``, from the
            assign or import event that gave each point its label (empty when unlabelled).

        Raises
        ------
        ValueError
            The store is closed.
        """
        with self._lock:
            self._check_open()
            return export.provenance_frame(self, self._active_events())

    def export(self, path: str | os.PathLike[str], *, format: str | None = None) -> Path:
        """Write :meth:`to_frame` to a CSV, Parquet or JSON file.

        :meth:`import_labels` reads the file back. CSV has one row per point, so it leaves
        out labels with no points; JSON and Parquet keep every label and its colour.

        Parameters
        ----------
        path : str or os.PathLike
            The file to write.
        format : {'csv', 'parquet', 'json'}, optional
            The file format; None tells it from the suffix of ``path``.

        Returns
        -------
        pathlib.Path
            ``path``.

        Raises
        ------
        ValueError
            The format is not given and the suffix is not .csv, .parquet, .pq or .json, or
            the store is closed.

        Warns
        -----
        UserWarning
            A CSV export leaves out labels with no points.
        """
        return export.write(self, Path(path), format=format)

    def _active_events(self) -> list[Event]:
        """Events in effect now, in order (for provenance); caller holds the lock."""
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
