"""What the map means: search by meaning (or substring) and the named regions of the map.

:class:`Meaning` is a collaborator of the Explorer. Search by meaning embeds the query with
what embedded the data (the text model, or ``encoder=`` for user-supplied embeddings);
without one, the search box says so and searches the texts instead. ``regions`` is
recomputed whenever the map on screen changes (a retrain moves it).
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..common import brief
from .actions import counted

if TYPE_CHECKING:
    from .session import Session

#: How many points a search by meaning selects when ``k`` is not given.
SEARCH_K = 50


def check_encoder(encoder: Any) -> None:
    """Raise a TypeError naming the fix when ``encoder`` is not a usable query encoder."""
    if encoder is not None and not callable(encoder) and not isinstance(encoder, str):
        raise TypeError("encoder must be a callable f(list_of_str) -> (b, d) array, a local "
                        f"model folder or 'minilm'; got {type(encoder).__name__}.")


class Meaning:
    """Search and named regions of one Explorer.

    Parameters
    ----------
    session : Session
        The Explorer's data, embedding, device, map and widgets.
    select : callable
        Makes the given point positions the selection (the Explorer's ``selection``).
    encoder : callable, str or None
        The user's query encoder (``f(list_of_str) -> (b, d) array``).
    model : Any
        What embedded the texts, when the Explorer embedded them (None = the bundled MiniLM).

    Notes
    -----
    It owns the query encoder, the last search's ranked hits (the selection panel lists
    them in rank order) and the regions table of the map last asked about.
    """

    def __init__(self, session: Session, *, select: Callable[[np.ndarray], None],
                 encoder: Any, model: Any) -> None:
        check_encoder(encoder)
        self.session = session
        self._select = select
        data = session.data
        if encoder is not None:
            self.encoder: Any = encoder
        elif data.embedding is None and data.text_column is not None:
            self.encoder = model if model is not None else "minilm"
        else:
            self.encoder = None  # user vectors or an image model: a text query cannot follow
        self.ranked: np.ndarray | None = None  # the last search's hits, best first
        self._regions_of: tuple[np.ndarray, pd.DataFrame] | None = None
        #: Rows whose texts name the regions (regions()'s ``sample``): from the data's size,
        #: at most 10,000 (settable; None names from every row)
        self.region_sample: int | None = min(session.data.n, 10_000)

    @property
    def can_search(self) -> bool:
        """Whether the search box has something to search (texts, or an encoder)."""
        return self.session.data.text_column is not None or self.encoder is not None

    def search(self, query: str, *, k: int | None = None, mode: str = "auto") -> np.ndarray:
        """See :meth:`Explorer.search`."""
        hits, _, notice, _ = self._search(query, k=k, mode=mode)
        if notice:
            warnings.warn(notice, UserWarning, stacklevel=3)
        return hits

    @property
    def regions(self) -> pd.DataFrame:
        """See :attr:`Explorer.regions`."""
        from ..compute.regions import regions

        xy = self.session.xy
        cached = self._regions_of
        if cached is None or cached[0] is not xy:
            d = self.session.data
            # regions() reads only the texts of its random sample (``sample`` rows) through
            # the column's take: on Parquet data those rows are read from disk and the
            # others never are, so naming a map of millions reads thousands of texts
            text = d.column_values(d.text_column) if d.text_column is not None else None
            images = d.column_values(d.image_column) if d.image_column is not None else None
            table = regions(xy, text=text, images=images, columns=self._region_columns(),
                            sample=self.region_sample)
            cached = self._regions_of = (xy, table)
        return cached[1]

    def show_names(self) -> None:
        """Draw the regions' names on the map (none when the data gives nothing to name by)."""
        try:
            table = self.regions
        except ValueError as exc:  # e.g. every text empty: the map works without names
            warnings.warn(f"no region names on the map: {exc}", UserWarning, stacklevel=2)
            table = None
        self.session.scatter.set_names(table)

    def search_hint(self) -> str:
        """The search box's placeholder: what a query there does."""
        if self.encoder is None:
            return "search text…"
        if self.session.data.text_column is None:
            return "search by meaning…"
        return 'search by meaning; "quoted" = text…'

    def panel_order(self, sel: np.ndarray) -> np.ndarray:
        """The selection in search rank when it is the last search's hits, else as given."""
        ranked = self.ranked
        if ranked is not None and ranked.size == sel.size and np.isin(sel, ranked).all():
            return ranked
        return sel

    def ui_search(self, query: str) -> None:
        """The search box's Enter: select the hits and say what was found."""
        if not query.strip():
            return
        try:
            hits, run, notice, text = self._search(query, k=None, mode="auto")
        except ValueError as exc:
            self.session.view.say(str(exc), kind="warn")
            return
        # the box empties, so the same query runs again; the status line keeps what was
        # searched. A query with no hits stays, to be fixed.
        if hits.size:
            self.session.view.set_search("")
        if run == "meaning":
            said = (f"The {counted(int(hits.size), 'point')} nearest in meaning to "
                    f"{brief(query)}, best first (quote the query to match text)")
        else:
            verb = "contains" if hits.size == 1 else "contain"
            said = f"{counted(int(hits.size), 'item')} {verb} {brief(text)}"
        if notice:
            said = f"{notice[0].upper()}{notice[1:]}: {said}"
        self.session.view.say(said + (": press 1-9 to label them" if hits.size else ""),
                         kind="ok" if hits.size and not notice else "warn",
                         about_selection=True)
        self.session.scatter.focus()  # the number key labels the hits, not the search box

    # ---- internals ------------------------------------------------------------------
    def _region_columns(self) -> pd.DataFrame | None:
        """Without texts, regions are named by the data's few-valued text columns."""
        d = self.session.data
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
        data = self.session.data
        column = data.text_column
        if run == "meaning" and self.encoder is None:
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
            # batch by batch: on Parquet data the texts are streamed, never all held
            found = [offset + substring_hits(text, batch)
                     for offset, batch in data.iter_texts()]
            hits = np.concatenate(found) if found else np.zeros(0, np.int64)
            hits = hits if k is None else hits[:k]
        else:
            q = embed_query(text, self.encoder, device=self.session.device)
            hits = rank_by_meaning(q, self.session.X, SEARCH_K if k is None else k)
        self.ranked = hits
        self._select(hits)
        return hits, run, notice, text
