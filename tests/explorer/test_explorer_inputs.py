"""Explorer API calls with every kind of index, and wrong calls: the right rows or a clear error,
never labels on the wrong points, a stray label, or a broken Explorer."""
from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import pytest

import embedviz as ev
from embedviz.labels.errors import DataMismatchError

from .conftest import chip, front_end_ui, status

N = 120


@pytest.fixture()
def frame() -> pd.DataFrame:
    """Three groups, indexed by ids that are not positions (1000, 1002, ...)."""
    return pd.DataFrame({"grp": np.repeat(["p", "q", "r"], N // 3)},
                        index=pd.Index(1000 + 2 * np.arange(N), name="id"))


@pytest.fixture()
def X() -> np.ndarray:
    rng = np.random.default_rng(0)
    return (rng.normal(size=(N, 8)) + np.repeat(np.eye(3, 8) * 6, N // 3, axis=0)).astype(
        np.float32)


@pytest.fixture()
def ex(frame, X, tmp_path):
    return ev.Explorer(frame, embedding=X, label_file=str(tmp_path / "l.embedviz.db"),
                       map_method="pca", progress=False)


def _rows(ex, name: str) -> list[int]:
    return np.flatnonzero(ex.labels.to_numpy() == name).tolist()


def test_masks_and_row_labels_label_the_rows_they_name(ex, frame):
    ex.label([0, 1, 2, 3], "keep")
    ex.label(frame.grp == "q", "Q")                      # a boolean Series
    assert _rows(ex, "Q") == list(range(40, 80))
    assert _rows(ex, "keep") == [0, 1, 2, 3]             # a mask is not positions 0 and 1
    ex.label(frame.index[frame.grp == "r"][:5], "R")     # row labels (1160, ...), not positions
    assert _rows(ex, "R") == list(range(80, 85))
    first_five = pd.Series(frame.index < 1010, index=frame.index)
    ex.label(first_five.sample(frac=1.0, random_state=0), "P")  # aligned on the index
    assert _rows(ex, "P") == [0, 1, 2, 3, 4]
    ex.unlabel(np.arange(N) >= 82)                       # a numpy mask
    assert _rows(ex, "R") == [80, 81] and _rows(ex, "Q") == list(range(40, 80))
    assert ex.labels.index.equals(frame.index)


def test_a_wrong_call_changes_nothing_and_names_the_fix(ex, frame):
    ex.label([5, 6], "keep")
    before, classes = ex.labels.copy(), list(ex.store.classes)
    with pytest.raises(TypeError, match="integers"):
        ex.label([10.9], "keep")                         # not truncated to point 10
    with pytest.raises(IndexError, match="out of range"):
        ex.label([N], "oops")
    with pytest.raises(KeyError, match="not a row label"):
        ex.label(pd.Index([7]), "oops")                  # 7 is a position, not an id here
    with pytest.raises(ValueError, match="one entry per point"):
        ex.label(np.ones(N - 1, bool), "oops")
    with pytest.raises(TypeError, match="strings"):
        ex.label([1], None)
    with pytest.raises(TypeError, match="strings"):
        ex.label([1], 7)
    with pytest.raises(TypeError, match="integers"):
        ex.unlabel([5.0])
    pd.testing.assert_series_equal(ex.labels, before)
    assert ex.store.classes == classes                   # no empty "oops" label left behind


def test_label_names_are_normalised_like_the_store_does(ex):
    ex.label([12], "e\u0301")                            # decomposed "é"
    ex.label([13], "e\u0301")                            # ... again: the same label
    ex.label([14], "\u00e9 ")                            # composed, with a stray space
    assert ex.store.classes == ["\u00e9"] and _rows(ex, "\u00e9") == [12, 13, 14]


def test_the_selection_setter_takes_what_label_takes(ex, frame):
    ex.selection = frame.grp == "r"
    np.testing.assert_array_equal(ex.selection, np.arange(80, 120))
    ex.selection = frame.index[:3]
    np.testing.assert_array_equal(ex.selection, [0, 1, 2])
    with pytest.raises(IndexError, match="out of range"):
        ex.selection = [-1]
    with pytest.raises(TypeError, match="integers"):
        ex.selection = [1.7]
    np.testing.assert_array_equal(ex.selection, [0, 1, 2])


def test_a_failing_on_label_callback_does_not_hide_a_saved_label(ex):
    with pytest.raises(TypeError, match="function"):
        ex.on_label(5)
    seen = []
    ex.on_label(lambda event: 1 / 0)
    ex.on_label(seen.append)
    with pytest.warns(RuntimeWarning, match="ZeroDivisionError.*saved"):
        ex.label([3], "a")
    assert _rows(ex, "a") == [3] and seen[-1]["label"] == "a"  # later callbacks still run


def test_a_second_explorer_for_other_data_fails_and_leaves_the_first_working(ex, frame, X,
                                                                             tmp_path):
    ex.label([0, 1], "keep")
    path = str(tmp_path / "l.embedviz.db")
    reordered = frame.iloc[::-1]
    with pytest.raises(DataMismatchError, match="ids differ"):
        ev.Explorer(reordered, embedding=X[::-1], label_file=path, map_method="pca", progress=False)
    assert not ex.store.closed
    ex.label([2], "keep")                                # the first Explorer still writes
    assert _rows(ex, "keep") == [0, 1, 2]


@pytest.mark.parametrize("index, message", [
    (pd.Index([0, 1, 1] + list(range(3, N))), "duplicates"),
    (pd.Index(np.arange(N) + 0.5), "floating"),
    (pd.MultiIndex.from_arrays([np.arange(N), np.arange(N)]), "MultiIndex"),
])
def test_an_index_that_cannot_name_rows_fails_with_the_fix(X, tmp_path, index, message):
    bad = pd.DataFrame({"v": np.arange(N)}, index=index)
    with pytest.raises((TypeError, ValueError), match=f"{message}.*reset_index"):
        ev.Explorer(bad, embedding=X, label_file=str(tmp_path / "x.embedviz.db"))


def test_labels_path_and_color_by_are_checked_first(frame, X, tmp_path):
    with pytest.raises(TypeError, match="label_file= is the path"):
        ev.Explorer(frame, embedding=X, label_file=None)
    with pytest.raises(ValueError, match="color_by='nope'.*'grp'"):
        ev.Explorer(frame, embedding=X, label_file=str(tmp_path / "c.embedviz.db"),
                    color_by="nope")


def test_nan_in_the_embedding_names_the_rows_and_a_fix_the_explorer_takes(frame, X, tmp_path):
    emb = X.copy()
    emb[[3, 7]] = np.nan
    path = str(tmp_path / "n.embedviz.db")
    rows = f"data rows {frame.index[3]}, {frame.index[7]}"   # named by the data's index
    for given in (emb, "vec"):  # an array, or a column of vectors
        with pytest.raises(ValueError, match=rf"2 row\(s\) \({rows}\).*np.isfinite") as err:
            ev.Explorer(frame.assign(vec=list(emb)), embedding=given, label_file=path, progress=False)
        assert "drop_invalid" not in str(err.value)   # no argument of the Explorer
    keep = np.isfinite(emb).all(axis=1)                # the fix the message names works
    ex = ev.Explorer(frame[keep], embedding=emb[keep], label_file=path, map_method="pca",
                     progress=False)
    assert ex.xy.shape == (N - 2, 2)


@pytest.mark.parametrize("n", [0, 1, 2])
def test_too_few_points_say_how_many_are_needed(tmp_path, n):
    with pytest.raises(ValueError, match="at least 3 points"):
        ev.Explorer(np.ones((n, 4)), label_file=str(tmp_path / "s.embedviz.db"))


def test_three_points_make_a_map(tmp_path):
    ex = ev.Explorer(np.eye(3, 4), label_file=str(tmp_path / "s.embedviz.db"), progress=False)
    assert ex.xy.shape == (3, 2) and np.isfinite(ex.xy).all()


def _positional_explorer(X, path, **kw):
    return ev.Explorer(pd.DataFrame({"v": np.arange(len(X)) * 3 % 7}), embedding=X, label_file=path,
                       map_method="pca", progress=False, **kw)


def test_positional_labels_refuse_reordered_rows_and_follow_appended_ones(X, tmp_path):
    path = str(tmp_path / "pos.embedviz.db")
    first = _positional_explorer(X, path)
    first.label([0, 1, 2], "keep")
    first.store.close()
    shuffled = np.random.default_rng(1).permutation(N)
    with pytest.raises(DataMismatchError, match="another order"):
        _positional_explorer(X[shuffled], path)
    with pytest.raises(DataMismatchError, match="another order"):
        ev.Explorer(np.vstack([X[3:], X[:5]]), label_file=path, map_method="pca",
                    progress=False)                      # rows dropped, others appended
    noisy = X + np.random.default_rng(2).normal(scale=1e-6, size=X.shape).astype(np.float32)
    grown = np.vstack([noisy, X[:10]])                   # recomputed embedding, rows appended
    again = ev.Explorer(pd.DataFrame({"v": np.r_[np.arange(N) * 3 % 7, np.zeros(10, int)]}),
                        embedding=grown, label_file=path, map_method="pca", progress=False)
    assert _rows(again, "keep") == [0, 1, 2] and again.labels.size == N + 10


def test_a_label_file_without_a_signature_adopts_the_data_it_is_opened_with(X, tmp_path):
    path = str(tmp_path / "old.embedviz.db")
    with ev.LabelStore(path, n=N) as old:                # as files made before signatures
        old.assign([4], "a", create=True)
    _positional_explorer(X, path).store.close()
    with pytest.raises(DataMismatchError, match="another order"):
        _positional_explorer(X[::-1].copy(), path)


def test_the_status_line_answers_every_label_bar_action(ex):
    def said() -> str:  # the status line as a person reads it
        return html.unescape(re.sub(r"<[^>]+>", "", status(ex)))

    for i in range(10):
        front_end_ui(ex, "name", f"L{i}")                  # typed, then Enter
    assert "L9' is active" in said() and "press Assign" in said()  # there is no key 10
    front_end_ui(ex, "name", "L2")
    assert "already exists" in said() and "press 3" in said()
    front_end_ui(ex, "name", " l2 ")                       # the same name in another case
    assert "'L2' already exists" in said() and "press 3" in said()
    front_end_ui(ex, "name", "   ")
    assert "empty or only whitespace" in said()
    assert len(ex.store.classes) == 10
    ex.label([1, 2], "L0")
    front_end_ui(ex, "undo")
    assert "Undone:" in said() and ex.labels.notna().sum() == 0
    front_end_ui(ex, "redo")
    assert "Redone:" in said() and ex.labels.notna().sum() == 2
    front_end_ui(ex, "redo")
    assert "Nothing to redo" in said()
    front_end_ui(ex, "name", "x" * 330)                   # a pasted paragraph as a name
    assert "is active" in said() and len(said()) < 160   # one line, not three
    ex.label([5], "x" * 330)
    front_end_ui(ex, "undo")
    assert "Undone: assign 1 point to 'xxx" in said() and len(said()) < 160
    front_end_ui(ex, "name", "fresh")
    front_end_ui(ex, "undo")
    assert said() == "Undone: create label 'fresh'"      # no raw hex colour


def test_positional_signature_ignores_new_columns_but_not_an_integer_index_of_positions(
        X, tmp_path):
    path = str(tmp_path / "cols.embedviz.db")
    texts = pd.DataFrame({"text": [f"doc {i}" for i in range(N)]})
    first = ev.Explorer(texts, embedding=X, text="text", label_file=path, map_method="pca",
                        progress=False)
    first.label([0, 1, 2], "keep")
    first.store.close()
    wider = texts.assign(length=texts.text.str.len(), flag=True)  # columns added by the user
    again = ev.Explorer(wider, embedding=X.astype(np.float16).astype(np.float32), text="text",
                        label_file=path, map_method="pca", progress=False)
    assert _rows(again, "keep") == [0, 1, 2]
    again.store.close()
    shuffled = np.random.default_rng(3).permutation(N)
    renumbered = texts.iloc[shuffled].set_axis(np.arange(N))  # 0..n-1, but not a RangeIndex
    with pytest.raises(DataMismatchError, match="another order"):
        ev.Explorer(renumbered, embedding=X[shuffled], text="text", label_file=path,
                    map_method="pca", progress=False)


def test_ctrl_c_during_a_label_arrives_after_the_widget_shows_it(ex):
    import signal
    from unittest import mock

    from embedviz.labels.log import EventLog

    original = EventLog.append

    def append_then_interrupt(*args, **kwargs):
        out = original(*args, **kwargs)
        signal.raise_signal(signal.SIGINT)  # Ctrl+C lands right after the COMMIT
        return out

    heard = []
    ex.on_label(heard.append)
    ex.label([0], "a")
    with mock.patch.object(EventLog, "append", append_then_interrupt):
        with pytest.raises(KeyboardInterrupt):
            ex.label([1, 2], "a")
    assert _rows(ex, "a") == [0, 1, 2] and heard[-1]["n"] == 2     # callbacks heard it
    assert chip(ex, 0).endswith("(3)")     # the bar shows it


def test_ctrl_z_after_a_lasso_that_changed_nothing_selects_nothing(ex):
    from .conftest import front_end_key, front_end_selects

    ex.label([0, 1, 2], "a")
    ex.label([10, 11], "b")
    front_end_selects(ex.scatter, [0, 1, 2])
    front_end_key(ex.scatter, "digit:1")          # already "a": no change
    front_end_key(ex.scatter, "undo")             # undoes [10, 11] -> b
    assert ex.selection.size == 0 and _rows(ex, "b") == []
