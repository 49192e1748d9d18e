"""Everything checkable without computing is refused before any embedding, kNN or map:
the tests record the order of calls (compute functions replaced by recorders), never time."""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

import embedviz as ev


@pytest.fixture()
def calls(monkeypatch):
    """Replace embed, knn and reduce by recorders that fail the test if they run."""
    import embedviz.compute.embed as embed_mod
    import embedviz.compute.knn as knn_mod
    import embedviz.compute.reduce as reduce_mod

    seen: list[str] = []

    def recorder(name):
        def called(*args, **kwargs):
            seen.append(name)
            raise AssertionError(f"{name} ran before the inputs were checked")
        return called

    monkeypatch.setattr(embed_mod, "embed", recorder("embed"))
    monkeypatch.setattr(knn_mod, "knn", recorder("knn"))
    monkeypatch.setattr(reduce_mod, "reduce", recorder("reduce"))
    return seen


@pytest.fixture()
def docs() -> pd.DataFrame:
    return pd.DataFrame({"text": [f"doc {i} about {w}" for i, w in
                                  enumerate(["cats", "dogs", "fish", "birds"] * 5)],
                         "size": np.arange(20.0)})


def test_a_label_file_in_a_missing_folder_is_refused_before_any_compute(docs, tmp_path, calls):
    with pytest.raises(FileNotFoundError, match="folder .*nowhere.* does not exist.*makedirs"):
        ev.Explorer(docs, text="text", label_file=str(tmp_path / "nowhere" / "l.embedviz.db"))
    assert calls == []


@pytest.mark.skipif(os.name == "nt" or os.geteuid() == 0, reason="needs POSIX permissions")
def test_a_read_only_folder_is_refused_before_any_compute(docs, tmp_path, calls):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(PermissionError, match="not writable"):
            ev.Explorer(docs, text="text", label_file=str(locked / "l.embedviz.db"))
    finally:
        locked.chmod(0o700)
    assert calls == []


def test_a_numeric_text_column_is_refused_before_any_compute(docs, tmp_path, calls):
    with pytest.raises(TypeError, match="'size' holds float64 values, not text"):
        ev.Explorer(docs, text="size", label_file=str(tmp_path / "l.embedviz.db"))
    numbers = docs.assign(ids=list(range(20))).astype({"ids": object})
    with pytest.raises(TypeError, match="'ids' holds int values, not text"):
        ev.Explorer(numbers, text="ids", label_file=str(tmp_path / "l.embedviz.db"))
    assert calls == []


def test_missing_texts_are_refused_naming_the_rows_before_any_compute(docs, tmp_path, calls):
    holes = docs.copy()
    holes.loc[[3, 11], "text"] = [None, np.nan]
    with pytest.raises(ValueError, match=r"missing in 2 row\(s\) \(data rows 3, 11\).*"
                                         r"drop_missing=True"):
        ev.Explorer(holes, text="text", label_file=str(tmp_path / "l.embedviz.db"))
    assert calls == []


def test_unknown_columns_and_lengths_are_refused_before_any_compute(docs, tmp_path, calls):
    path = str(tmp_path / "l.embedviz.db")
    with pytest.raises(KeyError, match="Unknown text column 'body'"):
        ev.Explorer(docs, text="body", label_file=path)
    with pytest.raises(ValueError, match="embedding has 5 rows but the data has 20"):
        ev.Explorer(docs, embedding=np.ones((5, 3)), label_file=path)
    with pytest.raises(ValueError, match="color_by='nope'"):
        ev.Explorer(docs, text="text", label_file=path, color_by="nope")
    assert calls == []


def test_drop_missing_leaves_those_rows_out(docs, tmp_path):
    holes = docs.copy()
    holes.loc[[3, 11], "text"] = None
    emb = np.random.default_rng(0).normal(size=(20, 6)).astype(np.float32)
    with pytest.warns(UserWarning, match="2 row"):
        ex = ev.Explorer(holes, text="text", embedding=emb, drop_missing=True,
                         label_file=str(tmp_path / "l.embedviz.db"), map_method="pca",
                         progress=False)
    assert ex.xy.shape == (18, 2)
    assert 3 not in ex.labels.index and 11 not in ex.labels.index
