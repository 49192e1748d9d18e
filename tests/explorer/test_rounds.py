"""A round outlives the kernel, goes stale when labels change, and moves the map little."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import embedviz as ev
from embedviz.compute.relayout import displacement
from embedviz.explorer.last_round import round_path
from embedviz.widget.scatter import Scatter

from .conftest import blob, front_end_ui, status


def explorer(digits, path, **kw) -> ev.Explorer:
    return ev.Explorer(digits, embedding="pixels", image="image", label_file=str(path),
                       progress=False, **kw)


def sent_colours(ex) -> list[dict]:
    """Every colour update the map is sent from now on."""
    sent: list[dict] = []
    real = ex.scatter.update

    def update(**kwargs):
        sent.append(kwargs)
        return real(**kwargs)

    ex.scatter.update = update
    return sent


def three_labels(ex, digits) -> None:
    for d in (0, 1, 7):
        ex.label(blob(digits, d, 25, seed=d), f"d{d}")


def test_a_restart_shows_the_last_rounds_predictions_map_and_colours(digits, tmp_path,
                                                                     monkeypatch):
    sent: list[tuple[Scatter, dict]] = []
    real = Scatter.update

    def spy(self, **kwargs):
        if kwargs.get("color") is not None:
            sent.append((self, kwargs))
        return real(self, **kwargs)

    monkeypatch.setattr(Scatter, "update", spy)
    path = tmp_path / "l.embedviz.db"
    ex = explorer(digits, path)
    three_labels(ex, digits)
    ex.retrain()
    front_end_ui(ex, "color_by", "prediction")
    xy, pred = ex.xy.copy(), ex.predictions
    colours = [kw for s, kw in sent if s is ex.scatter][-1]
    assert round_path(path).exists()

    again = explorer(digits, path)                     # a new kernel's Explorer, same data
    np.testing.assert_array_equal(again.xy, xy)        # the map the round left
    np.testing.assert_array_equal(again.scatter.xy, xy)
    pd.testing.assert_frame_equal(again.predictions, pred)
    assert again.rounds == 1 and not again.predictions_stale
    assert again.widget.controls["color_by"] == "prediction"   # its colours, as left
    shown = [kw for s, kw in sent if s is again.scatter][-1]
    np.testing.assert_array_equal(shown["color"], colours["color"])
    assert shown["categories"] == colours["categories"]
    assert shown["palette"] == colours["palette"]
    assert "round 1's predictions shown" in status(again)
    with pytest.raises(RuntimeError, match="retrain once"):
        again.predict(embedding=np.zeros((2, 64)))     # no model is kept, and it says so
    again.retrain()                                    # the next round counts on
    assert again.rounds == 2


def test_a_kept_round_is_not_shown_on_other_data(digits, tmp_path):
    path = tmp_path / "l.embedviz.db"
    ex = explorer(digits, path)
    three_labels(ex, digits)
    ex.retrain()
    other = digits.copy()
    other["pixels"] = [np.asarray(p, dtype=float)[::-1] for p in other["pixels"]]  # re-embedded
    again = explorer(other, path)
    assert again.predictions is None and again.rounds == 0
    assert again.labels.notna().sum() == 75            # the labels belong to the rows


def test_undo_marks_predictions_stale_until_the_labels_match_again(digits, tmp_path):
    ex = explorer(digits, tmp_path / "l.embedviz.db")
    three_labels(ex, digits)
    ex.retrain()
    assert not ex.predictions_stale and not ex.widget.controls["stale"]
    ex.undo()                                          # takes d7's lasso back
    assert ex.predictions_stale and ex.widget.controls["stale"]
    assert ex.predictions.attrs["stale"]
    ex.redo()                                          # the labels it learnt, again
    assert not ex.predictions_stale and not ex.widget.controls["stale"]
    ex.rename_label("d0", "zero")                      # a rename teaches nothing new
    assert not ex.predictions_stale
    ex.label(blob(digits, 3, 10), "d3")
    assert ex.predictions_stale
    ex.retrain()
    assert not ex.predictions_stale


def test_chips_legend_and_active_label_agree_after_undoing_a_rename(digits, tmp_path):
    ex = explorer(digits, tmp_path / "l.embedviz.db", color_by="label")
    three_labels(ex, digits)
    sent = sent_colours(ex)
    ex.rename_label("d7", "seven")
    ex.undo()
    chips = [item["name"] for item in ex.widget.labels["items"]]
    legend = sent[-1]["categories"]
    assert chips == ["d0", "d1", "d7"] and "d7" in legend and "seven" not in legend
    assert ex.active_label in chips


def test_the_colouring_survives_labelling_and_retraining(digits, tmp_path):
    ex = explorer(digits, tmp_path / "l.embedviz.db", color_by="digit")
    three_labels(ex, digits)
    assert ex.widget.controls["color_by"] == "digit"
    ex.retrain()
    assert ex.widget.controls["color_by"] == "digit"
    assert ex.widget.controls["offer_color_by"] == "prediction"


@pytest.mark.parametrize("layout", ["align", "keep", "free"])
def test_retrain_layouts_move_the_map_as_asked(digits, tmp_path, layout):
    ex = explorer(digits, tmp_path / "l.embedviz.db")
    three_labels(ex, digits)
    before = ex.xy.copy()
    result = ex.retrain(layout=layout)
    assert result.layout == layout and result.seconds_to_predictions <= result.seconds
    moved = displacement(before, ex.xy)
    assert result.displacement == moved
    if layout == "keep":
        assert moved.mean == 0.0
    elif layout == "align":                            # moves, but little
        assert 0 < moved.mean < 0.05 and moved.p95 < 0.1
    else:                                              # a fresh layout moves far more
        assert moved.mean > 0.05
    with pytest.raises(ValueError, match="'align'"):
        ex.retrain(layout="drift")


def test_a_precomputed_map_and_graph_are_used_as_given(digits, tmp_path):
    X = np.stack(digits.pixels.to_numpy()).astype(np.float32)
    graph = ev.knn(X, k=10, progress=False)
    xy = np.random.default_rng(0).normal(size=(len(X), 2)).astype(np.float32) * 50
    ex = explorer(digits, tmp_path / "l.embedviz.db", xy=xy, knn=graph)
    np.testing.assert_array_equal(ex.xy, xy)
    assert ex.graph is graph
    three_labels(ex, digits)
    result = ex.retrain()                              # a map at any scale follows too
    assert result.displacement is not None and np.isfinite(ex.xy).all()


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"xy": np.zeros((5, 2))}, ValueError, "one \\(x, y\\) row per data row"),
    ({"xy": np.full((1797, 2), np.nan)}, ValueError, "NaN or inf at rows \\[0, 1"),
    ({"knn": np.zeros((1797, 10))}, TypeError, "KNNGraph"),
])
def test_a_bad_precomputed_map_or_graph_is_refused_before_any_compute(digits, tmp_path,
                                                                      monkeypatch, kwargs,
                                                                      error, match):
    import embedviz.compute.knn as knn_mod

    monkeypatch.setattr(knn_mod, "knn", lambda *a, **k: pytest.fail("computed first"))
    with pytest.raises(error, match=match):
        explorer(digits, tmp_path / "l.embedviz.db", **kwargs)


def test_the_old_labels_keyword_still_opens_the_label_file_with_a_warning(digits, tmp_path):
    path = tmp_path / "old.embedviz.db"
    with pytest.warns(FutureWarning, match="label_file="):
        ex = ev.Explorer(digits, embedding="pixels", image="image", labels=str(path),
                         progress=False)
    assert ex.store.path == path or str(ex.store.path) == str(path)


def test_the_explorer_says_which_algorithm_made_its_map(digits, tmp_path):
    ex = explorer(digits, tmp_path / "l.embedviz.db")
    assert ex.map_info is not None and ex.map_info.algorithm in ("umap-learn", "umap-torch")
    assert ex.map_info.n_points == len(digits) and ex.map_info.reason
