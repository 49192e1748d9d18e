"""The Explorer on a Parquet file or a folder of shards: the same map, labels, previews and
search as from the DataFrame, with the texts left on disk; and every bad input refused."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import embedviz as ev
from embedviz.explorer.parquet_rows import ParquetRows, open_parquet

from .conftest import front_end_hovers, front_end_selects, panel_text

N, D = 150, 8
WORDS = ["cats purr softly", "rockets launch into orbit", "bread rises in the oven"]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    group = np.repeat(np.arange(3), N // 3)
    X = (rng.normal(size=(N, D)) + np.eye(3, D)[group] * 6).astype(np.float32)
    return pd.DataFrame({
        "text": [f"{WORDS[g]} item {i}" for i, g in enumerate(group)],
        "kind": np.array(["cat", "space", "bake"])[group],
        "emb": list(X),
    })


def _table(frame: pd.DataFrame) -> pa.Table:
    X = np.stack(frame["emb"].to_list()).astype(np.float32)
    emb = pa.FixedSizeListArray.from_arrays(pa.array(X.ravel()), X.shape[1])
    return pa.table({"text": frame["text"].tolist(), "kind": frame["kind"].tolist(),
                     "emb": emb})


@pytest.fixture(scope="module")
def one_file(frame, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("pq") / "items.parquet"
    pq.write_table(_table(frame), path, row_group_size=32)  # several row groups
    return str(path)


@pytest.fixture(scope="module")
def shards(frame, tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("shards")
    table = _table(frame)
    for i, start in enumerate(range(0, N, N // 3)):
        pq.write_table(table.slice(start, N // 3), folder / f"part-{i:03d}.parquet",
                       row_group_size=20)
    (folder / "_SUCCESS").write_text("")  # writer markers are not shards
    return str(folder)


def _explorer(data, tmp_path, name="l.embedviz.db", **kw):
    return ev.Explorer(data, embedding="emb", text="text", label_file=str(tmp_path / name),
                       map_method="pca", progress=False, **kw)


@pytest.mark.parametrize("source", ["one_file", "shards"])
def test_parquet_explorer_matches_the_dataframe(source, frame, request, tmp_path):
    path = request.getfixturevalue(source)
    from_frame = _explorer(frame, tmp_path, "a.db")
    ex = _explorer(path, tmp_path, "b.db")
    assert np.array_equal(ex.session.data.ids, from_frame.session.data.ids)
    assert np.allclose(ex.session.X, from_frame.session.X)
    assert np.allclose(ex.session.xy, from_frame.session.xy)
    # memory: the text column stays on disk, the small column is held
    assert "text" not in ex.session.data.frame.columns
    assert "emb" not in ex.session.data.frame.columns
    assert list(ex.session.data.frame["kind"]) == list(frame["kind"])
    picked = [3, 77, 149]
    for e in (ex, from_frame):
        e.label(picked, "odd")
    assert ex.labels.equals(from_frame.labels)
    for i in (0, 61, 149):  # rows in the first, a middle and the last shard / row group
        front_end_hovers(ex.scatter, i)
        assert frame["text"][i] in panel_text(ex.widget.preview["item"])
    assert np.array_equal(ex.search('"rockets"'), from_frame.search('"rockets"'))
    # "item 14" is in rows 14 and 140-149 (the last shard): offsets across batches hold
    assert np.array_equal(ex.search('"item 14"'), np.r_[14, 140:150])


def test_selection_panel_reads_the_selected_rows_in_order(shards, frame, tmp_path):
    ex = _explorer(shards, tmp_path)
    sel = [140, 2, 75]
    front_end_selects(ex.scatter, sel)
    shown = [panel_text(item) for item in ex.widget.selected["items"]]
    for text_shown, i in zip(shown, sorted(sel), strict=True):
        assert frame["text"][i] in text_shown


def test_regions_name_the_map_from_a_sample(shards, tmp_path):
    ex = _explorer(shards, tmp_path)
    ex.meaning.region_sample = 60
    ex.meaning._regions_of = None
    rows = ex.session.data.rows
    rows.clear_cache()
    table = ex.regions
    read = rows.cached_positions("text")
    assert len(read) == 60  # only the sampled rows' texts were read from disk
    assert table["size"][table["level"] == 0].sum() == N  # every point has a region
    words = " ".join(" ".join(k) for k in table["keywords"])
    assert any(w in words for w in ("cats", "rockets", "bread"))


def test_rows_take_and_scan(shards, frame):
    rows = ParquetRows(shards, cache_cells=8)
    assert rows.n == N and rows.columns == ["text", "kind", "emb"]
    got = rows.take([149, 0, 51, 0], ["text", "kind"])
    assert got["text"].tolist() == frame["text"].iloc[[149, 0, 51, 0]].tolist()
    assert got["kind"].tolist() == frame["kind"].iloc[[149, 0, 51, 0]].tolist()
    batches = list(rows.scan("text", batch_rows=16))
    assert [o for o, _ in batches] == sorted(o for o, _ in batches)
    assert [t for _, b in batches for t in b] == frame["text"].tolist()
    with pytest.raises(IndexError, match="0..149"):
        rows.take([150], ["text"])


def test_labels_persist_across_a_reopen(one_file, tmp_path):
    ex = _explorer(one_file, tmp_path)
    ex.label([5, 6], "keep")
    again = _explorer(one_file, tmp_path)  # the same path and label file
    assert sorted(np.flatnonzero(again.labels.notna().to_numpy())) == [5, 6]
    assert set(again.labels.dropna()) == {"keep"}


def test_ragged_and_list_embeddings(tmp_path):
    good = pa.table({"v": pa.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.5]],
                                   type=pa.list_(pa.float64())), "t": ["a", "b", "c"]})
    pq.write_table(good, tmp_path / "good.parquet")
    frame, X, rows = open_parquet(tmp_path / "good.parquet", embedding="v", text="t")
    assert X.dtype == np.float32 and X.tolist() == [[1, 2], [3, 4], [5, 6.5]]
    assert list(frame.columns) == [] and len(frame) == 3
    ragged = pa.table({"v": pa.array([[1.0, 2.0], [3.0, 4.0], [5.0]])})
    pq.write_table(ragged, tmp_path / "ragged.parquet")
    with pytest.raises(ValueError, match="1 numbers in row 2 where the first vector has 2"):
        open_parquet(tmp_path / "ragged.parquet", embedding="v")
    gap = pa.table({"v": pa.array([None, [3.0, 4.0], [5.0, 6.0]])})
    pq.write_table(gap, tmp_path / "gap.parquet")
    with pytest.raises(ValueError, match="no vector in row 0"):
        open_parquet(tmp_path / "gap.parquet", embedding="v")


@pytest.mark.parametrize("kw, error, message", [
    ({"embedding": None}, ValueError, r'embedding= is required.*engine="ray", out='),
    ({"embedding": "nope"}, KeyError, r"no column 'nope'.*\['text', 'kind', 'emb'\]"),
    ({"text": "nope"}, KeyError, r"no column 'nope'"),
    ({"embedding": "kind"}, TypeError, r"'kind' holds string, not lists of numbers"),
    ({"text": "emb"}, TypeError, r"text column 'emb' holds .* not text"),
])
def test_bad_parquet_input_names_the_fix(kw, error, message, one_file, tmp_path):
    args = {"embedding": "emb", "text": "text", **kw}
    with pytest.raises(error, match=message):
        ev.Explorer(one_file, **args, label_file=str(tmp_path / "l.db"), progress=False)


def test_missing_paths_and_texts_are_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="No Parquet file or folder"):
        ev.Explorer(str(tmp_path / "none.parquet"), embedding="emb", progress=False)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="holds no .parquet files"):
        ev.Explorer(str(tmp_path / "empty"), embedding="emb", progress=False)
    gaps = pa.table({"v": pa.array([[1.0], [2.0], [3.0]]), "t": ["a", None, "c"]})
    pq.write_table(gaps, tmp_path / "gaps.parquet")
    with pytest.raises(ValueError, match="missing in 1 row"):
        open_parquet(tmp_path / "gaps.parquet", embedding="v", text="t")


def test_image_paths_stay_on_disk_and_preview(frame, tmp_path):
    from PIL import Image

    paths = []
    for g, colour in enumerate(("red", "blue")):
        paths.append(str(tmp_path / f"img{g}.png"))
        Image.new("RGB", (8, 8), colour).save(paths[-1])
    cells = [paths[i % 2] for i in range(N)]
    cells[7] = str(tmp_path / "gone.png")  # a path that does not exist
    table = _table(frame).append_column("img", pa.array(cells))
    pq.write_table(table, tmp_path / "img.parquet", row_group_size=40)
    ex = ev.Explorer(str(tmp_path / "img.parquet"), embedding="emb", image="img",
                     label_file=str(tmp_path / "l.db"), map_method="pca", progress=False)
    assert "img" not in ex.session.data.frame.columns
    assert ex.session.data.missing_images() == 1
    front_end_hovers(ex.scatter, 0)
    assert "data:image/png;base64," in panel_text(ex.widget.preview["item"])
    front_end_hovers(ex.scatter, 7)
    assert "image_error" in ex.widget.preview["item"]


def test_save_html_reads_the_texts_from_parquet(shards, frame, tmp_path):
    ex = _explorer(shards, tmp_path)
    out = tmp_path / "map.html"
    ex.save_html(str(out))
    page = out.read_text()
    assert frame["text"][0] in page and frame["text"][N - 1] in page
