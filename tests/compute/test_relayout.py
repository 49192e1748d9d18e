"""A retrain's map follows the model from the map on screen, moving points little."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits

import embedviz as ev
from embedviz.compute.relayout import displacement, procrustes_onto, relayout


@pytest.fixture(scope="module")
def digits_map():
    X = load_digits().data.astype(np.float32)
    graph = ev.knn(X, k=15, progress=False)
    return X, graph, ev.reduce(X, knn=graph, random_state=0, progress=False)


def test_displacement_is_a_share_of_the_first_maps_diagonal():
    a = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 4.0]])
    moved = displacement(a, a + [[0.0, 0.0], [0.0, 0.0], [1.0, 0.0]])
    assert moved.mean == pytest.approx(round(1 / 15, 4)) and moved.p95 > moved.mean
    with pytest.raises(ValueError, match="same points"):
        displacement(a, a[:2])


def test_procrustes_undoes_a_rotation_reflection_scale_and_shift():
    ref = np.random.default_rng(0).normal(size=(50, 2))
    turned = ref @ np.array([[0.6, 0.8], [0.8, -0.6]]) * 4.0 - 7.0
    np.testing.assert_allclose(procrustes_onto(turned, ref), ref, atol=1e-4)


def test_align_moves_points_less_than_a_boxed_full_step_start(digits_map):
    X, graph, xy = digits_map
    warped = X + np.random.default_rng(1).normal(scale=2.0, size=X.shape).astype(np.float32)
    g2 = ev.knn(warped, k=15, progress=False, cache=False)
    aligned = displacement(xy, relayout(warped, g2, xy, random_state=0))
    boxed = displacement(xy, relayout(warped, g2, xy, keep_scale=False, learning_rate=1.0,
                                      n_epochs=80, random_state=0))
    assert aligned.mean < boxed.mean and aligned.p95 < boxed.p95
    kept = relayout(warped, g2, xy, layout="keep")
    np.testing.assert_array_equal(kept, xy)
    free = relayout(warped, g2, xy, layout="free", random_state=0)
    assert displacement(xy, free).mean > aligned.mean


def test_bad_layouts_and_mismatched_maps_are_refused(digits_map):
    X, graph, xy = digits_map
    with pytest.raises(ValueError, match="'keep'"):
        relayout(X, graph, xy, layout="drift")
    with pytest.raises(ValueError, match="same points"):
        relayout(X, graph, xy[:-1])
