"""The Explorer's search box and ex.search / ex.regions, without a browser."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import embedviz as ev

from .conftest import blob, front_end_key, front_end_ui, panel_text, status

TOPICS = {"space": ["telescope", "galaxy", "orbit", "comet"],
          "food": ["recipe", "oven", "flour", "garlic"],
          "money": ["stock", "bond", "dividend", "market"]}


def _encoder(batch: list[str]) -> np.ndarray:
    """One axis per topic (a word of it, or its name, counts) plus a little of everything."""
    out = np.full((len(batch), 3), 0.05, dtype=np.float32)
    for i, text in enumerate(batch):
        for j, (topic, words) in enumerate(TOPICS.items()):
            out[i, j] += sum(w in text for w in [topic, *words])
    return out


def _frame(per: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    texts = [" and ".join(rng.choice(words, 2, replace=False)) + f" note {i}"
             for words in TOPICS.values() for i in range(per)]
    return pd.DataFrame({"text": texts, "topic": np.repeat(list(TOPICS), per)})


@pytest.fixture()
def ex(tmp_path):
    frame = _frame()
    X = _encoder(frame.text.tolist()) + np.random.default_rng(1).normal(0, 0.01, (len(frame), 3))
    return ev.Explorer(frame, embedding=X, text="text", encoder=_encoder,
                       label_file=str(tmp_path / "m.embedviz.db"), progress=False)


def test_search_by_meaning_ranks_selects_and_lists_in_rank_order(ex):
    frame = ex._data.frame
    hits = ex.search("space", k=10)
    assert hits.dtype == np.int64 and hits.size == 10
    assert (frame.topic.to_numpy()[hits] == "space").all()  # no text says "space"
    assert not frame.text.str.contains("space").any()
    np.testing.assert_array_equal(np.sort(ex.selection), np.sort(hits))
    listed = [item["index"] for item in ex.widget.selected["items"]]
    assert listed == hits[: len(listed)].tolist(), "the selection panel lists the hits best first"
    assert frame.text.iat[hits[0]] in panel_text(ex.widget.selected["items"][0])
    assert ex.search("food").size == 50                      # default k by meaning


def test_search_box_by_meaning_then_a_number_key_labels_the_hits(ex):
    assert ex.widget.controls["search_hint"] == 'search by meaning; "quoted" = text…'
    front_end_ui(ex, "name", "money")
    front_end_ui(ex, "search", "money")
    assert "nearest in meaning to 'money', best first" in status(ex)
    assert ex.widget.controls["search"] == ""                # the box empties
    picked = ex.selection
    assert picked.size == 50
    front_end_key(ex.scatter, "digit:1")
    assert ex.labels.iloc[picked].eq("money").all()


def test_quoted_query_is_a_substring_search(ex):
    front_end_ui(ex, "search", '"garlic"')
    expected = np.flatnonzero(ex._data.frame.text.str.contains("garlic").to_numpy())
    np.testing.assert_array_equal(ex.selection, expected)
    assert f"{expected.size} items contain 'garlic'" in status(ex)
    assert ex.search("garlic", mode="substring", k=3).tolist() == expected[:3].tolist()


def test_without_an_encoder_the_box_says_so_and_searches_the_text(tmp_path):
    frame = _frame()
    plain = ev.Explorer(frame, embedding=_encoder(frame.text.tolist()), text="text",
                        label_file=str(tmp_path / "p.embedviz.db"), progress=False)
    assert plain.widget.controls["search_hint"] == "search text…"
    front_end_ui(plain, "search", "orbit")
    assert "Search by meaning needs an encoder" in status(plain)
    assert "items contain 'orbit'" in status(plain)
    with pytest.warns(UserWarning, match="search by meaning needs an encoder"):
        hits = plain.search("comet")
    assert frame.text.iloc[hits].str.contains("comet").all() and hits.size > 0


def test_image_data_without_text_or_encoder_says_what_search_needs(digits, tmp_path):
    ex = ev.Explorer(digits, embedding="pixels", image="image",
                     label_file=str(tmp_path / "d.embedviz.db"), progress=False)
    with pytest.raises(ValueError, match="needs an encoder"):
        ex.search("zero")
    with pytest.raises(ValueError, match="no text column"):
        ex.search('"zero"')
    assert not ex.widget.controls["search_enabled"]          # nothing to search: no box


def test_regions_of_the_map_on_screen_follow_a_new_map(ex):
    table = ex.regions
    drawn = ex.scatter.names                                # drawn on the map from the start
    assert [n["name"] for n in drawn] == table.name.tolist()
    assert tuple(table.columns) == ev.compute.regions.COLUMNS
    assert ex.regions is table                               # same map: not recomputed
    top = table[table.level == 0]
    topic = ex._data.frame.topic.to_numpy()
    named = {topic[r.members][0]: r.keywords for r in top.itertuples()
             if len(set(topic[r.members])) == 1}
    assert named, "a region holds one topic"
    for name, keywords in named.items():
        assert set(" ".join(keywords[:3]).split()) & set(TOPICS[name])
    ex.session.xy = ex.xy * 2.0                                   # what a retrain does to the map
    moved = ex.regions
    assert moved is not table and moved.x.abs().sum() == pytest.approx(2 * table.x.abs().sum())


def test_regions_after_a_real_retrain_use_the_new_map(digits, tmp_path):
    ex = ev.Explorer(digits, embedding="pixels", image="image",
                     label_file=str(tmp_path / "r.embedviz.db"), progress=False)
    before = ex.regions
    assert (before.name == "").all()                          # images: exemplars, no words
    sent = []
    ex.scatter.send = lambda content, buffers=None: sent.append(content)
    ex.label(blob(digits, 0), "zero")
    ex.label(blob(digits, 1), "one")
    ex.retrain()
    after = ex.regions
    assert after is not before
    names = [m for m in sent if m.get("type") == "names"]  # the map's names follow it
    assert names and [n["x"] for n in names[-1]["names"]] == after.x.tolist()
    assert all(np.isin(r.exemplars, r.members).all() for r in after.itertuples())
    np.testing.assert_allclose(after.iloc[0][["x", "y"]].to_numpy(dtype=float),
                               ex.xy[after.iloc[0].exemplars[0]], rtol=1e-6)


def test_encoder_must_be_callable(tmp_path):
    frame = _frame()
    with pytest.raises(TypeError, match="encoder must be a callable"):
        ev.Explorer(frame, embedding=_encoder(frame.text.tolist()), text="text", encoder=3,
                    label_file=str(tmp_path / "e.embedviz.db"), progress=False)
