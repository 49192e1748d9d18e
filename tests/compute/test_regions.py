"""regions(): nested density regions of a map, named by class-based TF-IDF, columns, a namer."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import embedviz
from embedviz.compute.regions import COLUMNS, regions

TOPICS = {
    "astronomy": "telescope galaxy orbit planet comet nebula",
    "cooking": "recipe oven flour butter garlic simmer",
    "finance": "stock bond dividend market interest portfolio",
}
FILLER = "the of and is 2024 42 to a"


def _topic_map(per: int = 150, seed: int = 0) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Three blobs far apart, each with its own vocabulary plus shared stop words and numbers."""
    rng = np.random.default_rng(seed)
    xy, texts, topic = [], [], []
    for t, (name, words) in enumerate(TOPICS.items()):
        centre = np.array([20.0 * t, 10.0 * (t % 2)])
        xy.append(rng.normal(centre, 1.0, (per, 2)))
        vocab = words.split()
        for _ in range(per):
            picked = rng.choice(vocab, size=3, replace=False)
            texts.append(f"{FILLER} {' '.join(picked)} {rng.integers(100, 999)}")
            topic.append(name)
    return np.concatenate(xy).astype(np.float32), texts, np.array(topic)


def _check_nesting(table: pd.DataFrame, n: int) -> None:
    for level, part in table.groupby("level"):
        members = np.concatenate(part.members.tolist())
        assert np.array_equal(np.sort(members), np.arange(n)), f"level {level} is no partition"
    by_id = table.set_index("region")
    for row in table[table.level > 0].itertuples():
        parent = by_id.loc[row.parent]
        assert parent.level == row.level - 1
        assert np.isin(row.members, parent.members).all(), "a finer region leaves its parent"


def test_table_columns_and_types() -> None:
    xy, texts, _ = _topic_map()
    table = regions(xy, text=texts, levels=3)
    assert tuple(table.columns) == COLUMNS
    assert table.region.tolist() == list(range(len(table)))
    assert table.level.is_monotonic_increasing and set(table.level) == {0, 1, 2}
    for row in table.itertuples():
        assert row.members.dtype == np.int64 and row.exemplars.dtype == np.int64
        assert row.size == row.members.size
        assert np.isin(row.exemplars, row.members).all() and 1 <= row.exemplars.size <= 5
        pts = xy[row.members]
        xmin, _, _, ymax = row.bbox
        assert xmin == pts[:, 0].min() and ymax == pts[:, 1].max()
        # the name sits on one of the region's own points
        assert np.isclose(pts, [row.x, row.y]).all(axis=1).any()
        assert isinstance(row.name, str) and isinstance(row.keywords, list)


def test_finer_regions_nest_inside_coarser_ones() -> None:
    xy, texts, _ = _topic_map()
    table = regions(xy, text=texts, levels=3)
    _check_nesting(table, len(texts))
    assert (table.level == 2).sum() > (table.level == 0).sum()  # zooming in cuts finer


def test_names_are_the_distinctive_words_not_stop_words_or_numbers() -> None:
    xy, texts, topic = _topic_map()
    table = regions(xy, text=texts, levels=1)
    assert len(table) == 3
    for row in table.itertuples():
        own = set(topic[row.members])
        assert len(own) == 1, "one blob per region"
        words = set(" ".join(row.keywords).split())
        assert words <= set(TOPICS[own.pop()].split()), row.keywords
        assert row.name and set(row.name.replace(",", " ").split()) <= words


def test_sampled_hierarchy_assigns_every_point_and_keeps_nesting() -> None:
    xy, texts, topic = _topic_map(per=1000, seed=1)
    table = regions(xy, text=texts, levels=2, sample=400)
    _check_nesting(table, len(texts))
    top = table[table.level == 0]
    assert len(top) == 3
    for row in top.itertuples():  # the unsampled points joined the right blob
        assert len(set(topic[row.members])) == 1 and row.size == 1000


def test_categorical_column_names_regions_by_its_dominant_value() -> None:
    xy, _, topic = _topic_map()
    table = regions(xy, columns=pd.DataFrame({"topic": topic}), levels=1)
    for row in table.itertuples():
        value = topic[row.members[0]]
        assert row.keywords[0] == f"topic: {value} (100%)"
        assert row.name == f"{value} (100%)"


