"""The Explorer's loop without a browser: the widgets get exactly the messages a browser sends."""
from __future__ import annotations

import html
import re
import time

import numpy as np
import pandas as pd
import pytest

import embedviz as ev

from .conftest import blob, chip, front_end_hovers, front_end_key, front_end_selects, front_end_ui, panel_text, status


@pytest.fixture()
def ex(digits, tmp_path):
    return ev.Explorer(digits, embedding="pixels", image="image", label_file=str(tmp_path / "l.embedviz.db"),
                       progress=False)


def test_lasso_hotkey_labels_and_undo(ex, digits):
    front_end_ui(ex, "name", "zero")            # type a name, press Enter
    front_end_ui(ex, "name", "")
    front_end_ui(ex, "name", "one")
    pts = blob(digits, 0)
    front_end_selects(ex.scatter, pts)
    np.testing.assert_array_equal(np.sort(ex.selection), pts)
    front_end_key(ex.scatter, "digit:1")
    assert ex.labels.iloc[pts].eq("zero").all()
    assert ex.labels.notna().sum() == len(pts)
    assert ex.selection.size == 0                      # cleared so the labels show
    assert ex.widget.controls["color_by"] == "cluster"  # the user's colouring stays
    front_end_key(ex.scatter, "undo")
    assert ex.labels.notna().sum() == 0
    np.testing.assert_array_equal(np.sort(ex.selection), pts)  # selected again...
    front_end_key(ex.scatter, "digit:2")                          # ...so 2 corrects the 1
    assert ex.labels.iloc[pts].eq("one").all() and ex.labels.notna().sum() == len(pts)
    front_end_key(ex.scatter, "undo")
    front_end_key(ex.scatter, "redo")
    assert ex.labels.iloc[pts].eq("one").all()
    front_end_selects(ex.scatter, pts[:5])
    front_end_key(ex.scatter, "digit:1")               # a lasso, then a label from Python:
    ex.label(blob(digits, 5, 5), "zero")
    front_end_key(ex.scatter, "undo")                  # undoing the latter selects nothing
    assert ex.selection.size == 0 and ex.labels.iloc[pts[:5]].eq("zero").all()
    front_end_key(ex.scatter, "undo")
    front_end_selects(ex.scatter, [])
    front_end_selects(ex.scatter, pts[:10])
    front_end_key(ex.scatter, "delete")
    assert ex.labels.notna().sum() == len(pts) - 10


def test_rename_and_delete_the_active_label_from_the_bar(ex, digits):
    assert not ex.widget.controls["search_enabled"]  # no text column: no dead search box
    front_end_ui(ex, "delete")                          # no label yet: both are disabled
    assert ex.widget.labels["active"] is None
    zeros, sixes = blob(digits, 0), blob(digits, 6)
    ex.label(zeros, "zero")
    ex.label(sixes, "Zero")                            # a slip of the Shift key
    assert chip(ex, 1) == f"2 · Zero ({len(sixes)})"
    front_end_ui(ex, "rename_start")                          # renames the active label, 'Zero'
    assert ex.widget.labels["renaming"] == "Zero"
    front_end_ui(ex, "name", " six ")                    # typed, Enter
    assert ex.labels.iloc[sixes].eq("six").all() and "Zero" not in ex.store.classes
    assert chip(ex, 1) == f"2 · six ({len(sixes)})"
    assert "Renamed 'Zero' to 'six'" in status(ex)
    front_end_ui(ex, "name", "seven")                    # the box creates labels again
    assert ex.store.classes == ["zero", "six", "seven"]
    front_end_ui(ex, "rename_start")
    front_end_ui(ex, "name", "zero")                     # a taken name: refused, said, kept
    assert ex.store.classes == ["zero", "six", "seven"] and "zero" in status(ex)
    with pytest.raises(ValueError, match="differ only in case"):
        ex.rename_label("seven", "ZERO ")              # the same name to the eye: refused
    ex.rename_label("seven", "Seven")                  # its own name in another case is fine
    assert ex.store.classes == ["zero", "six", "Seven"]
    front_end_ui(ex, "name", "SEVEN")                    # typed again: picks that label
    assert ex.store.classes == ["zero", "six", "Seven"] and ex.active_label == "Seven"
    front_end_ui(ex, "pick", "six")
    front_end_ui(ex, "delete")
    assert ex.store.classes == ["zero", "Seven"] and ex.labels.iloc[sixes].isna().all()
    assert f"its {len(sixes):,} points are unlabelled" in status(ex)
    ex.undo()                                          # the points come back with their label
    assert ex.labels.iloc[sixes].eq("six").all()
    front_end_ui(ex, "pick", "six")
    front_end_ui(ex, "delete")
    assert ex.active_label != "six"
    front_end_ui(ex, "undo")                            # the bin undone: 'six' is active again
    assert ex.active_label == "six" and "six" in ex.store.classes


