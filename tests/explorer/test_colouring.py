"""Colour-by specs: categories, the grey extras only when they are used, novelty in grey."""
from __future__ import annotations

import numpy as np
import pandas as pd

from embedviz.widget.colouring import NOVEL_COLOR, colour_options, colour_spec

ARGS = dict(label_codes=np.array([0, -1, 1]), label_names=["a", "b"],
            label_colors={"a": "#111111", "b": "#222222"}, clusters=np.array([0, 1, 1]))


def test_column_without_missing_values_has_no_missing_category():
    spec = colour_spec("kind", pd.DataFrame({"kind": ["x", "y", "x"]}), **ARGS)
    assert spec.categories == ["x", "y"] and spec.values.tolist() == [0, 1, 0]


def test_missing_values_get_a_grey_category():
    spec = colour_spec("kind", pd.DataFrame({"kind": ["x", None, "x"]}), **ARGS)
    assert spec.categories == ["x", "missing"] and spec.values.tolist() == [0, 1, 0]


def test_labels_always_show_unlabelled_and_use_label_colours():
    spec = colour_spec("label", pd.DataFrame(index=range(3)), **ARGS)
    assert spec.categories == ["a", "b", "unlabelled"]
    assert spec.palette[:2] == ["#111111", "#222222"] and spec.values.tolist() == [0, 2, 1]


def test_novel_predictions_are_grey_and_named():
    spec = colour_spec("prediction", pd.DataFrame(index=range(3)), **ARGS,
                       pred_codes=np.array([0, 1, 1]), pred_names=["a", "b"],
                       confidence=np.ones(3), novelty=np.array([0.1, 0.9, 0.2]))
    assert spec.values.tolist() == [0, 2, 1]
    assert spec.categories[-1].startswith("novel") and spec.palette[-1] == NOVEL_COLOR


def test_the_prediction_legend_lists_only_predicted_labels():
    spec = colour_spec("prediction", pd.DataFrame(index=range(4)), **ARGS,
                       pred_codes=np.array([2, 0, 2, 1]), pred_names=["a", "empty", "c"],
                       confidence=np.ones(4), novelty=np.array([0.1, 0.2, 0.3, 0.9]))
    assert spec.categories[:2] == ["a", "c"] and spec.values.tolist() == [1, 0, 1, 2]
    assert spec.categories[2].startswith("novel")


def test_options_skip_per_row_vectors():
    frame = pd.DataFrame({"v": [np.zeros(2)] * 3, "n": [1.0, 2.0, 3.0]})
    assert colour_options(frame) == ["label", "prediction", "confidence", "cluster", "n"]
