"""Every write operation, its effect on the reads, and the bad-input errors."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from embedviz.colors import DISTINCT
from embedviz.common import as_positions
from embedviz.labels import LabelStore, ReadOnlyError, UnknownLabelError


def test_create_label_uses_palette_and_returns_name(store):
    assert store.create_label("spam") == "spam"
    assert store.create_label("ham", color="#ABC") == "ham"
    assert store.classes == ["spam", "ham"]
    assert store.colors == {"spam": DISTINCT[0], "ham": "#aabbcc"}
    assert store.create_label("eggs") == "eggs"
    assert store.colors["eggs"] == DISTINCT[1]  # next unused palette colour


def test_many_labels_get_distinct_colours(store):
    for k in range(40):
        store.create_label(f"c{k}")
    assert len(set(store.colors.values())) == 40


def test_assign_and_reads(store):
    store.create_label("a")
    store.create_label("b")
    first = store.assign(np.array([1, 2, 3], dtype=np.uint32), "a", source="lasso")
    second = store.assign([3, 4], "b")
    assert second > first == store.version - 1
    assert store.codes().tolist() == [-1, 0, 0, 1, 1, -1, -1, -1, -1, -1]
    assert store.codes().dtype == np.int32
    series = store.series()
    assert series.index.tolist() == list(range(10))
    assert series.iloc[1] == "a" and pd.isna(series.iloc[0])
    assert store.counts().to_dict() == {"a": 2, "b": 2}
    assert store.labelled().tolist() == [1, 2, 3, 4]


def test_codes_are_read_only_and_cached(store):
    store.create_label("a")
    codes = store.codes()
    with pytest.raises(ValueError):
        codes[0] = 1
    assert store.codes() is codes
    store.assign([0], "a")
    assert store.codes() is not codes and store.codes()[0] == 0


def test_assign_accepts_boolean_mask_and_deduplicates(store):
    store.create_label("a")
    mask = np.zeros(10, dtype=bool)
    mask[[2, 5]] = True
    store.assign(mask, "a")
    store.assign([7, 7, 7, 2], "a")
    assert store.labelled().tolist() == [2, 5, 7]
    assert store.history()[-1]["n_points"] == 2  # 7 and 2, once each


def test_empty_selection_and_no_op_write_no_event(store):
    store.create_label("a")
    version = store.version
    assert store.assign([], "a") is None
    assert store.assign(np.array([], dtype=np.uint32), "a") is None
    assert store.unassign([1, 2]) is None  # nothing labelled there
    store.assign([1], "a")
    assert store.assign([1], "a") is None  # already labelled so
    assert store.version == version + 1


def test_unknown_label_lists_known(store):
    store.create_label("ham")
    store.create_label("spam")
    with pytest.raises(UnknownLabelError, match=r"Unknown label 'spm'; known labels: \['ham', 'spam'\]"):
        store.assign([1], "spm")
    with pytest.raises(KeyError):
        store.delete_label("nope")


def test_assign_create_true_creates_and_undo_removes(store):
    store.assign([1, 2], "new", create=True)
    assert store.classes == ["new"]
    store.undo()
    assert store.classes == [] and store.labelled().size == 0


@pytest.mark.parametrize("bad", [[10], [-1], [0, 99]])
def test_out_of_range_indices(store, bad):
    store.create_label("a")
    with pytest.raises(IndexError, match="out of range for 10 points"):
        store.assign(bad, "a")


@pytest.mark.parametrize("bad, error", [([1.5], TypeError), ([[1, 2]], ValueError), (np.ones(3, bool), ValueError)])
def test_bad_index_types(store, bad, error):
    store.create_label("a")
    with pytest.raises(error):
        store.assign(bad, "a")


@pytest.mark.parametrize("name, error", [("", ValueError), ("   ", ValueError), (" a", ValueError),
                                         ("a\n", ValueError), (3, TypeError), (None, TypeError)])
def test_bad_label_names(store, name, error):
    with pytest.raises(error):
        store.create_label(name)
    assert store.classes == []


def test_unicode_names_are_nfc_normalised(store):
    composed = store.create_label("caf\u00e9 \U0001F600 日本")
    assert store.classes == [composed]
    with pytest.raises(ValueError, match="already exists"):
        store.create_label("cafe\u0301 \U0001F600 日本")  # decomposed spelling of the same name
    store.assign([0], "cafe\u0301 \U0001F600 日本")
    assert store.series().iloc[0] == composed


def test_duplicate_label_and_bad_colour(store):
    store.create_label("a")
    with pytest.raises(ValueError, match="already exists"):
        store.create_label("a")
    with pytest.raises(ValueError, match="Unknown color"):
        store.create_label("b", color="not-a-colour")


def test_bad_source_round_polygon(store):
    store.create_label("a")
    with pytest.raises(ValueError, match="source must be one of"):
        store.assign([1], "a", source="mouse")
    with pytest.raises(ValueError, match="round"):
        store.assign([1], "a", round=-1)
    with pytest.raises(ValueError, match="polygon"):
        store.assign([1], "a", polygon=[1, 2, 3])
    assert store.version == 1


def test_rename_recolor(store):
    store.create_label("a", color="#000000")
    store.assign([0, 1], "a")
    store.rename_label("a", "b")
    store.recolor_label("b", "#fff")
    assert store.classes == ["b"] and store.colors == {"b": "#ffffff"}
    assert store.series().iloc[0] == "b"
    with pytest.raises(UnknownLabelError):
        store.rename_label("a", "c")


def test_merge_into_existing_and_new(store):
    for name in "abc":
        store.create_label(name)
    store.assign([0, 1], "a")
    store.assign([2], "b")
    store.assign([3], "c")
    store.merge_labels(["a", "b"], "c")
    assert store.classes == ["c"]
    assert store.labelled().tolist() == [0, 1, 2, 3] and set(store.codes()[:4]) == {0}
    store.merge_labels(["c"], "d")
    assert store.classes == ["d"] and store.counts().to_dict() == {"d": 4}
    with pytest.raises(TypeError):
        store.merge_labels("d", "e")


def test_delete_unlabels_points(store):
    store.create_label("a")
    store.create_label("b")
    store.assign([0, 1], "a")
    store.assign([2], "b")
    store.delete_label("a")
    assert store.classes == ["b"]
    assert store.codes()[:3].tolist() == [-1, -1, 0]


def test_unassign(store):
    store.create_label("a")
    store.assign([0, 1, 2], "a")
    store.unassign([1, 5])
    assert store.labelled().tolist() == [0, 2]


def test_on_change_callbacks(store):
    seen = []
    unsubscribe = store.on_change(seen.append)
    store.create_label("a")
    store.assign([1], "a")
    store.undo()
    unsubscribe()
    store.redo()
    assert [c["kind"] for c in seen] == ["create", "assign", "undo"]
    assert [c["version"] for c in seen] == [1, 2, 3]


def test_failing_callback_warns_but_write_stands(store):
    store.on_change(lambda info: 1 / 0)
    with pytest.warns(UserWarning, match="callback"):
        store.create_label("a")
    assert store.classes == ["a"]


def test_closed_store_refuses(store_path):
    s = LabelStore(store_path, n=3)
    s.close()
    s.close()  # idempotent
    with pytest.raises(ValueError, match="closed"):
        s.create_label("a")


@pytest.mark.parametrize("call", [
    lambda s: s.history(),
    lambda s: s.to_frame(),
    lambda s: s.export(s.path.with_suffix(".csv")),
])
def test_reads_of_the_file_say_the_store_is_closed(store_path, call):
    """Like the writes, refresh() and check(): not sqlite3's 'closed database'."""
    s = LabelStore(store_path, n=3)
    s.assign([0], "a", create=True)
    s.close()
    with pytest.raises(ValueError, match=r"is closed; open it again"):
        call(s)
    assert s.codes().tolist() == [0, -1, -1]  # the labels read from memory stay readable