def test_renamed_label_shows_in_predictions(ex, digits):
    ex.label(blob(digits, 0, 25), "zero")
    ex.label(blob(digits, 1, 25), "one")
    ex.retrain()
    ex.rename_label("one", "ones")
    assert "ones" in set(ex.predictions.label) and "one" not in set(ex.predictions.label)
    with pytest.raises(Exception, match="nine"):
        ex.rename_label("nine", "nines")               # an unknown label names itself


def test_hotkey_without_label_says_how_to_fix(ex, digits):
    front_end_selects(ex.scatter, blob(digits, 3))
    front_end_key(ex.scatter, "digit:4")
    assert "No label 4" in status(ex)
    assert ex.labels.notna().sum() == 0
    front_end_selects(ex.scatter, blob(digits, 5))     # the user moves on: the warning goes
    assert "No label 4" not in status(ex)
    front_end_key(ex.scatter, "digit:4")
    front_end_ui(ex, "color_by", "label")               # so does another colouring
    assert "No label 4" not in status(ex)
    front_end_ui(ex, "name", "five")
    front_end_selects(ex.scatter, blob(digits, 5))
    front_end_key(ex.scatter, "digit:1")
    assert "points → 'five'" in status(ex)
    front_end_ui(ex, "color_by", "digit")               # an ok message stays
    assert "points → 'five'" in status(ex)


def test_api_equals_ui_and_on_label(ex, digits):
    seen = []
    ex.on_label(seen.append)
    ex.label(blob(digits, 1), "one")
    assert seen and seen[-1]["kind"] == "assign" and seen[-1]["label"] == "one"
    assert ex.labels.value_counts().to_dict() == {"one": 40}
    ex.selection = blob(digits, 2)
    assert ex.widget.selected["total"] == 40 and len(ex.widget.selected["items"]) == 40


def test_hover_preview_fetches_thumbnail_on_demand(ex):
    front_end_hovers(ex.scatter, 5)
    assert "data:image/png;base64," in panel_text(ex.widget.preview["item"])
    assert ex.widget.preview["item"]["index"] == 5


def test_retrain_without_labels_is_a_message_not_a_traceback(ex):
    front_end_ui(ex, "retrain")
    assert "No labelled points yet" in status(ex)


def test_retrain_updates_predictions_map_and_suggestions(ex, digits):
    for d in (0, 1, 7):
        ex.label(blob(digits, d, 25, seed=d), f"d{d}")
    before = ex.xy.copy()
    ex.retrain()
    pred = ex.predictions
    assert list(pred.columns) == ["label", "nearest", "confidence", "novelty"]
    known = digits.digit.isin([0, 1, 7]).to_numpy()
    truth = "d" + digits.digit.astype(str)
    assert (pred.label[known] == truth[known]).mean() > 0.85
    assert (pred.nearest[known] == truth[known]).mean() > 0.85
    assert pred.novelty[~known].mean() > pred.novelty[known].mean()
    assert not np.allclose(before, ex.xy)                      # the map moved
    assert ex.widget.controls["color_by"] == "cluster"          # the colouring stays...
    assert ex.widget.controls["offer_color_by"] == "prediction"  # ...predictions are offered
    front_end_ui(ex, "color_by", "prediction")
    assert ex.widget.controls["offer_color_by"] is None          # chosen: the offer goes
    assert len(ex.suggestions) > 0 and len(ex.scatter.highlight) > 0
    grey = (pred.novelty >= 0.5).to_numpy()           # 84 % and 0 % when written
    assert grey[~known].mean() > 0.7 and grey[known].mean() < 0.05
    assert f"{grey.sum():,} points fit no label (grey)" in status(ex)


