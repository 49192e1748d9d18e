"""The side charts say what to do while empty and show their axes once they have data."""
import numpy as np

from embedviz.widget.charts import HINTS, SideCharts


def _hint(fig) -> str | None:
    notes = fig.layout.annotations
    return notes[0].text if notes else None


def test_empty_charts_show_hints_not_bare_axes():
    charts = SideCharts()
    for name in ("counts", "rounds", "confidence"):
        fig = getattr(charts, name)
        assert _hint(fig) == HINTS[name]
        assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False


def test_counts_hint_goes_with_labels_and_comes_back_when_all_are_undone():
    charts = SideCharts()
    charts.show_counts(["cat", "dog"], [3, 0], ["#f00", "#0f0"])
    assert _hint(charts.counts) is None and charts.counts.layout.xaxis.visible is True
    assert list(charts.counts.data[0].y) == [3, 0]
    charts.show_counts(["cat", "dog"], [0, 0], ["#f00", "#0f0"])
    assert _hint(charts.counts) == HINTS["counts"]


def test_retrain_reveals_rounds_and_confidence():
    charts = SideCharts()
    charts.add_round(1, 0.8)
    charts.show_confidence(np.array([0.1, 0.9, 0.95]))
    assert _hint(charts.rounds) is None and list(charts.rounds.data[0].y) == [0.8]
    assert _hint(charts.confidence) is None and sum(charts.confidence.data[0].y) == 3


def test_rounds_without_cross_validation_say_why():
    charts = SideCharts()
    charts.add_round(1, float("nan"))
    assert _hint(charts.rounds) == HINTS["no_cv"]
    assert charts.rounds.data[0].visible is False            # no lone marker by the hint
    charts.add_round(2, 0.7)
    assert _hint(charts.rounds) is None and charts.rounds.data[0].visible is True


def test_confidence_with_one_class_says_novelty_tells_instead():
    charts = SideCharts()
    charts.show_confidence(np.ones(5), n_classes=1)     # every point predicted as the one label
    assert _hint(charts.confidence) == HINTS["one_class"]
    charts.show_confidence(np.array([0.4, 0.9]), n_classes=2)
    assert _hint(charts.confidence) is None and charts.confidence.data[0].visible is True


def test_long_label_names_are_cut_short_on_ticks_and_chips_but_not_their_counts():
    from embedviz.widget.label_bar import LabelBar

    long = "a very long label name describing digits that look ambiguous"
    charts = SideCharts()
    charts.show_counts([long, "dog"], [3, 1], ["#f00", "#0f0"])
    assert list(charts.counts.data[0].x) == [long, "dog"]        # whole names on hover
    ticks = list(charts.counts.layout.xaxis.ticktext)
    assert ticks[1] == "dog" and len(ticks[0]) <= 14 and ticks[0].endswith("…")
    noop = lambda *_: None  # noqa: E731
    bar = LabelBar(on_create=noop, on_pick=noop, on_assign=noop, on_unassign=noop,
                   on_undo=noop, on_redo=noop, on_rename_start=noop, on_rename=noop,
                   on_delete=noop)
    bar.update([long], {long: "#4e79a7"}, {long: 1234}, long, can_undo=True, can_redo=False)
    chip = bar.chips.children[0]
    assert chip.description.endswith("(1234)") and len(chip.description) < 40
    assert long in chip.tooltip