def test_text_keywords_come_before_category_shares() -> None:
    xy, texts, topic = _topic_map()
    table = regions(xy, text=texts, columns={"topic": topic}, levels=1)
    for row in table.itertuples():
        assert row.keywords[-1].startswith("topic: ")
        assert not row.keywords[0].startswith("topic: ")


def test_images_only_give_exemplars_and_no_words() -> None:
    xy, _, _ = _topic_map()
    images = [np.zeros((4, 4), np.uint8)] * len(xy)
    table = regions(xy, images=images, levels=2)
    assert (table.name == "").all() and (table.keywords.map(len) == 0).all()
    assert all(np.isin(r.exemplars, r.members).all() for r in table.itertuples())


def test_namer_writes_names_from_keywords_and_exemplar_texts() -> None:
    xy, texts, _ = _topic_map()
    seen: list[tuple[list[str], list[str]]] = []

    def namer(keywords: list[str], shown: list[str]) -> str:
        seen.append((keywords, shown))
        return f"about {keywords[0]}"

    table = regions(xy, text=texts, levels=1, namer=namer, sample=300)  # texts of a sample
    assert len(seen) == 3
    for (keywords, shown), row in zip(seen, table.itertuples(), strict=True):
        assert keywords == row.keywords and shown == [texts[i] for i in row.exemplars]
    assert table.name.tolist() == [f"about {k[0]}" for k in table.keywords]


@pytest.mark.parametrize("bad", [lambda k, t: 1 / 0, lambda k, t: 7, lambda k, t: "  "])
def test_a_failing_namer_falls_back_to_keywords_with_one_warning(bad) -> None:
    xy, texts, _ = _topic_map()
    plain = regions(xy, text=texts, levels=2)
    with pytest.warns(RuntimeWarning, match=r"namer failed for \d+ of \d+ regions") as got:
        table = regions(xy, text=texts, levels=2, namer=bad)
    assert len([w for w in got if "namer" in str(w.message)]) == 1
    assert table.name.tolist() == plain.name.tolist()


def test_same_seed_same_table() -> None:
    xy, texts, _ = _topic_map(per=400)
    a = regions(xy, text=texts, sample=500, random_state=3)
    b = regions(xy, text=texts, sample=500, random_state=3)
    assert a.name.tolist() == b.name.tolist()
    assert all(np.array_equal(x, y) for x, y in zip(a.members, b.members, strict=True))


def test_public_name() -> None:
    assert embedviz.regions is regions


@pytest.mark.parametrize("kwargs, error, match", [
    ({"text": ["a b"] * 5}, ValueError, "text has 5 items but xy has 450 points"),
    ({"text": ["", "  ", None] * 150}, ValueError, "every text is empty"),
    ({"text": ["the and of", "42 17"] * 225}, ValueError, "no words to name regions by"),
    ({"levels": 0}, ValueError, "levels must be at least 1"),
    ({"levels": 1.5}, TypeError, "levels must be an int"),
    ({"min_size": 1}, ValueError, "min_size must be at least 2"),
    ({"images": [None] * 3}, ValueError, "images has 3 items"),
    ({"columns": {"c": [1, 2]}}, ValueError, "column 'c' has shape"),
    ({"columns": [1, 2]}, TypeError, "columns must be a DataFrame"),
    ({"text": "one string"}, TypeError, "single string"),
    ({"namer": "gpt"}, TypeError, "namer must be a function"),
])
def test_bad_input_names_the_fix(kwargs, error, match) -> None:
    xy, _, _ = _topic_map()
    with pytest.raises(error, match=match):
        regions(xy, **kwargs)


def test_xy_must_be_the_2d_map() -> None:
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        regions(np.zeros((10, 5)))
    with pytest.raises(ValueError, match="NaN or inf"):
        regions(np.array([[0.0, 1.0], [np.nan, 2.0], [1.0, 1.0]]))


def test_tiny_maps_still_get_one_region_per_level() -> None:
    xy = np.random.default_rng(0).normal(size=(6, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = regions(xy, text=["red apple", "green apple", "red car", "blue car",
                                  "fast car", "sweet apple"], levels=2)
    assert table.level.tolist() == [0, 1] and table["size"].tolist() == [6, 6]
