"""Scatter.set_names: the names list on the wire, and a click on a name selecting its region."""
from __future__ import annotations

import json

import numpy as np
import pytest

import embedviz
from embedviz.widget.scatter import Scatter

from .conftest import capture, frontend_custom


@pytest.fixture()
def mapped():
    rng = np.random.default_rng(0)
    xy = np.concatenate([rng.normal(0, 1, (120, 2)), rng.normal(12, 1, (120, 2))])
    text = ["<b>cats</b> purr and sleep"] * 120 + ["rockets launch into orbit"] * 120
    return xy, embedviz.regions(xy, text=text, levels=2)


def test_names_go_to_the_front_end_as_a_small_json_list(mapped):
    xy, table = mapped
    w = Scatter(xy)
    sent = capture(w)
    w.set_names(table)
    (msg, buffers), = sent.of_type("names")
    assert buffers == [] and len(msg["names"]) == len(table)
    json.dumps(msg)  # plain JSON: no arrays, no members
    first = msg["names"][0]
    assert set(first) == {"id", "name", "x", "y", "level", "size", "keywords", "bbox", "parent"}
    assert first["parent"] is True and msg["names"][-1]["parent"] is False
    # data text travels as text; the front end sets it with textContent, never as HTML
    assert any(n["name"].startswith("cats") for n in msg["names"])
    sent.clear()
    frontend_custom(w, {"type": "request_data"})             # a new view asks again
    assert len(sent.of_type("names")) == 1
    w.set_names(None)
    assert sent.of_type("names")[-1][0]["names"] == []


def test_clicking_a_name_selects_its_members_like_a_lasso(mapped):
    xy, table = mapped
    w = Scatter(xy)
    w.set_names(table)
    got = []
    w.on_select(got.append)
    region = table.iloc[2]
    frontend_custom(w, {"type": "name_pick", "region": int(region.region), "add": False})
    np.testing.assert_array_equal(w.selection, region.members)
    assert len(got) == 1
    other = table.iloc[-1]
    frontend_custom(w, {"type": "name_pick", "region": int(other.region), "add": True})
    np.testing.assert_array_equal(w.selection, np.union1d(region.members, other.members))
    frontend_custom(w, {"type": "name_pick", "region": 999, "add": False})  # unknown: no change
    assert w.selection.size == region["size"] + other["size"]


def test_a_table_that_is_not_from_regions_or_not_this_map_is_refused(mapped):
    xy, table = mapped
    with pytest.raises(ValueError, match="lacks the columns"):
        Scatter(xy).set_names(table.drop(columns=["members"]))
    with pytest.raises(ValueError, match="outside the map's 10 points"):
        Scatter(xy[:10]).set_names(table)