def test_readonly_refuses_writes(store_path):
    LabelStore(store_path, n=3).close()
    with LabelStore(store_path, readonly=True) as ro, pytest.raises(ReadOnlyError, match="readonly=True"):
        ro.create_label("a")


@given(n=st.integers(1, 5000), data=st.data())
def test_as_positions_is_sorted_unique(n, data):
    values = data.draw(st.lists(st.integers(0, n - 1), max_size=300))
    for dtype in (np.int64, np.uint32, np.int32):
        if n - 1 > np.iinfo(dtype).max:
            continue
        assert as_positions(np.asarray(values, dtype=dtype), n).tolist() == sorted(set(values))


def test_unknown_label_error_two_argument_form():
    err = UnknownLabelError("spm", ["ham", "spam"])
    assert str(err) == "Unknown label 'spm'; known labels: ['ham', 'spam']"


def test_long_names_and_long_label_lists_are_cut_short_in_errors(store):
    for i in range(25):
        store.create_label(f"label{i}")
    long = "x" * 100_000
    with pytest.raises(UnknownLabelError) as err:
        store.assign([0], long)
    message = str(err.value)
    assert len(message) < 500
    assert f"Unknown label '{'x' * 60}…'" in message
    assert "'label19', … and 5 more]" in message and "label20" not in message
    with pytest.raises(ValueError, match=r"already exists; known labels: \['label0', .*and 5 more\]"):
        store.create_label("label3")
    for bad in (" " + long, "a\x01" + long):
        with pytest.raises(ValueError) as err:
            store.create_label(bad)
        assert len(str(err.value)) < 200
    with pytest.raises(ValueError) as err:
        store.assign([0], "label1", source=long)
    assert len(str(err.value)) < 200
    with pytest.raises(ValueError, match="Unknown color") as err:
        store.create_label("c", color=long)
    assert len(str(err.value)) < 200


