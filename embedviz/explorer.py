"""The Explorer: the whole loop in one cell — map, lasso, label, retrain, the map updates.

This is the only module that wires the four sides together: compute (embed / knn / reduce /
cluster), the LabelStore, the Retrainer and the widgets. Each side stays usable alone.
"""
from __future__ import annotations

import threading
import time
import warnings
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import ipywidgets as W
import numpy as np
import pandas as pd

from .widget.colouring import NOVEL_AT, colour_options, colour_spec
from .dataset import ExplorerData, resolve_data, row_positions
from .signature import row_signature, signature_agrees
from .widget.charts import SideCharts
from .widget.controls import Controls
from .widget.label_bar import LabelBar
from .widget.panels import ItemRow, PreviewPanel, SelectionPanel
from .widget.styles import style_widget
from .labels.interrupts import deferred_interrupts
from .labels.validate import as_positions, brief, check_name


# The Explorer holding each label file in this kernel. Re-running the cell that makes an
# Explorer must not fail on the single-writer lock: the newer Explorer takes the file over.
_HOLDERS: "weakref.WeakValueDictionary[str, Explorer]" = weakref.WeakValueDictionary()


def _check_label_file(path: Any, data: ExplorerData) -> tuple[str, str | None]:
    """Fail fast, before any compute and without touching the Explorer that holds the file:
    ``path`` must be a file path, and an existing file must belong to this data, in this
    order. Returns the path and the fingerprint to open it with."""
    import os

    from .labels.errors import DataMismatchError
    from .labels.ids import POSITIONAL, normalize_ids
    from .labels.store import LabelStore

    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"labels= is the path of the SQLite label file (e.g. "
                        f"labels='my.embedviz.db'), got {type(path).__name__}.")
    positional = normalize_ids(data.ids).kind == POSITIONAL  # as the store decides
    cells = _identifying_cells(data)
    if not Path(path).expanduser().exists():
        fingerprint = row_signature(cells, data.embedding, data.n) if positional else None
        return str(path), fingerprint
    with LabelStore(path, ids=data.ids, readonly=True) as store:  # no writer lock taken
        stored, n_stored = store.fingerprint, store.n
    if not positional:
        return str(path), None  # the ids themselves tie labels to rows
    if stored is None:  # made before signatures: adopt this data's
        return str(path), row_signature(cells, data.embedding, min(n_stored, data.n))
    if signature_agrees(stored, cells, data.embedding) is False:
        raise DataMismatchError(
            f"{path} holds labels for rows in another order: most sampled rows of this data "
            "differ from the rows the labels were made for (sorted, shuffled or filtered?). "
            "Labels follow row positions when the data has the default index; pass the rows "
            "in their first order, give the frame an id column as its index before labelling, "
            "or pass a new labels= path.")
    return str(path), stored


def _identifying_cells(data: ExplorerData) -> pd.Series | None:
    """The column that says which item a row is: its text, else its image, else None
    (the embedding then stands for it)."""
    column = data.text_column or data.image_column
    return None if column is None else data.frame[column]


def _open_store(path: str, ids: np.ndarray, fingerprint: str | None, owner: "Explorer") -> Any:
    from .labels.store import LabelStore

    key = str(Path(path).expanduser().resolve())
    previous = _HOLDERS.get(key)
    if previous is not None and previous is not owner:
        previous._detach()
    store = LabelStore(path, ids=ids, fingerprint=fingerprint)
    _HOLDERS[key] = owner
    return store


@dataclass(eq=False)
class _Retrain:
    """One retrain: the labels it learns (stable ids and their names at the start; the model
    predicts positions in these lists), its own cancel and finished events, and its model."""

    label_ids: list[int]
    names: list[str]
    started: float
    job: Any = None
    cancel: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    applying: bool = False  # its model is going onto the map: too late to cancel
    model: Any = None
    error: BaseException | None = None

    def check(self) -> None:
        """Raise ``Cancelled`` once the retrain was cancelled."""
        if self.cancel.is_set():
            from .learn.jobs import Cancelled

            raise Cancelled("the retrain was cancelled")


def _check_color_by(color_by: str | None, frame: pd.DataFrame) -> None:
    options = colour_options(frame)
    if color_by is not None and color_by not in options:
        raise ValueError(f"color_by={color_by!r} is not a colouring of this data; pass one of "
                         f"{options} (columns with many distinct text values do not colour).")


