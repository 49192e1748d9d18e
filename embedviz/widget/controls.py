"""The Explorer's second toolbar: colour-by, search, retrain with progress and cancel, status."""
from __future__ import annotations

from typing import Callable

import ipywidgets as W

Callback = Callable[..., None]


class Controls:
    """Colour-by dropdown, search box, "similar" button, Retrain/Cancel, progress, status line."""

    def __init__(
        self,
        *,
        color_options: list[str],
        on_color_by: Callback,
        on_search: Callback,
        on_similar: Callback,
        on_retrain: Callback,
        on_cancel: Callback,
        on_new_class: Callback,
        on_check_labels: Callback,
        search_enabled: bool,
    ) -> None:
        self.color_by = W.Dropdown(options=color_options, description="Colour by",
                                   layout=W.Layout(width="230px"),
                                   style={"description_width": "70px"})
        self.color_by.observe(lambda ch: on_color_by(ch["new"]), names="value")
        # without a text column there is nothing to search: no greyed-out box taking room
        self.search = W.Text(placeholder="search text…", continuous_update=False,
                             disabled=not search_enabled,
                             layout=W.Layout(width="170px",
                                             display=None if search_enabled else "none"))
        self.search.observe(lambda ch: on_search(ch["new"]), names="value")
        self.similar = W.Button(description="Similar", icon="search",
                                tooltip="Select the graph neighbours of the selection",
                                layout=W.Layout(width="90px"))
        self.similar.on_click(lambda _: on_similar())
        self.retrain = W.Button(description="Retrain", icon="refresh", button_style="primary",
                                tooltip="Learn from the labels; the map and predictions update")
        self.retrain.on_click(lambda _: on_retrain())
        self.cancel = W.Button(description="Cancel", icon="stop", layout=W.Layout(width="90px", display="none"))
        self.cancel.on_click(lambda _: on_cancel())
        self.new_class = W.Button(description="New class?", icon="lightbulb-o",
                                  tooltip="Select the next cluster of points that fit no label",
                                  layout=W.Layout(width="auto", display="none"))
        self.new_class.on_click(lambda _: on_new_class())
        self.check_labels = W.Button(description="Check labels", icon="exclamation-triangle",
                                     tooltip="Select the next group of labelled points that "
                                             "look like another label",
                                     layout=W.Layout(width="auto", display="none"))
        self.check_labels.on_click(lambda _: on_check_labels())
        self.progress = W.FloatProgress(min=0.0, max=1.0, value=0.0,
                                        layout=W.Layout(width="140px", display="none"))
        # the status has a row of its own, two lines tall: beside the buttons, a longer
        # message wrapped onto a new line and pushed the map down 38 px under the mouse
        self.status = W.HTML("", layout=W.Layout(width="100%"))
        self._kind, self._about_selection = "info", False
        self.status.add_class("ev-status")
        buttons = W.HBox(
            [self.color_by, self.search, self.similar, self.retrain, self.cancel, self.new_class,
             self.check_labels, self.progress],
            layout=W.Layout(flex_flow="row wrap", align_items="center"),
        )
        self.widget = W.VBox([buttons, self.status])
        self.widget.add_class("ev-controls")

    def set_busy(self, busy: bool) -> None:
        """Show progress + Cancel while retraining; Retrain is disabled meanwhile."""
        self.retrain.disabled = busy
        self.cancel.layout.display = "" if busy else "none"
        self.progress.layout.display = "" if busy else "none"  # hidden, it takes no room
        if not busy:
            self.progress.value = 0.0

    def offer_new_classes(self, count: int) -> None:
        """Show "New class? (count)" after a retrain found candidates; hide it for none."""
        self.new_class.description = f"New class? ({count})"
        self.new_class.layout.display = "" if count else "none"

    def offer_suspects(self, count: int) -> None:
        """Show "Check labels (count)" after a retrain found labels that look wrong."""
        self.check_labels.description = f"Check labels ({count})"
        self.check_labels.layout.display = "" if count else "none"

    def say(self, message: str, *, kind: str = "info", about_selection: bool = False) -> None:
        """One status line; ``kind`` is info, ok, warn or error. A message ``about_selection``
        ("17 points ... are selected") goes when the selection changes."""
        import html

        self._kind, self._about_selection = kind, about_selection
        self.status.value = f'<span class="ev-msg ev-{kind}">{html.escape(message)}</span>'

    def clear_stale(self, *, selection_changed: bool = False) -> bool:
        """Drop a warning or error once the user has moved on (a new selection, another
        colouring): it read as being about the new action. A message about the selection
        goes with it: "Possible new class 2 of 5: 36 points are selected" stayed after Esc."""
        if self._kind in ("warn", "error") or (selection_changed and self._about_selection):
            self.say("")
            return True
        return False
