"""The Explorer's view state without a browser: what the front end is told to draw."""
from __future__ import annotations

import json

import numpy as np
import pytest

from embedviz.explorer.view import GRID_LIMIT, ExplorerView, ItemRow
from embedviz.widget.scatter import Scatter


@pytest.fixture()
def view():
    actions: list[dict] = []
    v = ExplorerView(Scatter(np.zeros((5, 2))), on_action=actions.append,
                     color_options=["label", "cluster"], search_enabled=True, rich=True,
                     grid=True, height=400)
    v.actions = actions  # type: ignore[attr-defined]
    return v


def test_state_is_small_json_and_the_map_a_widget_reference(view) -> None:
    state = view.widget.get_state()
    assert state["scatter"] == f"anywidget:{view.widget.scatter.model_id}"
    for trait in ("labels", "controls", "status", "preview", "selected", "charts"):
        json.dumps(state[trait])


def test_text_from_data_stays_text(view) -> None:
    nasty = '<img src=x onerror="alert(1)"> & friends'
    view.show_preview(ItemRow(index=3, label=nasty, text=nasty))
    item = view.widget.preview["item"]
    assert item["label"] == nasty and item["text"] == nasty  # the browser sets textContent
    view.say(nasty, kind="warn")
    assert view.widget.status == {"text": nasty, "kind": "warn"}


def test_images_travel_as_png_data_uris_or_say_why_not(view, tmp_path) -> None:
    view.show_selection([ItemRow(index=i, image=np.full((8, 8), i * 10.0)) for i in range(60)]
                        + [ItemRow(index=99, image=str(tmp_path / "gone.png"))], 61)
    items = view.widget.selected["items"]
    assert len(items) == GRID_LIMIT and view.widget.selected["total"] == 61
    assert all(i["image"].startswith("data:image/png;base64,") for i in items)
    view.show_preview(ItemRow(index=99, image=str(tmp_path / "gone.png")))
    assert "gone.png" in view.widget.preview["item"]["image_error"]


def test_actions_from_the_browser_reach_the_handler(view) -> None:
    def msg(content: dict) -> None:
        view.widget._handle_msg({"content": {"data": {"method": "custom", "content": content}},
                                 "buffers": []})

    msg({"type": "ui", "action": "assign", "value": None})
    msg({"type": "other"})
    assert view.actions == [{"type": "ui", "action": "assign", "value": None}]


def test_busy_status_and_findings(view) -> None:
    view.set_busy(True)
    view.set_progress(1.7)
    assert view.widget.controls["busy"] and view.widget.controls["progress"] == 1.0
    view.set_busy(False)
    assert view.widget.controls["progress"] == 0.0
    view.offer_suspects(3)
    view.offer_new_classes(2)
    assert view.widget.controls["suspects"] == 3 and view.widget.controls["new_classes"] == 2
    with pytest.raises(ValueError, match="kind"):
        view.say("x", kind="shout")
    with pytest.raises(ValueError, match="not one of"):
        view.color_by = "nope"
    view.say("17 points are selected", about_selection=True)
    assert not view.clear_stale() and view.clear_stale(selection_changed=True)
    assert view.widget.status["text"] == ""


def test_charts_data(view) -> None:
    view.show_counts(["a", "b"], [3, 0], ["#111111", "#222222"])
    assert view.widget.charts["counts"]["values"] == [3, 0]
    view.add_round(1, float("nan"))
    view.add_round(2, 0.8)
    assert view.widget.charts["rounds"] == [[1, None], [2, 0.8]]  # no score: no point
    view.show_confidence(np.array([0.01, 0.97, 0.99]), n_classes=2)
    hist = view.widget.charts["confidence"]
    assert len(hist) == 20 and hist[0] == 1 and hist[-1] == 2


def test_name_box_and_rename(view) -> None:
    view.start_rename("zero")
    assert view.renaming == "zero" and view.widget.labels["box_rev"] == 1
    view.set_name_box("")
    assert view.renaming is None and view.widget.labels["box_rev"] == 2


def test_an_anywidget_without_composition_names_the_version(monkeypatch) -> None:
    import anywidget

    from embedviz.widget import explorer_widget

    monkeypatch.delattr(anywidget, "WidgetTrait")
    monkeypatch.setattr(anywidget, "__version__", "0.9.13")
    with pytest.raises(ImportError, match=r"anywidget >= 0\.11 \(you have 0\.9\.13\)"):
        explorer_widget.ExplorerWidget(Scatter(np.zeros((3, 2))), on_action=print)
