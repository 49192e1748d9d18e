"""Labelled points are outlined in their label's colour over the colouring the user chose."""
from __future__ import annotations

import numpy as np
import pytest

import embedviz as ev
from tests.widget.conftest import capture, frontend_custom

from .conftest import blob, front_end_key, front_end_selects, front_end_ui


@pytest.fixture()
def ex(digits, tmp_path):
    return ev.Explorer(digits, embedding="pixels", image="image", color_by="digit",
                       label_file=str(tmp_path / "l.embedviz.db"), progress=False)


def _palette(ex) -> list[str]:  # noqa: ANN001
    return [ex.store.colors[c] for c in ex.store.classes]


def test_labels_are_outlined_over_the_chosen_colouring_and_follow_every_change(ex, digits):
    front_end_ui(ex, "name", "zero")
    front_end_ui(ex, "name", "one")
    np.testing.assert_array_equal(ex.scatter.outline, -1)   # nothing labelled: no ring
    sent = capture(ex.scatter)
    zeros, ones = blob(digits, 0), blob(digits, 1)
    front_end_selects(ex.scatter, zeros)
    front_end_key(ex.scatter, "digit:1")
    front_end_selects(ex.scatter, ones)
    front_end_key(ex.scatter, "digit:2")

    assert ex.view.color_by == "digit"                       # the user's colouring stays
    codes = ex.store.codes()
    np.testing.assert_array_equal(ex.scatter.outline, codes)
    assert set(np.flatnonzero(codes >= 0)) == set(zeros) | set(ones)
    assert ex.scatter.outline_palette == _palette(ex)
    # a label key under "digit" resends the rings only; the digit colours stay as they were
    changed = [set(c["channels"]) for c, _ in sent.of_type("channels")]
    assert changed and all(c == {"outline"} for c in changed), changed
    assert list(ex.scatter.legend)[:10] == [str(d) for d in range(10)]

    front_end_key(ex.scatter, "undo")                        # undo: the ring goes too
    np.testing.assert_array_equal(ex.scatter.outline, ex.store.codes())
    assert (ex.scatter.outline >= 0).sum() == len(zeros)

    front_end_ui(ex, "color_by", "label")                    # the fill says it: no ring
    np.testing.assert_array_equal(ex.scatter.outline, -1)
    front_end_selects(ex.scatter, ones)
    front_end_key(ex.scatter, "digit:2")
    np.testing.assert_array_equal(ex.scatter.outline, -1)
    front_end_ui(ex, "color_by", "cluster")                  # any other colouring: rings back
    np.testing.assert_array_equal(ex.scatter.outline, ex.store.codes())
    assert (ex.scatter.outline >= 0).sum() == len(zeros) + len(ones)


def test_a_renamed_or_recoloured_label_keeps_its_ring_colour(ex, digits):
    front_end_ui(ex, "name", "zero")
    front_end_selects(ex.scatter, blob(digits, 0))
    front_end_key(ex.scatter, "digit:1")
    ex.rename_label("zero", "nought")
    assert ex.scatter.outline_palette == _palette(ex)
    np.testing.assert_array_equal(ex.scatter.outline, ex.store.codes())
    ex.delete_label("nought")
    np.testing.assert_array_equal(ex.scatter.outline, -1)


def test_a_retrain_keeps_the_colouring_and_the_rings_and_offers_predictions(ex, digits):
    for d in range(3):
        front_end_ui(ex, "name", f"d{d}")
        front_end_selects(ex.scatter, blob(digits, d))
        front_end_key(ex.scatter, f"digit:{d + 1}")
    ex.retrain()
    assert ex.view.color_by == "digit"
    assert ex.widget.controls["offer_color_by"] == "prediction"
    np.testing.assert_array_equal(ex.scatter.outline, ex.store.codes())
    front_end_ui(ex, "color_by", "prediction")               # the offer, taken
    assert ex.widget.controls["offer_color_by"] is None
    np.testing.assert_array_equal(ex.scatter.outline, ex.store.codes())  # labels over predictions


def test_a_new_explorer_on_the_same_labels_outlines_them_at_once(ex, digits, tmp_path):
    front_end_ui(ex, "name", "zero")
    front_end_selects(ex.scatter, blob(digits, 0))
    front_end_key(ex.scatter, "digit:1")
    again = ev.Explorer(digits, embedding="pixels", image="image", color_by="digit",
                        label_file=str(tmp_path / "l.embedviz.db"), progress=False)
    sent = capture(again.scatter)
    frontend_custom(again.scatter, {"type": "request_data"})  # what a new view asks first
    content, _ = sent.of_type("channels")[-1]
    assert {"color", "outline"} <= set(content["channels"])
    np.testing.assert_array_equal(again.scatter.outline, again.store.codes())
    assert (again.scatter.outline >= 0).sum() == len(blob(digits, 0))