class Explorer:
    """Explore ``data`` on a 2-D map, lasso points into labels and retrain in place.

    ``embedding``: a column name, an (n, d) array, or None to embed ``text`` (MiniLM) or
    ``image`` (with ``model=``). ``labels``: the SQLite label file (created if missing;
    reopening restores every label). Labels belong to the data's index: with a default
    RangeIndex that is the row position, so give reordered or filtered data an id index
    (rows appended at the end are fine either way). The Python API equals the UI: ``selection``,
    ``labels``, ``label()``, ``undo()``, ``redo()``, ``retrain()``, ``predictions``,
    ``suggestions``, ``candidates``, ``on_label()``.
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
    ) -> None:
        from .compute.cluster import cluster
        from .compute.knn import knn
        from .compute.reduce import reduce
        self._data: ExplorerData = resolve_data(data, embedding=embedding, text=text, image=image)
        labels, fingerprint = _check_label_file(labels, self._data)
        _check_color_by(color_by, self._data.frame)
        self._X = self._embedding(model=model, device=device, progress=progress)
        self._graph = knn(self._X, k=min(k, self._data.n - 1), device=device, progress=progress)
        self._xy = reduce(self._X, method=map_method, knn=self._graph, device=device,
                          random_state=random_state, progress=progress)
        # HDBSCAN finds the map's blobs best: 2.9 s on a 1e5-point map (hdbscan's Boruvka
        # tree, bench_compute); past 2e5 points the colouring uses torch k-means instead.
        method = "hdbscan" if self._data.n <= 200_000 else "kmeans"
        self._clusters = cluster(self._xy, method=method, device=device).labels
        self._store = _open_store(labels, self._data.ids, fingerprint, self)
        self._random_state = random_state
        self._device = device
        self._shown: _Retrain | None = None  # the retrain whose model is on the map
        self._suggestions: list[np.ndarray] = []
        self._candidates: list[np.ndarray] = []
        self._candidates_for: Any = None
        self._shown_candidate = -1
        self._discover_lock = threading.Lock()
        self._finish_event = threading.Event()  # the latest retrain's finished event
        self._retraining: _Retrain | None = None  # the latest retrain started
        self._replaced = False
        self._round = 0
        self._last_lasso: tuple[int, np.ndarray] | None = None  # (store version, points)
        self._label_callbacks: list[Callable[[dict], None]] = []
        self._active: str | None = self._store.classes[0] if self._store.classes else None
        self._lock = threading.RLock()
        self._build_ui(height=height, color_by=color_by)

    # ---- construction -------------------------------------------------------------
    def _embedding(self, *, model: Any, device: str, progress: bool) -> np.ndarray:
        if self._data.embedding is not None:
            return self._data.embedding
        from .compute.embed import embed

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
        from .widget.scatter import Scatter

        self.scatter = Scatter(self._xy, height=height, layout=W.Layout(width="100%"))
        self.scatter.on_select(lambda _sel: self._on_selection())
        self.scatter.on_hover(self._on_hover)
        self.scatter.on_key(self._on_key)
        self.bar = LabelBar(on_create=self._ui_create, on_pick=self._ui_pick,
                            on_assign=self._ui_assign, on_unassign=self._ui_unassign,
                            on_undo=lambda: self._ui_undo_redo(False),
                            on_redo=lambda: self._ui_undo_redo(True))
        self.controls = Controls(
            color_options=colour_options(self._data.frame),
            on_color_by=lambda _v: self._recolour(), on_search=self._ui_search,
            on_similar=self._ui_similar, on_retrain=self._ui_retrain,
            on_cancel=self._ui_cancel, on_new_class=self._ui_new_class,
            search_enabled=self._data.text_column is not None,
        )
        self.preview = PreviewPanel()
        self.selected = SelectionPanel()
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
    def predictions(self) -> pd.DataFrame | None:
        """After a retrain: predicted label, confidence, novelty per point (None before)."""
        shown = self._shown
        if shown is None:
            return None
        m, names = shown.model, np.asarray(self._names_now(shown), dtype=object)
        return pd.DataFrame(
            {"label": names[np.asarray(m.labels_, dtype=np.int64)], "confidence": m.confidence_,
             "novelty": m.novelty_},
            index=self._data.frame.index,
        )

    @property
    def _model(self) -> Any:
        """The model on the map (None before the first retrain)."""
        return None if self._shown is None else self._shown.model

    @property
    def suggestions(self) -> list[np.ndarray]:
        """After a retrain: where to lasso next, as groups of point positions."""
        return list(self._suggestions) if self._model is not None else []

    @property
    def candidates(self) -> list[np.ndarray]:
        """After a retrain: possible new classes (clusters of points that fit no label), as
        groups of point positions, most novel first; "New class?" selects them in turn."""
        return list(self._candidates_of(self._model)) if self._model is not None else []

    def retrain(self, *, wait: bool = True, timeout: float | None = None) -> "Explorer":
        """Learn from the labels, then update predictions, colours and the map.

        ``wait=False`` returns at once (the UI's Retrain button does this); the map updates
        when the work ends, and ``cancel_retrain()`` stops it. While waiting, an interrupt
        (Ctrl+C) cancels the retrain, and a retrain that failed or was cancelled raises.
        Past ``timeout`` seconds ``TimeoutError`` is raised and the retrain goes on.
        """
        run = self._start_retrain()
        if wait and run is not None:
            try:
                self._wait(run, timeout)
            except KeyboardInterrupt:  # Ctrl+C (interrupt the kernel) stops the retrain too
                self._cancel(run)
                raise
        return self

    def cancel_retrain(self) -> bool:
        """Stop the running retrain; labels and map stay as they were. Returns False when
        there is nothing to stop (no retrain, or its model is already on the map)."""
        return self._cancel(self._retraining)

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

    def _ensure_label(self, name: str, *, create: bool) -> str:
        clean = check_name(name.strip() if isinstance(name, str) else name)
        if clean in self._store.classes:
            return clean
        if not create:
            from .labels.errors import UnknownLabelError

            raise UnknownLabelError(clean, self._store.classes)
        with self._lock:
            self._store.create_label(clean)
        return clean

    def _after_label_change(self, event: dict) -> None:
        if self.controls.color_by.value == "label":
            self._recolour()          # first: the map is what the person is looking at
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

    # ---- UI handlers (each catches its errors into the status line) ----------------
    def _guard(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except Exception as exc:  # shown to the user instead of a traceback in the log
            self.controls.say(str(exc), kind="error")
            return None

    def _ui_create(self, name: str) -> None:
        def run() -> None:
            before = set(self._store.classes)
            self._active = self._ensure_label(name, create=True)
            self.bar.new_name.value = ""
            self._refresh_labels()
            key = self._store.classes.index(self._active) + 1
            how = f"press {key} or Assign" if key <= 9 else (
                "press Assign (keys 1-9 reach the first nine labels)")
            what = "is active" if self._active not in before else "already exists; it is active"
            self.controls.say(f"Label {brief(self._active)} {what}: lasso points, then {how}.")
        self._guard(run)

    def _ui_undo_redo(self, redo: bool) -> None:
        def run() -> None:
            last, self._last_lasso = self._last_lasso, None
            done = self.redo() if redo else self.undo()
            verb, action = ("Redone", "redo") if redo else ("Undone", "undo")
            again = ""
            if done and not redo and last is not None and self._store.version == last[0] + 1:
                self.selection = last[1]  # the lasso just undone: press the right number
                again = "; its points are selected again"
            what = str(done).split(": ", 1)[-1]  # "undo #12: assign …" -> "assign …"
            self.controls.say(f"{verb}: {what}{again}" if done else f"Nothing to {action}",
                              kind="ok" if done else "warn")
        self._guard(run)

    def _ui_pick(self, name: str) -> None:
        self._active = name
        self._refresh_labels()
        if len(self.selection):
            self._ui_assign()

    def _ui_assign(self, name: str | None = None) -> None:
        def run() -> None:
            target = name or self._active
            if target is None:
                raise ValueError("No label yet: type a name in 'new label…' and press Add.")
            sel = self.selection
            if sel.size == 0:
                raise ValueError("Nothing selected: lasso points on the map first.")
            before = self._store.version
            self.label(sel, target, create=False, source="lasso")
            # only a lasso that changed labels is one Ctrl+Z can hand back
            changed = self._store.version > before
            self._last_lasso = (self._store.version, sel) if changed else None
            self.selection = np.zeros(0, np.uint32)       # done with it: show the labels
            self.controls.say(f"{sel.size:,} points → {brief(target)} (Ctrl+Z undoes and selects "
                              "them again)", kind="ok")
        self._guard(run)

    def _ui_unassign(self) -> None:
        def run() -> None:
            sel = self.selection
            if sel.size == 0:
                raise ValueError("Nothing selected: lasso the points to unlabel first.")
            self.unlabel(sel)
            self.controls.say(f"labels removed from {sel.size:,} points", kind="ok")
        self._guard(run)

    def _on_key(self, key: str) -> None:
        if key.startswith("digit:"):
            i = int(key.split(":", 1)[1]) - 1
            classes = self._store.classes
            if i >= len(classes):
                self.controls.say(f"No label {i + 1} yet: create one with 'new label…'.", kind="warn")
                return
            self._active = classes[i]
            self._ui_assign(classes[i])
        elif key in ("undo", "redo"):
            self._ui_undo_redo(key == "redo")
        elif key == "delete":
            self._ui_unassign()

    def _ui_search(self, query: str) -> None:
        column = self._data.text_column
        if column is None or not query.strip():
            return
        found = self._data.frame[column].astype(str).str.contains(query, case=False, regex=False)
        hits = np.flatnonzero(found.to_numpy(dtype=bool)).astype(np.uint32)
        self.selection = hits
        self.controls.say(f"{hits.size:,} items contain '{query}'", kind="ok" if hits.size else "warn")

    def _ui_similar(self) -> None:
        sel = self.selection
        if sel.size == 0:
            self.controls.say("Select some points first; 'Similar' adds their graph neighbours.", kind="warn")
            return
        grown = np.union1d(sel, self._graph.indices[sel].ravel()).astype(np.uint32)
        self.selection = grown
        self.controls.say(f"{grown.size - sel.size:,} similar points added", kind="ok")

    def _ui_new_class(self) -> None:
        """Select the next candidate new class (a cluster of points that fit no label)."""
        found = self.candidates
        if not found:
            self.controls.say("No candidate new classes: retrain first, or every point fits a "
                              "label.", kind="warn")
            return
        unlabelled = self._store.codes() < 0  # skip what was labelled since the retrain
        for step in range(1, len(found) + 1):
            at = (self._shown_candidate + step) % len(found)
            picked = found[at][unlabelled[found[at]]]
            if picked.size:
                break
        else:
            self.controls.say("Every candidate new class is labelled now: press Retrain to "
                              "look again.", kind="warn")
            return
        self._shown_candidate = at
        self.selection = picked
        self.controls.say(
            f"Possible new class {at + 1} of {len(found)}: {picked.size:,} points that fit no "
            "label are selected. Type a name and press Add, then press its number to label "
            "them.", kind="ok")

    # ---- rows for panels ----------------------------------------------------------
    def _row(self, i: int) -> ItemRow:
        codes = self._store.codes()
        classes = self._store.classes
        label = classes[codes[i]] if codes[i] >= 0 else None
        d = self._data
        extra = None
        shown = self._shown
        if shown is not None:
            pred = self._names_now(shown)[int(shown.model.labels_[i])]
            extra = f"pred: {pred} ({shown.model.confidence_[i]:.2f})"
            if shown.model.novelty_[i] >= NOVEL_AT:  # grey on the map: say why
                extra += " · fits no label"
        return ItemRow(
            index=int(i), label=label, color=self._store.colors.get(label) if label else None,
            text=d.frame[d.text_column].iat[i] if d.text_column else None,
            image=d.frame[d.image_column].iat[i] if d.image_column else None, extra=extra,
        )

    def _on_hover(self, index: int) -> None:
        self.preview.show(self._row(index) if 0 <= index < self._data.n else None)

    def _on_selection(self) -> None:
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
                pred_codes=None if m is None else np.asarray(m.labels_),
                pred_names=None if shown is None else self._names_now(shown),
                confidence=None if m is None else np.asarray(m.confidence_),
                novelty=None if m is None else np.asarray(m.novelty_),
            )
            # no colour transition: a label should show the moment its key is pressed
            self.scatter.update(color=spec.values, categories=spec.categories,
                                palette=spec.palette, animate=False)

    # ---- retraining ---------------------------------------------------------------
    def _ui_retrain(self) -> None:
        self._guard(self._start_retrain)

    def _ui_cancel(self) -> None:
        self.cancel_retrain()

    def _running(self) -> bool:
        """Whether the latest retrain may still change the map (not cancelled, not finished)."""
        run = self._retraining
        return run is not None and not run.cancel.is_set() and not run.finished.is_set()

    def _progress_of(self, run: _Retrain) -> Callable[..., None]:
        """The progress callback of ``run``: it shows only while ``run`` is running."""
        def on_progress(fraction: float, message: str = "") -> None:
            with self._lock:
                if run is not self._retraining or not self._running():
                    return
                self.controls.progress.value = max(0.0, min(1.0, float(fraction)))
                if message:
                    self.controls.say(message)
        return on_progress

    def _start_retrain(self) -> _Retrain | None:
        """Start a retrain in the background (or hand back the one running); returns it."""
        from .learn.retrain import Retrainer

        if self._replaced:
            raise RuntimeError("This Explorer was replaced by a newer one on the same label "
                               "file; retrain in the newer one.")
        if self._running():
            self.controls.say("A retrain is already running (Cancel stops it).", kind="warn")
            return self._retraining
        y = self._store.codes().astype(np.int64)
        if not (y >= 0).any():
            raise ValueError("No labelled points yet: lasso points and press 1-9 (or call "
                             "ex.label(indices, name)) before retraining.")
        groups = self._store_groups()
        run = _Retrain(label_ids=self._store.label_ids, names=list(self._store.classes),
                       started=time.perf_counter())
        with self._lock:
            self._retraining, self._finish_event = run, run.finished
            self.controls.set_busy(True)
            self.controls.say("retraining…")
        try:
            model = Retrainer(method="auto", random_state=self._random_state)
            run.job = model.fit_async(self._X, y, knn=self._graph, groups=groups,
                                      on_progress=self._progress_of(run))
        except Exception as exc:  # nothing runs: free the widget for another go
            run.error = exc
            self._report_failure(run, exc)
            run.finished.set()
            raise
        run.job.add_done_callback(lambda _job: self._finish_retrain(run))
        return run

    def _wait(self, run: _Retrain, timeout: float | None) -> None:
        """Wait until ``run`` ends; raise its error (``Cancelled`` when it was cancelled)."""
        if not run.finished.wait(timeout):
            raise TimeoutError(f"the retrain did not finish within {timeout} s")
        if run.error is not None:
            raise run.error

    def _cancel(self, run: _Retrain | None) -> bool:
        """Cancel ``run`` unless its model is already going onto the map; only the latest
        retrain's cancel shows in the widget. The worker winds down on its own."""
        with self._lock:
            if run is None or run.applying or run.cancel.is_set() or run.finished.is_set():
                return False
            run.cancel.set()
            if run.job is not None:
                run.job.cancel()
            if run is self._retraining and not self._replaced:
                self.controls.set_busy(False)
                self.controls.say("Retrain cancelled; labels and map unchanged.", kind="warn")
            return True

    def _store_groups(self) -> np.ndarray:
        """The lasso (event id) that gave each point its label; -1 for unlabelled points."""
        event = self._store.to_frame()["event"]
        return event.fillna(-1).to_numpy(dtype=np.int64)

    def _finish_retrain(self, run: _Retrain) -> None:
        """Runs in the worker thread after the fit: update the map unless cancelled, then
        look for candidate new classes."""
        try:
            self._apply_model(run, *self._new_map(run))
        except Exception as exc:  # cancelled or failed: the labels and the map are untouched
            run.error = exc
            self._report_failure(run, exc)
        finally:
            run.finished.set()
        if run.model is not None:
            self._offer_candidates(run.model)  # after the map shows: the retrain does not wait

    def _new_map(self, run: _Retrain) -> tuple[Any, np.ndarray]:
        """The fitted model and the map re-projected with it; raises ``Cancelled`` when
        ``run`` is cancelled meanwhile."""
        from .compute.reduce import reduce

        model = run.job.result()
        run.check()
        self._progress_of(run)(0.9, "updating the map…")
        refined = model.transform(self._X)
        run.check()
        # the shared graph, re-weighted by the labels: no new neighbour search per round
        # (1e5 x 64 blobs, 2 cores: 13.8 s vs 41.3 s re-searching, trustworthiness to the
        # refined features 0.953 vs 0.955, the same 2% mean displacement).
        # 80 epochs from the previous layout: 3.0 s vs 10.1 s for the default 200 at 20k
        # points on 2 cores, same mean displacement (1.4% vs 1.8% of the map's diagonal).
        # Our torch UMAP at every size: umap-learn JIT-compiles its layout once per
        # process, so in a new kernel whose map came from the cache the first update took
        # 5.9 s on digits (0.33 s compiled); torch takes 0.15 s, trustworthiness 0.972 vs
        # 0.979, mean displacement 4.8% vs 4.2% of the diagonal.
        new_xy = reduce(refined, knn=model.refine_graph(), init=self._xy,
                        method="umap-torch", random_state=self._random_state,
                        device=self._device, progress=False, n_epochs=80)
        return model, new_xy

    def _report_failure(self, run: _Retrain, exc: Exception) -> None:
        """Say why ``run`` ended without a model, if it is still the one the widget shows
        (a cancel already said so itself)."""
        with self._lock:
            if run is not self._retraining or run.cancel.is_set() or self._replaced:
                return
            cancelled = type(exc).__name__ == "Cancelled"
            self.controls.say("Retrain cancelled; labels and map unchanged." if cancelled
                              else f"Retrain failed: {exc}", kind="warn" if cancelled else "error")
            self.controls.set_busy(False)

    def _offer_candidates(self, model: Any) -> None:
        """Cluster the points no label fits (in the worker), then show "New class?"."""
        try:
            found = self._candidates_of(model)
        except Exception:  # an optional hint: the round's status line stays as it is
            return
        if model is self._model:
            self.controls.offer_new_classes(len(found))

    def _candidates_of(self, model: Any) -> list[np.ndarray]:
        """``model.discover()``, computed once per model (the worker or the API, first wins)."""
        with self._discover_lock:
            if self._candidates_for is not model:
                self._candidates = [np.asarray(c, dtype=np.int64) for c in model.discover()]
                self._candidates_for = model
                self._shown_candidate = -1
            return self._candidates

    def _names_now(self, run: _Retrain) -> list[str]:
        """The current names of ``run``'s labels (its model predicts positions in them): a
        renamed label by its new name, one deleted since as "old name (deleted)"."""
        current = self._store.names_by_id
        return [current.get(i, f"{old} (deleted)") for i, old in zip(run.label_ids, run.names)]

    def _apply_model(self, run: _Retrain, model: Any, new_xy: np.ndarray) -> None:
        """Show ``run``'s model: predictions, colours, map and charts (raises ``Cancelled``
        when it was cancelled first). Under the lock, so a cancel comes before or after."""
        run.check()
        regions = model.suggest(n_regions=5, region_size=30)
        with self._lock:
            run.check()  # a cancel from here on comes too late: the map shows this model
            run.applying, run.model = True, model
            self._shown = run
            self._suggestions = [np.asarray(r.indices, dtype=np.int64) for r in regions]
            self._round += 1
            self._xy = np.asarray(new_xy, dtype=np.float32)
            self._show_round(model, time.perf_counter() - run.started)

    def _show_round(self, model: Any, seconds: float) -> None:
        self.scatter.xy = self._xy
        self.controls.color_by.value = "prediction"
        self._recolour()
        hl = np.unique(np.concatenate(self._suggestions)) if self._suggestions else np.zeros(0)
        self.scatter.highlight = hl.astype(np.uint32)
        score = float(model.cv_scores_.get(model.method_, np.nan))
        self.charts.add_round(self._round, score)
        self.charts.show_confidence(model.confidence_)
        self.controls.offer_new_classes(0)  # until this model's candidates are found
        self.controls.set_busy(False)
        novel = int((np.asarray(model.novelty_) >= NOVEL_AT).sum())
        fit_none = f" · {novel:,} points fit no label (grey)" if novel else ""
        self.controls.say(f"Round {self._round}: retrained in {seconds:.1f} s · predictions shown"
                          f"{fit_none} · {len(self._suggestions)} regions to label next are "
                          "highlighted", kind="ok")
