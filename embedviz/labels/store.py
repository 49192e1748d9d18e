"""LabelStore: durable, undoable point labels in a SQLite file (an append-only event log).

The file, its log, undo/redo and the following of other writers live in
:mod:`embedviz.labels.store_file` (:class:`~embedviz.labels.store_file.StoreFile`); this
module adds what makes them labels: the label reads, the label writes and the export.
"""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from embedviz.labels import export, ops
from embedviz.labels.store_file import StoreFile

__all__ = ["LabelStore"]

class LabelStore(StoreFile):
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

    # ---- label reads ----------------------------------------------------------
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

    # ---- label writes ---------------------------------------------------------
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
            return export.provenance_frame(self, self.events_in_effect())

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

    def __repr__(self) -> str:
        state = "closed" if self.closed else ("read-only" if self.readonly else "writer")
        return f"LabelStore({str(self.path)!r}, n={self.n}, classes={self.classes}, version={self.version}, {state})"
