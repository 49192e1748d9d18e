"""The map's colours and the side panels of one Explorer: what the hovered and the selected
points show, and how the map is coloured (by the user's choice, with labelled points
outlined in their label's colour)."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..widget.colouring import colour_spec
from .context import fields
from .view import ItemRow

if TYPE_CHECKING:
    from .retraining import Retraining
    from .session import Session


class Panels:
    """Colours and panels of one Explorer.

    Parameters
    ----------
    session : Session
        The data, store, widgets, lock and preview columns.
    retraining : Retraining
        The predictions shown (and whether they are stale), the labels that look wrong.
    clusters : ndarray of int
        The map's clusters, for colour-by "cluster".
    panel_order : callable
        Orders a selection for the panel (a search's hits stay in rank order).
    selection : callable
        The selected positions now.
    summary : callable
        The status line's summary of the data, shown when a stale message goes.
    """

    def __init__(self, session: Session, retraining: Retraining, *, clusters: np.ndarray,
                 panel_order: Callable[[np.ndarray], np.ndarray],
                 selection: Callable[[], np.ndarray], summary: Callable[[], str]) -> None:
        self.session = session
        self.retraining = retraining
        self.clusters = clusters
        self._panel_order = panel_order
        self._selection = selection
        self._summary = summary

    def row(self, i: int) -> ItemRow:
        """What the panels show of point ``i``."""
        codes = self.session.store.codes()
        classes = self.session.store.classes
        label = classes[codes[i]] if codes[i] >= 0 else None
        d = self.session.data
        extra = None
        shown = self.retraining.shown
        if shown is not None:
            pred = self.retraining.names_now(shown)[int(shown.nearest[i])]
            if shown.novelty[i] >= self.retraining.novelty_threshold:  # grey on the map
                extra = f"fits no label (nearest: {pred})"
            else:
                confidence = float(shown.proba[i].max() * (1.0 - shown.novelty[i]))
                extra = f"pred: {pred} ({confidence:.2f})"
                if self.retraining.suspect_mask[i] and label is not None and label != pred:
                    extra += " · label looks wrong"
            if self.retraining.stale:
                extra += " · from before your last label changes"
        return ItemRow(
            index=int(i), label=label, color=self.session.store.colors.get(label) if label else None,
            text=d.text_at([i])[0] if d.text_column else None,
            image=d.cells_at(d.image_column, [i])[0] if d.image_column else None, extra=extra,
            fields=fields(d.frame, self.session.preview, i),
        )

    def on_hover(self, index: int) -> None:
        """Show the hovered point in the preview (-1: none)."""
        self.session.view.show_preview(self.row(index) if 0 <= index < self.session.data.n else None)

    def drop_stale(self, *, selection_changed: bool = False) -> None:
        """Drop a warning the user has moved on from; say the summary instead."""
        if self.session.view.clear_stale(selection_changed=selection_changed):
            self.session.view.say(self._summary())  # what is here and what to do, not a blank

    def ui_color_by(self, value: str) -> None:
        """The colour-by dropdown (or the offer) chose ``value``."""
        self.session.view.color_by = value
        self.drop_stale()
        self.recolour()

    def on_selection(self, changed: bool = False) -> None:
        """Show the selected items (``changed``: the selection itself, not its labels)."""
        self.drop_stale(selection_changed=changed)
        sel = self._panel_order(self._selection())  # a search's hits stay in rank order
        self.session.data.prefetch(sel[: self.session.view.limit])  # Parquet: the panel's rows in one read
        self.session.view.show_selection([self.row(int(i)) for i in sel[: self.session.view.limit]],
                                 int(sel.size))

    # ---- colours ------------------------------------------------------------------
    def recolour(self, *, colours: bool = True) -> None:
        """Colour the map by the dropdown's choice, and outline each labelled point in its
        label's colour (not under "label", whose fill says it), so labels stay visible over
        any colouring; ``colours=False`` sends the outlines only. Under the lock: the worker
        showing a new model recolours too, and the last to read the dropdown must paint last."""
        with self.session.lock:
            codes = np.asarray(self.session.store.codes())
            outline: dict[str, Any] = {
                "outline": np.full(codes.shape, -1) if self.session.view.color_by == "label" else codes,
                "outline_palette": [self.session.store.colors[c] for c in self.session.store.classes]}
            if not colours:
                self.session.scatter.update(**outline)
                return
            shown = self.retraining.shown
            spec = colour_spec(
                self.session.view.color_by, self.session.data.frame,
                label_codes=codes, label_names=self.session.store.classes,
                label_colors=self.session.store.colors, clusters=self.clusters,
                pred_codes=None if shown is None else shown.nearest,
                pred_names=None if shown is None else self.retraining.names_now(shown),
                confidence=None if shown is None else shown.confidence,
                novelty=None if shown is None else shown.novelty,
                **({} if shown is None else {"novel_at": self.retraining.novelty_threshold}),
            )
            # no colour transition: a label should show the moment its key is pressed
            self.session.scatter.update(color=spec.values, categories=spec.categories,
                                palette=spec.palette, animate=False, **outline)
