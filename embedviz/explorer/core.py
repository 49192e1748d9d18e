"""The Explorer: construction, the public API, labels, panels and colours.

The Explorer composes collaborators, each owning its state: :class:`ExplorerView` (what the
one widget shows), :class:`LabelActions` (what the label bar, keys and buttons do, and the
last edit an undo hands back), :class:`Retraining` (the runs, the predictions shown and what
the model found), :class:`Meaning` (search and the named regions of the map) and
:class:`Panels` (the map's colours and what the preview and selection show). What they
share is one :class:`Session` (data, embedding, graph, store, settings, lock, map, widgets,
active label) with public fields; what they ask of the Explorer is passed to them as
callbacks (recolour, redraw the labels, select). None reads the Explorer's private state.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..common import as_positions, brief, deferred_interrupts
from ..widget.colouring import colour_options
from .actions import LabelActions
from .checks import check_color_by, check_precomputed
from .context import preview_columns, tooltips
from .dataset import ExplorerData, resolve_data, row_positions
from .label_file import check_label_file, open_store
from .label_names import case_twin, clean_name, ensure_label
from .meaning import Meaning
from .panels import Panels
from .retraining import Retraining
from .session import Session
from .view import ExplorerView

if TYPE_CHECKING:
    from ..compute.reduce import ReduceInfo
    from ..learn.retrain import Retrainer
    from .retraining import RetrainResult


class Explorer:
    """Explore ``data`` on a 2-D map, lasso points into labels and retrain in place.

    The Python API equals the UI: ``selection``, ``labels``, ``label()``, ``undo()``,
    ``redo()``, ``retrain()``, ``wait_retrain()``, ``predictions``, ``predict()``, ``model``,
    ``suggestions``, ``suspects``, ``candidates``, ``on_label()``, ``save_html()``,
    ``search()``, ``regions``. Displaying ``ex`` shows it in JupyterLab, Notebook 7, VS Code
    and Colab; in marimo, the last expression ``ex`` (or ``mo.ui.anywidget(ex.widget)``).

    Parameters
    ----------
    data : DataFrame, or array-like of texts
        The items, one row each. Labels belong to the data's index: with a default
        RangeIndex that is the row position, so give reordered or filtered data an id index
        (rows appended at the end are fine either way). A path to a ``.parquet`` file or a
        folder of Parquet shards keeps only the embedding (``embedding=`` names its column,
        required) and the other small columns in memory; ``text`` and ``image`` cells are
        read from disk for previews, the selection panel and search.
    embedding : str or array-like of shape (n, d), optional
        A column of vectors, or the vectors; None embeds ``text`` (MiniLM) or ``image``
        (with ``model=``).
    text : str, optional
        The column of texts (previews, search, embedding when ``embedding`` is None).
    image : str, optional
        The column of images (thumbnails in previews; embedded with ``model=``).
    label_file : str or path-like, default "labels.embedviz.db"
        The SQLite label file: created if missing, and reopening restores every label.
        Its folder is checked before any compute.
    model : optional
        The encoder for ``text`` or ``image`` (see :func:`embedviz.embed`).
    k : int, default 15
        Neighbours of the shared kNN graph (map, clusters and retraining).
    map_method : str, default "umap"
        The map's method (see :func:`embedviz.reduce`).
    color_by : str, optional
        The colouring to start with: a data column, "cluster", "label", ...
    random_state : int or None, default 0
        Seed of the map, the clusters and every retrain; None for fresh randomness.
    device : str, default "auto"
        Torch device for every step (see :func:`embedviz.knn`); an accelerator that fails
        falls back to the CPU with a notice.
    progress : bool, default True
        Show progress bars while the map is built.
    height : int, default 460
        The map's height in pixels. The default keeps the label bar, the controls, the map
        and the side panels on one screen in JupyterLab on a 1280x800 laptop; the charts
        follow under the map.
    encoder : callable, optional
        For search by meaning over user-supplied embeddings: the function that embedded the
        data (``f(list_of_str) -> (b, d) array``); texts the Explorer embeds are searched
        with their own model.
    drop_missing : bool, default False
        Leave out rows whose ``text`` is missing (by default they are refused, naming them).
    preview : str or list of str, optional
        Data columns shown, as text, beside the text or image of the hovered point and of
        each selected point (e.g. ``preview=["name", "package"]``); the first one also
        heads the map's tooltip. By default: none for data with a ``text`` column (the
        tooltip shows the text); for data without one, the first three columns holding
        single values (not the image or the embedding), e.g. the true digit beside a digit
        thumbnail. ``[]`` shows none.
    xy : array-like of shape (n, 2), optional
        A map computed elsewhere (UMAP, t-SNE, ...): shown instead of computing one
        (``map_method`` is then unused). Retrains start from it.
    knn : KNNGraph, optional
        The neighbour graph of the embedding from :func:`embedviz.knn`, instead of
        computing one (``k`` is then unused).
    labels : str or path-like, optional
        The old name of ``label_file`` (a FutureWarning says so): ``ex.labels`` is the
        label Series, so the file's path has its own name.

    Attributes
    ----------
    map_info : ReduceInfo or None
        How the map was made: the algorithm that ran (umap-learn or the torch UMAP), its
        initialisation, device and why (see :func:`embedviz.reduce`); None when the map was
        given as ``xy=``.

    Raises
    ------
    ValueError, KeyError, TypeError
        For bad input (unknown columns, also in ``preview``, mismatched lengths, missing
        texts, a label file whose folder is missing), before any compute, with the fix in
        the message.

    Examples
    --------
    >>> import embedviz as ev                                        # doctest: +SKIP
    >>> from embedviz.demo_data import digits_frame                  # doctest: +SKIP
    >>> ex = ev.Explorer(digits_frame(), embedding="pixels", image="image",
    ...                  label_file="digits.embedviz.db")                # doctest: +SKIP
    >>> ex                                                           # doctest: +SKIP
    >>> from embedviz.demo_data import docstrings_frame              # doctest: +SKIP
    >>> ev.Explorer(docstrings_frame(), text="text", preview=["name", "package"],
    ...             label_file="docs.embedviz.db")                       # doctest: +SKIP
    """

    def __init__(
        self,
        data: Any,
        *,
        embedding: Any = None,
        text: str | None = None,
        image: str | None = None,
        label_file: str = "labels.embedviz.db",
        model: Any = None,
        k: int = 15,
        map_method: str = "umap",
        color_by: str | None = None,
        random_state: int | None = 0,
        device: str = "auto",
        progress: bool = True,
        height: int = 460,
        encoder: Any = None,
        drop_missing: bool = False,
        preview: str | list[str] | None = None,
        xy: Any = None,
        knn: Any = None,
        labels: Any = None,
    ) -> None:
        from ..compute.cluster import cluster
        from ..compute.knn import knn as knn_graph
        from ..compute.reduce import reduce
        # every check that needs no compute comes first (data, label file, colour-by)
        self._data: ExplorerData = resolve_data(data, embedding=embedding, text=text, image=image,
                                                drop_missing=drop_missing)
        preview_cols = preview_columns(preview, self._data,
                                       embedding if isinstance(embedding, str) else None)
        if labels is not None:  # the file's path under the name of the label Series
            warnings.warn("Explorer(labels=...) is now Explorer(label_file=...): ex.labels is "
                          "the label Series; labels= will be removed.", FutureWarning,
                          stacklevel=2)
            label_file = labels
        label_file, fingerprint = check_label_file(label_file, self._data)
        check_color_by(color_by, self._data.frame)
        given_xy, given_graph = check_precomputed(xy, knn, self._data.n)
        self._X = self._embedding(model=model, device=device, progress=progress)
        self._graph = given_graph if given_graph is not None else knn_graph(
            self._X, k=min(k, self._data.n - 1), device=device, progress=progress)
        self.map_info: ReduceInfo | None = None  # how the map was made (None: given as xy=)
        if given_xy is not None:
            xy_map = given_xy
        else:
            xy_map, self.map_info = reduce(self._X, method=map_method, knn=self._graph,
                                           device=device, random_state=random_state,
                                           progress=progress, return_info=True)
        # HDBSCAN finds the map's blobs best: 2.9 s on a 1e5-point map (hdbscan's Boruvka
        # tree, bench_compute); past 2e5 points the colouring uses torch k-means instead.
        method = "hdbscan" if self._data.n <= 200_000 else "kmeans"
        self._clusters = cluster(xy_map, method=method, device=device).labels
        self._store = open_store(label_file, self._data.ids, fingerprint, self)
        self.session = Session(
            data=self._data, X=self._X, graph=self._graph, store=self._store, device=device,
            random_state=random_state,
            encoder=model,  # embeds new rows in predict() as the data was
            embedding_column=embedding if isinstance(embedding, str) else None,
            # a UMAP map sits at the scale UMAP settles at: a retrain's map starts from it
            map_from_umap=given_xy is None and map_method.startswith("umap"),
            xy=xy_map, active=self._store.classes[0] if self._store.classes else None,
            preview=list(preview_cols))
        self._label_callbacks: list[Callable[[dict], None]] = []
        self.actions = LabelActions(self, self.session, refresh_labels=self._refresh_labels)
        self.retraining = Retraining(self.session, recolour=lambda: self.panels.recolour(),
                                     show_names=lambda: self.meaning.show_names())
        restored = self.retraining.restore()  # the last round of these labels, if kept
        if restored is not None:
            self.session.xy = restored
        self.panels = Panels(self.session, self.retraining, clusters=self._clusters,
                             panel_order=lambda sel: self.meaning.panel_order(sel),
                             selection=lambda: self.selection, summary=self._summary)
        self.meaning = Meaning(self.session, select=lambda hits: setattr(self, "selection", hits),
                               encoder=encoder, model=model)
        self._build_ui(height=height, color_by=color_by)
        self.meaning.show_names()

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
        self.scatter = Scatter(self.session.xy, height=height, tool="lasso",
                               tooltip=tooltips(self._data, self.session.preview))
        self.session.scatter = self.scatter
        self.scatter.on_select(lambda _sel: self.panels.on_selection(changed=True))
        self.scatter.on_hover(self.panels.on_hover)
        self.scatter.on_key(self.actions.key)
        d = self._data
        self.view = ExplorerView(
            self.scatter, on_action=self._dispatch, color_options=colour_options(d.frame),
            search_enabled=self.meaning.can_search,
            search_hint=self.meaning.search_hint(),
            rich=d.image_column is not None or d.text_column is not None,
            grid=d.image_column is not None and d.text_column is None, height=height)
        self.widget = self.view.widget
        self.session.view = self.view
        # the colouring it was left in: the last round's predictions when they are restored
        restored = self.retraining.shown is not None and not self.retraining.stale
        default = color_by or ("prediction" if restored else
                               "label" if self._store.classes else "cluster")
        options = self.widget.controls["color_options"]
        self.view.color_by = default if default in options else "cluster"
        self._refresh_labels()
        self.panels.recolour()
        self.view.mark_stale(self.retraining.stale)
        missing = d.missing_images()
        if missing:
            self.view.say(f"{missing:,} of {d.n:,} images could not be found; "
                          "their previews show a placeholder.", kind="warn")
        else:
            self.view.say(self._summary())

    def _dispatch(self, msg: dict[str, Any]) -> None:
        """One user action from the browser (``{"action": ..., ...}``) to its handler."""
        act, a = str(msg.get("action")), self.actions
        value = msg.get("value")
        handlers: dict[str, Callable[[], Any]] = {
            "name": lambda: a.name_entered(str(value or "")),
            "rename_start": a.rename_start, "delete": a.delete,
            "undo": lambda: a.undo_redo(False), "redo": lambda: a.undo_redo(True),
            "pick": lambda: a.pick(str(value)), "assign": a.assign, "unassign": a.unassign,
            "key": lambda: a.key(str(value)),
            "color_by": lambda: self.panels.ui_color_by(str(value)),
            "search": lambda: self.meaning.ui_search(str(value or "")), "similar": a.similar,
            "new_class": a.new_class, "check_labels": a.check_labels,
            "retrain": self.retraining.ui_retrain, "cancel": self.cancel_retrain,
            "clear_selection": lambda: setattr(self, "selection", []),
            "tool": lambda: setattr(self.scatter, "tool", str(value)),
        }
        handler = handlers.get(act)
        if handler is not None:
            a.guard(handler)

    def _summary(self) -> str:
        n_lab = int((self._store.codes() >= 0).sum())
        shown = self.retraining.shown
        restored = "" if shown is None else (
            f" · round {shown.number}'s predictions shown" +
            (" (labels changed since: retrain to update)" if self.retraining.stale else ""))
        return (f"{self._data.n:,} points · {len(self._store.classes)} labels · "
                f"{n_lab:,} labelled{restored} · lasso points, press 1-9 to label them")

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Jupyter hosts (JupyterLab, Notebook 7, VS Code, Colab) display the widget."""
        return self.widget._repr_mimebundle_(**kwargs)

    def _display_(self) -> Any:
        """marimo displays this (``ex`` as a cell's last expression)."""
        import marimo as mo

        return mo.ui.anywidget(self.widget)

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
        """The :class:`~embedviz.LabelStore` behind the labels (history, export, colours)."""
        return self._store

    @property
    def xy(self) -> np.ndarray:
        """The map on screen: (n, 2) float32 coordinates, one row per data row."""
        return self.session.xy

    @property
    def graph(self) -> Any:
        """The shared :class:`~embedviz.KNNGraph` of the embedding (map, clusters, retrains)."""
        return self._graph

    def label(self, indices: Any, name: str, *, create: bool = True, source: str = "api") -> None:
        """Give ``name`` to the points at ``indices``.

        Parameters
        ----------
        indices : array-like of int or bool, or pandas Index
            Positions (as ``selection`` gives), a boolean mask (array or Series), or a pandas
            Index of the data's row labels (``df.index[mask]``).
        name : str
            The label.
        create : bool, default True
            Create the label when it does not exist yet (else an unknown name raises).
        source : str, default "api"
            Where the edit came from, kept in the label file's history.

        Raises
        ------
        ValueError, IndexError, TypeError
            For bad indices or names (nothing is labelled then).
        """
        idx = self._positions(indices)  # first: a call with bad indices creates no label
        with deferred_interrupts():  # a Ctrl+C arrives once the widget shows the change
            name = ensure_label(self._store, self.session.lock, name, create=create)
            with self.session.lock:
                self._store.assign(idx, name, source=source, round=self.retraining.round)
            self.session.active = name
            self._after_label_change({"kind": "assign", "label": name, "n": int(idx.size)})

    def rename_label(self, old: str, new: str) -> str:
        """Rename a label: its points, colour, key and predictions follow.

        Parameters
        ----------
        old : str
            The label's name now.
        new : str
            Its new name (trimmed; it may not differ from another label only in case).

        Returns
        -------
        str
            The name as stored; ``undo()`` takes the rename back.

        Raises
        ------
        ValueError
            For an unknown ``old``, an empty or taken ``new``.
        """
        with deferred_interrupts():
            stored = clean_name(new)
            twin = case_twin(self._store.classes, stored, besides=old)
            if twin is not None:  # "Zero" beside "zero": two chips the eye cannot tell apart
                raise ValueError(f"a label called {brief(twin)} already exists (the names "
                                 "differ only in case); pick another name")
            with self.session.lock:
                self._store.rename_label(old, stored)  # an unknown or taken name raises here
            if self.session.active == old:
                self.session.active = stored
            self._after_label_change({"kind": "rename", "label": stored, "old": old})
        return stored

    def delete_label(self, name: str) -> None:
        """Delete a label; its points become unlabelled. ``undo()`` restores both.

        Parameters
        ----------
        name : str
            The label to delete.
        """
        with deferred_interrupts():
            with self.session.lock:
                self._store.delete_label(name)
            self._after_label_change({"kind": "delete", "label": name})

    def unlabel(self, indices: Any) -> None:
        """Remove the labels of some points.

        Parameters
        ----------
        indices : array-like of int or bool, or pandas Index
            The points, as for :meth:`label`.
        """
        idx = self._positions(indices)
        with deferred_interrupts():
            with self.session.lock:
                self._store.unassign(idx)
            self._after_label_change({"kind": "unassign"})

    def undo(self) -> Any:
        """Undo the latest label edit (the UI's Ctrl+Z).

        Returns
        -------
        str or None
            What was undone, or None when there was nothing to undo.
        """
        with deferred_interrupts():
            with self.session.lock:
                done = self._store.undo()
            self._after_label_change({"kind": "undo", "what": done})
        return done

    def redo(self) -> Any:
        """Redo the latest undone edit (the UI's Ctrl+Shift+Z).

        Returns
        -------
        str or None
            What was redone, or None when there was nothing to redo.
        """
        with deferred_interrupts():
            with self.session.lock:
                done = self._store.redo()
            self._after_label_change({"kind": "redo", "what": done})
        return done

    def on_label(self, callback: Callable[[dict], None]) -> None:
        """Call a function after every label change (UI or API).

        Parameters
        ----------
        callback : callable
            Called as ``callback(event_dict)``. A callback that raises is reported as a
            warning: the label change itself is saved.

        Raises
        ------
        TypeError
            When ``callback`` is not callable.
        """
        if not callable(callback):
            raise TypeError(f"on_label needs a function of one argument (the event dict), "
                            f"got {type(callback).__name__}.")
        self._label_callbacks.append(callback)

    @property
    def predictions(self) -> pd.DataFrame | None:
        """After a retrain, per point: ``label`` (missing where the map is grey: no label
        fits), ``nearest`` (the closest label), ``confidence`` and ``novelty``; None before.

        ``novelty`` is P(no label fits); ``confidence`` is P(a label fits and it is
        ``nearest``) = max class probability x (1 - novelty), so the two cannot both be
        high: ``confidence + novelty <= 1``. ``label`` is missing exactly where ``novelty``
        reaches ``novelty_threshold``.
        """
        return self.retraining.predictions

    @property
    def predictions_stale(self) -> bool:
        """Whether the labels changed since the predictions shown were learnt (an undo
        counts; a rename does not): retrain to bring them up to date."""
        return self.retraining.stale

    @property
    def model(self) -> Retrainer | None:
        """The fitted ``Retrainer`` whose predictions the map shows (None before the first
        retrain). Its classes are positions into the label names it learnt: use
        ``predictions`` or ``predict`` for names."""
        return self.retraining.model

    def predict(self, data: Any = None, *, embedding: Any = None) -> pd.DataFrame:
        """Predict new rows with the model on the map, as ``predictions`` shows known ones.

        Parameters
        ----------
        data : DataFrame, list of texts, optional
            New rows. With a text (or image) Explorer they are embedded by the same model
            as the Explorer's data, from the same column (a list or Series is that column);
            an Explorer given ``embedding="column"`` reads that column of vectors.
        embedding : array-like of shape (n_rows, d), optional
            Their embedding, when the Explorer got ``embedding=`` (or to skip embedding).

        Returns
        -------
        DataFrame
            ``label`` (missing where no label fits), ``nearest``, ``confidence``,
            ``novelty``, indexed as ``data`` (or 0..n-1).

        Raises
        ------
        RuntimeError
            Before the first retrain.
        ValueError
            When neither ``embedding`` nor embeddable ``data`` is given, or texts are
            missing.

        Examples
        --------
        >>> ex.retrain()                                             # doctest: +SKIP
        >>> ex.predict(new_df)                                       # doctest: +SKIP
        """
        return self.retraining.predict(data, embedding=embedding)

    @property
    def novelty_threshold(self) -> float:
        """Novelty at or above which no label fits a point: grey on the map, ``label``
        missing in ``predictions`` and ``predict``, and counted as "fit no label".

        Setting it (a float in (0, 1)) recolours the map at once (no retrain) and holds for
        the next retrains.

        Raises
        ------
        ValueError
            When set outside (0, 1).

        Examples
        --------
        >>> ex.novelty_threshold = 0.7  # doctest: +SKIP
        """
        return self.retraining.novelty_threshold

    @novelty_threshold.setter
    def novelty_threshold(self, value: float) -> None:
        self.retraining.novelty_threshold = value

    @property
    def suggestions(self) -> list[np.ndarray]:
        """After a retrain: where to lasso next, as groups of point positions."""
        return list(self.retraining.suggestions)

    @property
    def suspects(self) -> list[Any]:
        """After a retrain: labels that look wrong, as ``SuspectGroup``s (``indices``: point
        positions, ``given`` and ``predicted``: label names), biggest group first; "Check
        labels" selects them in turn."""
        return list(self.retraining.suspects)

    @property
    def candidates(self) -> list[np.ndarray]:
        """After a retrain: possible new classes (clusters of points that fit no label), as
        groups of point positions, most novel first; "New class?" selects them in turn."""
        model = self.retraining.model
        return list(self.retraining.candidates_of(model)) if model is not None else []

    def search(self, query: str, *, k: int | None = None, mode: str = "auto") -> np.ndarray:
        """Select the points matching ``query`` and return their positions, best first.

        Parameters
        ----------
        query : str
            What to look for. Under ``mode="auto"`` a quoted query (``'"fourier"'``) keeps to
            the texts (case-insensitive substring); any other query is embedded the way the
            data was and finds the nearest points by cosine similarity.
        k : int, optional
            How many points to select; default 50 by meaning, every hit by substring.
        mode : {"auto", "meaning", "substring"}, default "auto"
            How to search; ``"auto"`` decides by the quotes.

        Returns
        -------
        numpy.ndarray
            int64 row positions, most similar first; also the new ``selection``, listed in
            this order in the selection panel.

        Raises
        ------
        ValueError
            An empty query or unknown mode; a substring search on data without texts; a
            search by meaning on data with neither texts nor an encoder.

        Warns
        -----
        UserWarning
            Search by meaning without an encoder (the data came as vectors and no
            ``encoder=`` was given): the texts are searched for the query instead.

        Examples
        --------
        >>> ex.search("probability distributions")      # doctest: +SKIP
        >>> ex.search('"sparse"')                        # doctest: +SKIP
        """
        return self.meaning.search(query, k=k, mode=mode)

    @property
    def regions(self) -> pd.DataFrame:
        """Named regions of the map on screen, coarse to fine.

        Returns
        -------
        pandas.DataFrame
            The table of :func:`embedviz.regions` for ``xy`` (the names drawn on the map);
            recomputed after a retrain moves the map, cached while it does not.

        Raises
        ------
        ValueError
            The data gives nothing to name regions by (e.g. every text is empty).

        Examples
        --------
        >>> ex.regions[["level", "size", "name"]].head()  # doctest: +SKIP
        """
        return self.meaning.regions

    def retrain(self, *, wait: bool = True, timeout: float | None = None,
                layout: str = "align") -> RetrainResult | None:
        """Learn from the labels, then update predictions, colours and the map.

        The predictions show as soon as the model is fitted; the map follows when its new
        layout is ready. The round (predictions and map) is kept beside the label file, so
        an Explorer made again on the same data and labels shows it.

        Parameters
        ----------
        wait : bool
            ``False`` returns at once (the UI's Retrain button does this); the map updates
            when the work ends, and ``cancel_retrain()`` stops it (once the predictions
            show, it stops only the map update). While waiting, an interrupt (Ctrl+C)
            cancels the retrain.
        timeout : float, optional
            Seconds to wait at most.
        layout : {"align", "keep", "free"}, default "align"
            How the map follows the model: ``"align"`` starts from the map on screen and
            moves points only as far as the model's new neighbourhoods ask (the result's
            ``displacement`` says how far); ``"keep"`` leaves the map and changes only the
            colours; ``"free"`` lays the map out afresh, turned to match the old one.

        Returns
        -------
        RetrainResult or None
            The round, its time, the predicted counts by label and how many points no label
            fits (None with ``wait=False``).

        Raises
        ------
        ValueError
            No labelled points yet.
        TimeoutError
            Past ``timeout`` seconds (the retrain goes on).
        Cancelled
            The retrain was cancelled while waiting (it failed: its error).

        Examples
        --------
        >>> ex.retrain()  # doctest: +SKIP
        >>> ex.predictions.head()  # doctest: +SKIP
        """
        return self.retraining.retrain(wait=wait, timeout=timeout, layout=layout)

    def wait_retrain(self, timeout: float | None = None) -> bool:
        """Wait until the latest retrain has ended (shown, failed or cancelled).

        Parameters
        ----------
        timeout : float, optional
            Seconds to wait at most (None: no limit).

        Returns
        -------
        bool
            True when it ended (or none was started), False on timeout.

        Examples
        --------
        >>> ex.retrain(wait=False); ex.wait_retrain(60)  # doctest: +SKIP
        True
        """
        return self.retraining.wait(timeout)

    def cancel_retrain(self) -> bool:
        """Stop the running retrain; labels and map stay as they were.

        Returns
        -------
        bool
            False when there is nothing to stop (no retrain, or its model is already on
            the map).
        """
        return self.retraining.cancel()

    @property
    def last_retrain(self) -> RetrainResult | None:
        """The result of the latest round shown on the map (the UI's Retrain included):
        its time to the predictions and to the map, counts and ``displacement``; None
        before the first retrain of this session."""
        shown = self.retraining.shown
        return None if shown is None else shown.result

    @property
    def rounds(self) -> int:
        """How many retrains have been shown on the map."""
        return self.retraining.round

    @property
    def active_label(self) -> str | None:
        """The label that Assign (and the outlined chip) gives; None with no labels."""
        return self.session.active

    @active_label.setter
    def active_label(self, name: str | None) -> None:
        if name is not None and name not in self._store.classes:
            from ..labels.errors import UnknownLabelError

            raise UnknownLabelError(name, self._store.classes)
        self.session.active = name
        self._refresh_labels()

    def save_html(self, path: str, *, overwrite: bool = False, title: str | None = None,
                  max_images: int = 5000) -> Any:
        """Save the map as it is coloured now, with its labels, as one self-contained HTML
        file for someone who does not run Python (no kernel, no network).

        Parameters
        ----------
        path : str
            Where to write, ending in ``.html``.
        overwrite : bool
            Replace an existing file.
        title : str, optional
            The page's title (default: the counts of points and labels).
        max_images : int
            Image previews (96 px thumbnails) are inlined up to this many points; past it
            the file would grow by about 1 kB a point, and hovering shows text only.

        Returns
        -------
        Path
            The file written.

        Raises
        ------
        FileExistsError
            ``path`` exists and ``overwrite`` is False.
        FileNotFoundError, PermissionError
            The folder is missing or not writable (nothing is written).

        Examples
        --------
        >>> ex.save_html("labelled_map.html")  # doctest: +SKIP
        """
        from ..widget.standalone import write_html
        from .share import explorer_page

        return write_html(path, explorer_page(self, title=title, max_images=max_images),
                          overwrite=overwrite)

    def _detach(self) -> None:
        """A newer Explorer took this label file over: close ours, say so in the widget."""
        with self.session.lock:  # after any map update under way, and before none can follow
            self.session.replaced = True
            self.cancel_retrain()
            self._store.close()
            if hasattr(self, "view"):
                self.view.say("This Explorer was replaced by a newer one on the same label "
                                  "file; use the newer one (labels are safe on disk).",
                                  kind="warn")

    # ---- label helpers ------------------------------------------------------------
    def _positions(self, indices: Any) -> np.ndarray:
        """Validated, sorted positions (see :meth:`label` for what ``indices`` may be)."""
        return as_positions(row_positions(indices, self._data.frame.index), self._data.n)

    def _after_label_change(self, event: dict) -> None:
        # first: the map is what the person is looking at. The outlines show labels over
        # any colouring, so they follow every change; the colours follow when they show
        # labels (or predictions, which name them) or when names may have changed (an undo
        # can take back a rename as well as points).
        self.panels.recolour(colours=self.view.color_by in ("label", "prediction")
                       or event["kind"] in ("rename", "delete", "undo", "redo"))
        self.view.mark_stale(self.retraining.stale)
        self._refresh_labels()
        self.panels.on_selection()
        for cb in list(self._label_callbacks):
            try:
                cb(event)
            except Exception as exc:  # the change is committed: do not report it as failed
                warnings.warn(f"the on_label callback {getattr(cb, '__name__', cb)!r} raised "
                              f"{type(exc).__name__}: {exc}; the label change itself is saved.",
                              RuntimeWarning, stacklevel=2)

    def _refresh_labels(self) -> None:
        classes = self._store.classes
        if self.session.active not in classes:
            self.session.active = classes[0] if classes else None
        counts = self._store.counts()
        self.view.show_labels(classes, self._store.colors, counts, self.session.active,
                              can_undo=self._store.can_undo, can_redo=self._store.can_redo)
        self.view.show_counts(classes, [int(counts.get(c, 0)) for c in classes],
                                [self._store.colors[c] for c in classes])