def test_numpy_values_in_errors_read_as_plain_values(store):
    with pytest.raises(TypeError, match=r"got int64 5; pass str\(5\)$"):
        store.create_label(np.int64(5))
    with pytest.raises(ValueError, match=r"got 7.5$"):
        store.assign([0], "a", create=True, round=np.float64(7.5))


def test_history_is_readable(store):
    store.create_label("a")
    store.assign([1, 2], "a", source="suggestion", round=3)
    store.undo()
    create, assign, undo = store.history()
    assert assign["description"] == "assign 2 points to 'a' (suggestion, round 3)"
    assert (assign["source"], assign["round"], assign["n_points"], assign["undone"]) == ("suggestion", 3, 2, True)
    assert create["undone"] is False and undo["undone"] is None and undo["target"] == assign["id"]
    assert create["time"].tzinfo is not None and create["time"] <= undo["time"]
    assert pd.DataFrame(store.history()).shape[0] == 3


def test_version_only_increases(store):
    versions = [store.version]
    store.create_label("a")
    versions.append(store.version)
    store.assign([1], "a")
    versions.append(store.version)
    store.undo()
    versions.append(store.version)
    store.redo()
    versions.append(store.version)
    assert versions == sorted(set(versions))


def test_automatic_snapshots_keep_one_and_reopen_equal(store_path, monkeypatch):
    import sqlite3

    from embedviz.labels import store_file

    monkeypatch.setattr(store_file, "_SNAPSHOT_EVERY_EVENTS", 5)
    rng = np.random.default_rng(0)
    with LabelStore(store_path, n=50) as s:
        for k in range(23):
            s.assign(rng.integers(0, 50, 10), "abc"[k % 3], create=True)
            if k % 4 == 0:
                s.undo()
        expected = s.codes().copy(), s.classes, s.can_redo
    conn = sqlite3.connect(store_path)
    assert conn.execute("SELECT count(*) FROM snapshots").fetchone()[0] == 1
    conn.close()
    with LabelStore(store_path) as s:
        assert (s.codes().tolist(), s.classes, s.can_redo) == (expected[0].tolist(), expected[1], expected[2])
        while s.can_undo:
            s.undo()
        assert s.labelled().size == 0 and s.classes == []
