"""Export (Series, DataFrame with provenance, CSV, Parquet, JSON) and import round trips."""
from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from embedviz.labels import DataMismatchError, LabelStore

IDS = pd.Index([f"id-{i}" for i in range(8)])


@pytest.fixture
def labelled(store_path):
    with LabelStore(store_path, ids=IDS) as s:
        s.create_label("ham", color="#112233")
        s.create_label("spam")
        s.create_label("empty", color="#abcdef")
        s.create_label("é ünï")
        s.assign([0, 1, 2], "ham", source="lasso", polygon=[(0, 0), (1, 0), (1, 1)])
        s.assign([2, 3], "spam", source="suggestion", round=2)
        s.assign([5], "é ünï")
        s.unassign([1])
        yield s


def _labels(store: LabelStore) -> dict:
    return {k: v for k, v in store.series().items() if not pd.isna(v)}


def test_series_and_frame(labelled):
    assert _labels(labelled) == {"id-0": "ham", "id-2": "spam", "id-3": "spam", "id-5": "é ünï"}
    frame = labelled.to_frame()
    assert frame.index.name == "id" and frame.index.equals(IDS)
    assert list(frame.columns) == ["label", "color", "source", "time", "event", "round"]
    row0, row2, row1 = frame.loc["id-0"], frame.loc["id-2"], frame.loc["id-1"]
    assert (row0.label, row0.color, row0.source) == ("ham", "#112233", "lasso")
    assert (row2.source, row2["round"], row2.event) == ("suggestion", 2, 6)
    assert pd.isna(row0["round"]) and pd.isna(row1.label) and pd.isna(row1.source) and pd.isna(row1.time)
    assert str(frame["time"].dtype) == "datetime64[ns, UTC]"
    assert str(frame["event"].dtype) == "Int64" and str(frame["round"].dtype) == "Int64"


def test_provenance_follows_merge_and_undo(labelled):
    labelled.merge_labels(["spam"], "ham")
    frame = labelled.to_frame()
    assert frame.loc["id-2", "source"] == "suggestion" and frame.loc["id-2", "label"] == "ham"
    labelled.undo()  # merge
    labelled.undo()  # unassign of id-1
    assert labelled.to_frame().loc["id-1", "source"] == "lasso"


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json"])
def test_file_round_trip(labelled, tmp_path, suffix):
    if suffix == ".csv":  # the label "empty" has no points, so no CSV row
        with pytest.warns(UserWarning, match="'empty'"):
            out = labelled.export(tmp_path / f"labels{suffix}")
    else:
        out = labelled.export(tmp_path / f"labels{suffix}")
    with LabelStore(tmp_path / "copy.embedviz.db", ids=IDS) as copy:
        event = copy.import_labels(out)
        assert event is not None
        assert _labels(copy) == _labels(labelled)
        used = {k: v for k, v in labelled.colors.items() if k in _labels(labelled).values()}
        assert {k: copy.colors[k] for k in used} == used
        if suffix != ".csv":  # parquet keeps the categories, JSON the class list: exact classes
            assert copy.classes == labelled.classes and copy.colors == labelled.colors
        assert copy.to_frame()["source"].dropna().unique().tolist() == ["import"]
        copy.undo()
        assert copy.classes == [] and copy.labelled().size == 0


def test_json_document(labelled, tmp_path):
    doc = json.loads(labelled.export(tmp_path / "l.json").read_text(encoding="utf-8"))
    assert doc["format"] == "embedviz-labels-export"
    assert [c["name"] for c in doc["classes"]] == ["ham", "spam", "empty", "é ünï"]
    points = doc["points"]
    assert dict(zip(points["id"], points["label"], strict=True)) == {"id-0": "ham", "id-2": "spam", "id-3": "spam",
                                                                     "id-5": "é ünï"}
    assert points["source"] == ["lasso", "suggestion", "suggestion", "api"]
    assert points["round"] == [None, 2, 2, None] and points["event"] == [5, 6, 6, 7]
    assert all(t.endswith("Z") and t.startswith("20") for t in points["time"])


def test_import_from_column_of_a_dataframe(store_path):
    df = pd.DataFrame({"y": [3, None, 1, 3]}, index=[10, 11, 12, 13])
    with LabelStore(store_path, ids=df.index) as s:
        s.import_labels(df["y"])  # float column with NaN: integers become their names
        assert s.classes == ["3", "1"]
        assert s.codes().tolist() == [0, -1, 1, 0]
        s.import_labels(["3", "3", None, None])  # positional sequence
        assert s.codes().tolist() == [0, 0, 1, 0]
        assert s.import_labels(["3", "3", None, None]) is None  # nothing changes


def test_import_ids_from_csv_text_match_integer_ids(store_path, tmp_path):
    ids = np.array([100, 200, 300])
    with LabelStore(store_path, ids=ids) as s:
        s.assign([1], "a", create=True)
        out = s.export(tmp_path / "l.csv")
    with LabelStore(tmp_path / "b.embedviz.db", ids=ids) as t:
        t.import_labels(out)
        assert t.series().dropna().to_dict() == {200: "a"}


def test_csv_export_warns_about_labels_it_cannot_carry(store_path, tmp_path):
    with LabelStore(store_path, n=3) as s:
        s.assign([0], "a", create=True)
        s.create_label("unused")
        with pytest.warns(UserWarning, match=r"leaves out 1 label.*'unused'.*\.json"):
            s.export(tmp_path / "l.csv")
        s.assign([1], "unused")
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # every label has points now: no warning
            s.export(tmp_path / "l.csv")


def test_import_errors(store_path, tmp_path):
    with LabelStore(store_path, ids=IDS) as s:
        with pytest.raises(DataMismatchError, match="not in this store's data"):
            s.import_labels(pd.Series(["a"], index=["other"]))
        with pytest.raises(ValueError, match="one entry per point"):
            s.import_labels(["a", "b"])
        with pytest.raises(ValueError, match="empty or only whitespace"):
            s.import_labels(pd.Series(["  "], index=["id-1"]))
        bad = tmp_path / "x.json"
        bad.write_text("[1, 2]")
        with pytest.raises(ValueError, match="not an embedviz label export"):
            s.import_labels(bad)
        with pytest.raises(ValueError, match="format"):
            s.export(tmp_path / "labels.xlsx")
        assert s.version == 0
