"""What the map means: search by meaning (or substring) and the named regions of the map.

A mixin of the Explorer. Search by meaning embeds the query with what embedded the data
(the text model, or ``encoder=`` for user-supplied embeddings); without one, the search box
says so and searches the texts instead. ``regions`` is recomputed whenever the map on screen
changes (a retrain moves it).
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from ..labels.validate import brief
from .actions import counted

#: How many points a search by meaning selects when ``k`` is not given.
SEARCH_K = 50


class Meaning:
    """Explorer mixin: ``search``, ``regions`` and the search box."""

    _data: Any
    _X: np.ndarray
    _xy: np.ndarray
    _device: Any
    controls: Any
    scatter: Any
    selection: Any

    def _init_meaning(self, *, encoder: Any, model: Any) -> None:
        """``encoder``: the user's query encoder; ``model``: what embedded the texts, if the
        Explorer embedded them (None = the bundled MiniLM)."""
        if encoder is not None and not callable(encoder) and not isinstance(encoder, str):
            raise TypeError("encoder must be a callable f(list_of_str) -> (b, d) array, a local "
                            f"model folder or 'minilm'; got {type(encoder).__name__}.")
        if encoder is not None:
            self._encoder = encoder
        elif self._data.embedding is None and self._data.text_column is not None:
            self._encoder = model if model is not None else "minilm"
        else:
            self._encoder = None  # user vectors or an image model: a text query cannot follow
        self._ranked: np.ndarray | None = None  # the last search's hits, best first
        self._regions_of: tuple[np.ndarray, pd.DataFrame] | None = None

    # ---- public API ---------------------------------------------------------------
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

        Returns
        -------
        numpy.ndarray
            int64 row positions, most similar first; also the new ``selection``, listed in
            this order in the selection panel.

        Raises
        ------
        ValueError
            An empty query or unknown mode; a substring search on data without texts.

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
        hits, _, notice, _ = self._search(query, k=k, mode=mode)
        if notice:
            warnings.warn(notice, UserWarning, stacklevel=2)
        return hits

    @property
    def regions(self) -> pd.DataFrame:
        """Named regions of the map on screen (see :func:`embedviz.regions`), coarse to fine;
        recomputed after a retrain moves the map."""
        from ..compute.regions import regions

        xy = self._xy
        cached = self._regions_of
        if cached is None or cached[0] is not xy:
            d = self._data
            text = d.frame[d.text_column].tolist() if d.text_column is not None else None
            images = d.frame[d.image_column].tolist() if d.image_column is not None else None
            table = regions(xy, text=text, images=images, columns=self._region_columns())
            cached = self._regions_of = (xy, table)
        return cached[1]

    # ---- internals ------------------------------------------------------------------
    def _show_names(self) -> None:
        """Draw the regions' names on the map (none when the data gives nothing to name by)."""
        try:
            table = self.regions
        except ValueError as exc:  # e.g. every text empty: the map works without names
            warnings.warn(f"no region names on the map: {exc}", UserWarning, stacklevel=2)
            table = None
        self.scatter.set_names(table)

    def _region_columns(self) -> pd.DataFrame | None:
        """Without texts, regions are named by the data's few-valued text columns."""
        d = self._data
        if d.text_column is not None:
            return None
        from ..widget.colouring import colour_options

        frame = d.frame
        names = [c for c in colour_options(frame) if c in frame.columns
                 and not pd.api.types.is_numeric_dtype(frame[c])]
        return frame[names] if names else None

    def _search(self, query: str, *, k: int | None,
                mode: str) -> tuple[np.ndarray, str, str, str]:
        """(hits, the mode that ran, a notice when meaning fell back to substring, the query
        without its quotes)."""
        from ..compute.search import embed_query, parse_query, rank_by_meaning, substring_hits

        text, run = parse_query(query, mode)
        notice = ""
        column = self._data.text_column
        if run == "meaning" and self._encoder is None:
            if column is None:
                raise ValueError("search by meaning needs an encoder: pass Explorer(..., "
                                 "encoder=f) with the function that embedded the data.")
            notice = ("search by meaning needs an encoder (Explorer(..., encoder=f), the "
                      "function that embedded the data); searched the texts instead")
            run = "substring"
        if run == "substring":
            if column is None:
                raise ValueError("this data has no text column to search; search by meaning "
                                 "instead (an unquoted query).")
            hits = substring_hits(text, self._data.frame[column].tolist())
            hits = hits if k is None else hits[:k]
        else:
            q = embed_query(text, self._encoder, device=self._device)
            hits = rank_by_meaning(q, self._X, SEARCH_K if k is None else k)
        self._ranked = hits
        self.selection = hits
        return hits, run, notice, text

    def _search_hint(self) -> str:
        if self._encoder is None:
            return "search text…"
        if self._data.text_column is None:
            return "search by meaning…"
        return 'search by meaning; "quoted" = text…'

    def _panel_order(self, sel: np.ndarray) -> np.ndarray:
        """The selection in search rank when it is the last search's hits, else as given."""
        ranked = self._ranked
        if ranked is not None and ranked.size == sel.size and np.isin(sel, ranked).all():
            return ranked
        return sel

    def _ui_search(self, query: str) -> None:
        if not query.strip():
            return
        try:
            hits, run, notice, text = self._search(query, k=None, mode="auto")
        except ValueError as exc:
            self.controls.say(str(exc), kind="warn")
            return
        # the box empties, so the same query runs again (it runs on a change of the box);
        # the status line keeps what was searched. A query with no hits stays, to be fixed.
        if hits.size:
            self.controls.search.value = ""
        if run == "meaning":
            said = (f"The {counted(int(hits.size), 'point')} nearest in meaning to "
                    f"{brief(query)}, best first (quote the query to match text)")
        else:
            verb = "contains" if hits.size == 1 else "contain"
            said = f"{counted(int(hits.size), 'item')} {verb} {brief(text)}"
        if notice:
            said = f"{notice[0].upper()}{notice[1:]}: {said}"
        self.controls.say(said + (": press 1-9 to label them" if hits.size else ""),
                          kind="ok" if hits.size and not notice else "warn",
                          about_selection=True)
        self.scatter.focus()  # the number key labels the hits, not the search box