def test_check_labels_selects_labels_that_look_wrong_and_one_key_fixes_them(ex, digits):
    assert ex.suspects == [] and ex.widget.controls["suspects"] == 0
    front_end_ui(ex, "check_labels")
    assert "No labels look wrong" in status(ex)
    ones, sevens = blob(digits, 1, 30), blob(digits, 7, 30)
    ex.label(ones, "one")
    ex.label(sevens, "seven")
    slip = np.setdiff1d(blob(digits, 7, 60, seed=1), sevens)[:8]
    ex.label(slip, "one")                              # a lasso of sevens given the wrong key
    ex.retrain()
    found = ex.suspects
    assert found and ex.widget.controls["suspects"] > 0
    assert ex.widget.controls["suspects"] == len(found)
    first = found[0]
    assert (first.given, first.predicted) == ("one", "seven")
    assert set(first.indices.tolist()) <= set(slip.tolist()) and first.indices.size >= 6
    ex.panels.on_hover(int(first.indices[0]))                # the preview says so too
    assert "label looks wrong" in panel_text(ex.widget.preview["item"])
    ex.panels.on_hover(int(ones[0]))
    assert "label looks wrong" not in panel_text(ex.widget.preview["item"])
    front_end_ui(ex, "check_labels")
    np.testing.assert_array_equal(np.sort(ex.selection), np.sort(first.indices))
    said = status(ex)
    assert f"Labels that look wrong, 1 of {len(found)}" in said
    assert f"{first.indices.size:,} points labelled 'one' look like 'seven'" in said
    assert "press 2 to relabel them 'seven'" in said
    front_end_key(ex.scatter, "digit:2")               # the key the status line names
    assert ex.labels.iloc[first.indices].eq("seven").all()
    front_end_ui(ex, "check_labels")                   # the fixed group is skipped
    rest = [g for g in found[1:] if (ex.labels.iloc[g.indices] == g.given).any()]
    if rest:
        assert "Labels that look wrong, 2 of" in status(ex)
    for group in rest:                                 # fix the others too
        ex.label(group.indices, group.predicted)
    front_end_ui(ex, "check_labels")
    assert "Every label that looked wrong has been changed" in status(ex)
    assert ex.widget.controls["suspects"] == 0  # nothing left to offer


def test_new_class_button_selects_clusters_of_points_that_fit_no_label(ex, digits):
    assert ex.candidates == [] and ex.widget.controls["new_classes"] == 0
    for d in (0, 1, 7):
        ex.label(blob(digits, d, 25, seed=d), f"d{d}")
    ex.retrain()                                       # returns once the map shows...
    found = ex.candidates                              # ...the candidates come after
    assert len(found) >= 2
    deadline = time.monotonic() + 30
    while ex.widget.controls["new_classes"] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)                               # the worker offers them when found
    assert ex.widget.controls["new_classes"] > 0
    assert ex.widget.controls["new_classes"] == len(found)
    unlabelled_digit = ~digits.digit.isin([0, 1, 7]).to_numpy()
    for i in range(len(found) + 1):                    # one click per candidate, then round
        front_end_ui(ex, "new_class")
        picked = found[i % len(found)]
        np.testing.assert_array_equal(np.sort(ex.selection), np.sort(picked))
        assert f"Possible new class {i % len(found) + 1} of {len(found)}" in status(ex)
        assert unlabelled_digit[picked].mean() > 0.9    # the digits nobody labelled
        assert (ex.predictions.novelty.to_numpy()[picked] >= 0.5).all()
    ex.panels.on_hover(int(found[0][0]))                     # the preview says why it is grey
    shown = panel_text(ex.widget.preview["item"])
    nearest = ex.predictions.nearest.iat[int(found[0][0])]
    assert ex.predictions.label.isna().iat[int(found[0][0])]  # grey: no label
    assert f"fits no label (nearest: {nearest})" in shown and "pred:" not in shown
    ex.panels.on_hover(int(np.flatnonzero(ex.predictions.novelty.to_numpy() < 0.5)[0]))
    preview = panel_text(ex.widget.preview["item"])
    assert "pred: " in preview and "fits no label" not in preview
    ex.label(found[1], "new")                          # the user names the second one...
    front_end_ui(ex, "new_class")                      # ...so the next click skips it
    np.testing.assert_array_equal(np.sort(ex.selection), np.sort(found[2 % len(found)]))
    for c in found:
        ex.label(c, "new")
    front_end_ui(ex, "new_class")
    assert "Every candidate new class is labelled now" in status(ex)
    assert ex.widget.controls["new_classes"] == 0  # nothing left to offer


