"""The Explorer: construction, the public API, labels, panels and colours."""
from __future__ import annotations

import threading
import warnings
from typing import Any, Callable

import ipywidgets as W
import numpy as np
import pandas as pd

from ..dataset import ExplorerData, resolve_data, row_positions
from ..labels.interrupts import deferred_interrupts
from ..labels.validate import as_positions, brief, check_name
from ..widget.charts import SideCharts
from ..widget.colouring import colour_options, colour_spec
from ..widget.controls import Controls
from ..widget.label_bar import LabelBar
from ..widget.panels import ItemRow, PreviewPanel, SelectionPanel
from ..widget.styles import style_widget
from .actions import LabelActions
from .label_file import check_label_file, open_store
from .retraining import Retraining, RetrainRun


def _check_color_by(color_by: str | None, frame: pd.DataFrame) -> None:
    options = colour_options(frame)
    if color_by is not None and color_by not in options:
        raise ValueError(f"color_by={color_by!r} is not a colouring of this data; pass one of "
                         f"{options} (columns with many distinct text values do not colour).")


class Explorer(LabelActions, Retraining):
    """Explore ``data`` on a 2-D map, lasso points into labels and retrain in place.

    ``embedding``: a column name, an (n, d) array, or None to embed ``text`` (MiniLM) or
    ``image`` (with ``model=``). ``labels``: the SQLite label file (created if missing;
    reopening restores every label). Labels belong to the data's index: with a default
    RangeIndex that is the row position, so give reordered or filtered data an id index
    (rows appended at the end are fine either way). The Python API equals the UI: ``selection``,
    ``labels``, ``label()``, ``undo()``, ``redo()``, ``retrain()``, ``predictions``,
    ``suggestions``, ``candidates``, ``on_label()``; ``model`` is the fitted ``Retrainer``
    and ``predict(new_rows)`` applies it to new data. ``drop_missing=True`` leaves out rows
    whose ``text`` is missing (by default they are refused, naming the rows).
    """

    def __init__(
        self,
        data: Any,
        *,
        embedding: Any = None,
        text: str | None = None,
        image: str | None = None,
        labels: str = "labels.embedviz.db",
        model: Any = None,
        k: int = 15,
        map_method: str = "umap",
        color_by: str | None = None,
        random_state: int | None = 0,
        device: str = "auto",
        progress: bool = True,
        height: int = 520,
        drop_missing: bool = False,
    ) -> None:
        from ..compute.cluster import cluster
        from ..compute.knn import knn
        from ..compute.reduce import reduce
        # every check that needs no compute comes first (data, label file, colour-by)
        self._data: ExplorerData = resolve_data(data, embedding=embedding, text=text, image=image,
                                                drop_missing=drop_missing)
        labels, fingerprint = check_label_file(labels, self._data)
        _check_color_by(color_by, self._data.frame)
        self._X = self._embedding(model=model, device=device, progress=progress)
        self._graph = knn(self._X, k=min(k, self._data.n - 1), device=device, progress=progress)
        self._xy = reduce(self._X, method=map_method, knn=self._graph, device=device,
                          random_state=random_state, progress=progress)
        # HDBSCAN finds the map's blobs best: 2.9 s on a 1e5-point map (hdbscan's Boruvka
        # tree, bench_compute); past 2e5 points the colouring uses torch k-means instead.
        method = "hdbscan" if self._data.n <= 200_000 else "kmeans"
        self._clusters = cluster(self._xy, method=method, device=device).labels
        self._store = open_store(labels, self._data.ids, fingerprint, self)
        self._random_state = random_state
        self._device = device
        self._encoder = model  # embeds new rows in predict() as the data was
        self._embedding_column = embedding if isinstance(embedding, str) else None
        self._shown: RetrainRun | None = None  # the retrain whose model is on the map
        self._suggestions: list[np.ndarray] = []
        self._candidates: list[np.ndarray] = []
        self._candidates_for: Any = None
        self._shown_candidate = -1
        self._suspects: list[Any] = []  # the shown model's SuspectGroups, by label name
        self._suspect_mask = np.zeros(self._data.n, dtype=bool)
        self._shown_suspect = -1
        self._discover_lock = threading.Lock()
        self._finish_event = threading.Event()  # the latest retrain's finished event
        self._retraining: RetrainRun | None = None  # the latest retrain started
        self._replaced = False
        self._round = 0
        # the last edit made in the UI, as (store version after it, "lasso" | "delete", its
        # points | its label): what an immediate Ctrl+Z hands back (a selection, the active label)
        self._last_edit: tuple[int, str, Any] | None = None
        self._label_callbacks: list[Callable[[dict], None]] = []
        self._active: str | None = self._store.classes[0] if self._store.classes else None
        self._lock = threading.RLock()
        self._build_ui(height=height, color_by=color_by)

    # ---- construction -------------------------------------------------------------
    def _embedding(self, *, model: Any, device: str, progress: bool) -> np.ndarray:
        if self._data.embedding is not None:
            return self._data.embedding
        from ..compute.embed import embed

        if self._data.text_column is not None:
            return embed(self._data.texts(), model=model, device=device, progress=progress)
        if model is None:
            raise ValueError(
                "Embedding images needs a model: pass model=(torch module, transform) or a "
                "callable, or pass embedding= with precomputed vectors."
            )
        images = self._data.frame[self._data.image_column].tolist()
        return embed(images, model=model, device=device, progress=progress)

    def _build_ui(self, *, height: int, color_by: str | None) -> None:
        from ..widget.scatter import Scatter

        # lasso by default: it is what the Explorer is for (P pans, the wheel zooms)
        self.scatter = Scatter(self._xy, height=height, tool="lasso",
                               layout=W.Layout(width="100%"))
        self.scatter.on_select(lambda _sel: self._on_selection(changed=True))
        self.scatter.on_hover(self._on_hover)
        self.scatter.on_key(self._on_key)
        self.bar = LabelBar(on_create=self._ui_create, on_pick=self._ui_pick,
                            on_assign=self._ui_assign, on_unassign=self._ui_unassign,
                            on_undo=lambda: self._ui_undo_redo(False),
                            on_redo=lambda: self._ui_undo_redo(True),
                            on_rename_start=self._ui_rename_start, on_rename=self._ui_rename,
                            on_delete=self._ui_delete)
        self.controls = Controls(
            color_options=colour_options(self._data.frame),
            on_color_by=self._ui_color_by, on_search=self._ui_search,
            on_similar=self._ui_similar, on_retrain=self._ui_retrain,
            on_cancel=self._ui_cancel, on_new_class=self._ui_new_class,
            on_check_labels=self._ui_check_labels,
            search_enabled=self._data.text_column is not None,
        )
        self.preview = PreviewPanel(rich=self._data.image_column is not None
                                    or self._data.text_column is not None)
        self.selected = SelectionPanel(grid=self._data.image_column is not None
                                       and self._data.text_column is None)
        self.charts = SideCharts()
        side = W.VBox([self.preview.widget, self.selected.widget, self.charts.counts,
                       self.charts.rounds, self.charts.confidence],
                      layout=W.Layout(width="340px", min_width="340px", overflow="auto",
                                      max_height=f"{height + 40}px"))
        side.add_class("ev-side")
        main = W.HBox([W.Box([self.scatter], layout=W.Layout(flex="1 1 0%", min_width="420px", width="100%")), side],
                      layout=W.Layout(align_items="flex-start"))
        main.add_class("ev-gap10")
        self.widget = W.VBox([style_widget(), self.bar.widget, self.controls.widget, main])
        self.widget.add_class("ev-explorer")
        self.widget.add_class("ev-key-scope")  # keys on its buttons act as on the map (JS)
        default = color_by or ("label" if self._store.classes else "cluster")
        self.controls.color_by.value = default if default in self.controls.color_by.options else "cluster"
        self._refresh_labels()
        self._recolour()
        missing = self._data.missing_images()
        if missing:
            self.controls.say(f"{missing:,} of {self._data.n:,} images could not be found; "
                              "their previews show a placeholder.", kind="warn")
        else:
            self.controls.say(self._summary())

    def _summary(self) -> str:
        n_lab = int((self._store.codes() >= 0).sum())
        return (f"{self._data.n:,} points · {len(self._store.classes)} labels · "
                f"{n_lab:,} labelled · lasso points, press 1-9 to label them")

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    # ---- public API ---------------------------------------------------------------
    @property
    def selection(self) -> np.ndarray:
        """Indices (positions) of the selected points."""
        return np.asarray(self.scatter.selection, dtype=np.int64)

    @selection.setter
    def selection(self, indices: Any) -> None:
        self.scatter.selection = self._positions(indices)

    @property
    def labels(self) -> pd.Series:
        """The current label of every point (NaN when unlabelled), indexed by the data's index."""
        return self._store.series()

    @property
    def store(self) -> Any:
        return self._store

    @property
    def xy(self) -> np.ndarray:
        return self._xy

    @property
    def graph(self) -> Any:
        return self._graph

    def label(self, indices: Any, name: str, *, create: bool = True, source: str = "api") -> None:
        """Give ``name`` to the points at ``indices`` (creating the label when ``create``).

        ``indices``: positions (as ``selection`` gives), a boolean mask (array or Series), or
        a pandas Index of the data's row labels (``df.index[mask]``).
        """
        idx = self._positions(indices)  # first: a call with bad indices creates no label
        with deferred_interrupts():  # a Ctrl+C arrives once the widget shows the change
            name = self._ensure_label(name, create=create)
            with self._lock:
                self._store.assign(idx, name, source=source, round=self._round)
            self._active = name
            if self.controls.color_by.value != "label":
                self.controls.color_by.value = "label"       # labelling shows the labels
            self._after_label_change({"kind": "assign", "label": name, "n": int(idx.size)})

    def rename_label(self, old: str, new: str) -> str:
        """Rename label ``old`` to ``new``: its points, colour, key and predictions follow.
        Returns the name as stored (trimmed); ``undo()`` takes it back."""
        with deferred_interrupts():
            stored = self._clean_name(new)
            twin = self._case_twin(stored, besides=old)
            if twin is not None:  # "Zero" beside "zero": two chips the eye cannot tell apart
                raise ValueError(f"a label called {brief(twin)} already exists (the names "
                                 "differ only in case); pick another name")
            with self._lock:
                self._store.rename_label(old, stored)  # an unknown or taken name raises here
            if self._active == old:
                self._active = stored
            self._after_label_change({"kind": "rename", "label": stored, "old": old})
        return stored

    def delete_label(self, name: str) -> None:
        """Delete label ``name``; its points become unlabelled. ``undo()`` restores both."""
        with deferred_interrupts():
            with self._lock:
                self._store.delete_label(name)
            self._after_label_change({"kind": "delete", "label": name})

    def unlabel(self, indices: Any) -> None:
        """Remove the labels of the points at ``indices`` (as for :meth:`label`)."""
        idx = self._positions(indices)
        with deferred_interrupts():
            with self._lock:
                self._store.unassign(idx)
            self._after_label_change({"kind": "unassign"})

    def undo(self) -> Any:
        with deferred_interrupts():
            with self._lock:
                done = self._store.undo()
            self._after_label_change({"kind": "undo", "what": done})
        return done

    def redo(self) -> Any:
        with deferred_interrupts():
            with self._lock:
                done = self._store.redo()
            self._after_label_change({"kind": "redo", "what": done})
        return done

    def on_label(self, callback: Callable[[dict], None]) -> None:
        """Call ``callback(event_dict)`` after every label change (UI or API). A callback
        that raises is reported as a warning: the label change itself is saved."""
        if not callable(callback):
            raise TypeError(f"on_label needs a function of one argument (the event dict), "
                            f"got {type(callback).__name__}.")
        self._label_callbacks.append(callback)

    @property
    def _model(self) -> Any:
        """The model on the map (None before the first retrain)."""
        return None if self._shown is None else self._shown.model

    @property
    def suggestions(self) -> list[np.ndarray]:
        """After a retrain: where to lasso next, as groups of point positions."""
        return list(self._suggestions) if self._model is not None else []

    @property
    def suspects(self) -> list[Any]:
        """After a retrain: labels that look wrong, as ``SuspectGroup``s (``indices``: point
        positions, ``given`` and ``predicted``: label names), biggest group first; "Check
        labels" selects them in turn."""
        return list(self._suspects) if self._model is not None else []

    @property
    def candidates(self) -> list[np.ndarray]:
        """After a retrain: possible new classes (clusters of points that fit no label), as
        groups of point positions, most novel first; "New class?" selects them in turn."""
        return list(self._candidates_of(self._model)) if self._model is not None else []

    def _detach(self) -> None:
        """A newer Explorer took this label file over: close ours, say so in the widget."""
        with self._lock:  # after any map update under way, and before none can follow
            self._replaced = True
            self.cancel_retrain()
            self._store.close()
            if hasattr(self, "controls"):
                self.controls.say("This Explorer was replaced by a newer one on the same label "
                                  "file; use the newer one (labels are safe on disk).",
                                  kind="warn")

    # ---- label helpers ------------------------------------------------------------
    def _positions(self, indices: Any) -> np.ndarray:
        """Validated, sorted positions (see :meth:`label` for what ``indices`` may be)."""
        return as_positions(row_positions(indices, self._data.frame.index), self._data.n)

    @staticmethod
    def _clean_name(name: Any) -> str:
        """A typed label name as the store keeps it (trimmed, checked, NFC)."""
        return check_name(name.strip() if isinstance(name, str) else name)

    def _case_twin(self, name: str, *, besides: str | None = None) -> str | None:
        """The label, other than ``name`` itself and ``besides``, whose name differs from
        ``name`` only in case; None when there is none. (An exact clash the store reports.)"""
        folded = name.casefold()
        return next((c for c in self._store.classes
                     if c not in (name, besides) and c.casefold() == folded), None)

    def _ensure_label(self, name: str, *, create: bool) -> str:
        clean = self._clean_name(name)
        if clean in self._store.classes:
            return clean
        if not create:
            from ..labels.errors import UnknownLabelError

            raise UnknownLabelError(clean, self._store.classes)
        with self._lock:
            self._store.create_label(clean)
        return clean

    def _after_label_change(self, event: dict) -> None:
        # first: the map is what the person is looking at (predictions show label names too)
        if self.controls.color_by.value == "label" or event["kind"] in ("rename", "delete"):
            self._recolour()
        self._refresh_labels()
        self._on_selection()
        for cb in list(self._label_callbacks):
            try:
                cb(event)
            except Exception as exc:  # the change is committed: do not report it as failed
                warnings.warn(f"the on_label callback {getattr(cb, '__name__', cb)!r} raised "
                              f"{type(exc).__name__}: {exc}; the label change itself is saved.",
                              RuntimeWarning, stacklevel=2)

    def _refresh_labels(self) -> None:
        classes = self._store.classes
        if self._active not in classes:
            self._active = classes[0] if classes else None
        counts = self._store.counts()
        self.bar.update(classes, self._store.colors, counts, self._active,
                        can_undo=self._store.can_undo, can_redo=self._store.can_redo)
        self.charts.show_counts(classes, [int(counts.get(c, 0)) for c in classes],
                                [self._store.colors[c] for c in classes])

    # ---- rows for panels ----------------------------------------------------------
    def _row(self, i: int) -> ItemRow:
        codes = self._store.codes()
        classes = self._store.classes
        label = classes[codes[i]] if codes[i] >= 0 else None
        d = self._data
        extra = None
        shown = self._shown
        if shown is not None:
            m = shown.model
            pred = self._names_now(shown)[int(m.nearest_[i])]
            if m.novelty_[i] >= m.novelty_threshold:  # grey on the map (transduction_ -1)
                extra = f"fits no label (nearest: {pred})"
            else:
                extra = f"pred: {pred} ({m.confidence_[i]:.2f})"
                if self._suspect_mask[i] and label is not None and label != pred:
                    extra += " · label looks wrong"
        return ItemRow(
            index=int(i), label=label, color=self._store.colors.get(label) if label else None,
            text=d.frame[d.text_column].iat[i] if d.text_column else None,
            image=d.frame[d.image_column].iat[i] if d.image_column else None, extra=extra,
        )

    def _on_hover(self, index: int) -> None:
        self.preview.show(self._row(index) if 0 <= index < self._data.n else None)

    def _drop_stale(self, *, selection_changed: bool = False) -> None:
        if self.controls.clear_stale(selection_changed=selection_changed):
            self.controls.say(self._summary())  # what is here and what to do, not a blank

    def _ui_color_by(self, _value: str) -> None:
        self._drop_stale()
        self._recolour()

    def _on_selection(self, changed: bool = False) -> None:
        """Show the selected items (``changed``: the selection itself, not its labels)."""
        self._drop_stale(selection_changed=changed)
        sel = self.selection
        self.selected.show([self._row(int(i)) for i in sel[: self.selected.limit]], int(sel.size))

    # ---- colours ------------------------------------------------------------------
    def _recolour(self) -> None:
        """Colour the map by the dropdown's choice. Under the lock: the worker showing a new
        model recolours too, and the last to read the dropdown must be the last to paint."""
        with self._lock:
            shown = self._shown
            m = None if shown is None else shown.model
            spec = colour_spec(
                self.controls.color_by.value, self._data.frame,
                label_codes=self._store.codes(), label_names=self._store.classes,
                label_colors=self._store.colors, clusters=self._clusters,
                pred_codes=None if m is None else np.asarray(m.nearest_),
                pred_names=None if shown is None else self._names_now(shown),
                confidence=None if m is None else np.asarray(m.confidence_),
                novelty=None if m is None else np.asarray(m.novelty_),
                **({} if m is None else {"novel_at": m.novelty_threshold}),
            )
            # no colour transition: a label should show the moment its key is pressed
            self.scatter.update(color=spec.values, categories=spec.categories,
                                palette=spec.palette, animate=False)