def test_labels_survive_a_new_explorer_on_the_same_file(digits, tmp_path):
    path = str(tmp_path / "keep.embedviz.db")
    first = ev.Explorer(digits, embedding="pixels", label_file=path, progress=False)
    first.label(blob(digits, 4), "four")
    first.store.close()
    again = ev.Explorer(digits, embedding="pixels", label_file=path, progress=False)
    assert again.labels.iloc[blob(digits, 4)].eq("four").all()
    assert again.widget.controls["color_by"] == "label"


def test_bad_inputs_name_the_fix(digits, tmp_path):
    db = str(tmp_path / "x.embedviz.db")
    with pytest.raises(KeyError, match="columns"):
        ev.Explorer(digits, embedding="pixel", label_file=db)
    with pytest.raises(ValueError, match="rows"):
        ev.Explorer(digits, embedding=np.zeros((10, 4)), label_file=db)
    ragged = pd.DataFrame({"v": [[1.0, 2.0], [1.0, 2.0, 3.0], [0.0, 1.0]]})
    with pytest.raises(ValueError, match="ragged"):
        ev.Explorer(ragged, embedding="v", label_file=db)
    with pytest.raises(ValueError, match="Nothing to map"):
        ev.Explorer(pd.DataFrame({"a": [1, 2, 3]}), label_file=db)


def test_missing_images_show_placeholders_and_are_counted(tmp_path):
    from PIL import Image

    good = tmp_path / "ok.png"
    Image.new("RGB", (8, 8), (200, 30, 30)).save(good)
    frame = pd.DataFrame({"img": [str(good), str(tmp_path / "gone.png"), None] * 10})
    ex = ev.Explorer(frame, embedding=np.random.default_rng(0).normal(size=(30, 5)), image="img",
                     label_file=str(tmp_path / "img.embedviz.db"), progress=False)
    assert "20 of 30 images could not be found" in status(ex)
    front_end_hovers(ex.scatter, 1)
    assert "image_error" in ex.widget.preview["item"]  # the front end shows a placeholder
    front_end_hovers(ex.scatter, 0)
    assert "data:image/png;base64," in panel_text(ex.widget.preview["item"])


def test_cancel_leaves_labels_and_map_unchanged(ex, digits):
    for d in (0, 1):
        ex.label(blob(digits, d, 20, seed=d), f"d{d}")
    labels_before, xy_before = ex.labels.copy(), ex.xy.copy()
    front_end_ui(ex, "retrain")                       # runs in the background
    assert ex.widget.controls["busy"] and ex.widget.controls["busy"]
    assert ex.widget.controls["busy"]  # the bar shows only while busy
    front_end_ui(ex, "cancel")
    assert not ex.widget.controls["busy"]  # and then takes no room
    assert ex.wait_retrain(60)
    assert "cancelled" in status(ex)
    assert ex.predictions is None
    pd.testing.assert_series_equal(ex.labels, labels_before)
    np.testing.assert_array_equal(ex.xy, xy_before)
    assert not ex.widget.controls["busy"]           # ready for another go


def test_search_selects_matching_text_and_similar_grows_it(tmp_path):
    texts = ["sparse matrix product", "dense Matrix inverse", "read a file", "write a FILE"] * 5
    ex = ev.Explorer(pd.DataFrame({"text": texts}), embedding=np.random.default_rng(0).normal(size=(20, 6)),
                     text="text", label_file=str(tmp_path / "s.embedviz.db"), progress=False)
    assert ex.widget.controls["search_enabled"]
    front_end_ui(ex, "search", "matrix")
    assert sorted(ex.selection.tolist()) == [i for i, t in enumerate(texts) if "matrix" in t.lower()]
    assert "10 items contain 'matrix': press 1-9" in status(ex)
    assert ex.widget.controls["search"] == "" and ex.widget.controls["search_rev"] == 1  # emptied
    ex.selection = []
    front_end_ui(ex, "search", "matrix")                  # the same query a 2nd time runs again
    assert ex.selection.size == 10
    before = set(ex.selection.tolist())
    front_end_ui(ex, "similar")
    assert before < set(ex.selection.tolist())
    assert "similar points added" in status(ex)
    front_end_ui(ex, "color_by", "text")                  # the selection is the same: it stays
    assert "similar points added" in status(ex)
    front_end_selects(ex.scatter, [])                    # Esc: a message about it would lie
    assert "similar" not in status(ex)
    assert "20 points · 0 labels" in status(ex)  # the summary, not a blank
    rev = ex.widget.controls["search_rev"]
    front_end_ui(ex, "search", "zzqq")                    # no hits: the typo stays to be fixed
    assert "0 items contain 'zzqq'" in status(ex)
    assert ex.widget.controls["search_rev"] == rev          # the box is left as typed


def test_after_each_button_the_map_takes_the_keys(ex, digits, monkeypatch):
    """A button keeps the focus after a click, and keys on it went to JupyterLab: Ctrl+Z after
    the bin did nothing and M made the Explorer's cell Markdown. Each action hands the
    focus to the map (the browser half is in tests/e2e/test_explorer_loop.py)."""
    asked = []
    monkeypatch.setattr(ex.scatter, "focus", lambda: asked.append(1))
    front_end_ui(ex, "name", "zero")
    front_end_selects(ex.scatter, blob(digits, 0))
    for action in ("assign", "undo", "redo", "unassign", "delete", "retrain"):
        before = len(asked)
        front_end_ui(ex, action)
        assert len(asked) > before, action
    ex.cancel_retrain()


def test_the_status_says_what_a_lasso_or_a_key_did_beyond_labelling(ex, digits):
    def said() -> str:
        return html.unescape(re.sub(r"<[^>]+>", "", status(ex)))

    front_end_ui(ex, "name", "zero")
    ex.label(blob(digits, 0, 30), "zero")
    front_end_selects(ex.scatter, blob(digits, 0, 40))
    front_end_ui(ex, "name", "round")                     # points are selected already
    assert "Label 'round' is active: press 2 or Assign to label the 40 selected points." == said()
    front_end_key(ex.scatter, "digit:2")
    overlap = len(np.intersect1d(blob(digits, 0, 30), blob(digits, 0, 40)))
    assert f"40 points → 'round'; {overlap} of them were 'zero'. Ctrl+Z" in said()  # not silent
    front_end_key(ex.scatter, "undo")                   # the lasso comes back selected...
    assert "its points are selected again" in said()
    front_end_selects(ex.scatter, [])                   # ...until Esc: then the line would lie
    assert "selected again" not in said()
    front_end_selects(ex.scatter, blob(digits, 7, 5))
    front_end_key(ex.scatter, "delete")                 # Unassign on unlabelled points
    assert "None of the 5 selected points has a label" in said()
    front_end_selects(ex.scatter, [])
    front_end_key(ex.scatter, "redo")
    assert ex.labels.iloc[blob(digits, 0, 40)].eq("round").all()
    front_end_key(ex.scatter, "digit:1")                # nothing selected: the key picks 1
    assert "Label 'zero' is active; nothing is selected" in said() and ex.active_label == "zero"
    front_end_ui(ex, "rename_start")                            # the Add button says what it does
    assert ex.widget.labels["renaming"] is not None
    front_end_ui(ex, "name", "nought")
    assert ex.widget.labels["renaming"] is None and ex.store.classes == ["nought", "round"]
