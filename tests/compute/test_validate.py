"""The shared input validator and the large-job warning."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import embedviz
from embedviz.compute.validate import EmbedvizPerformanceWarning, as_float_matrix


def test_accepts_arrays_tensors_frames_and_lists() -> None:
    expected = np.arange(6, dtype=np.float32).reshape(3, 2)
    for value in (expected.astype(np.int64), torch.arange(6).reshape(3, 2),
                  pd.DataFrame(expected), expected.tolist()):
        out = as_float_matrix(value)
        assert out.dtype == np.float32 and out.flags.c_contiguous
        np.testing.assert_array_equal(out, expected)


def test_drop_invalid_returns_the_kept_mask() -> None:
    X = np.ones((5, 2))
    X[1, 0] = np.nan
    X[3, 1] = -np.inf
    with pytest.warns(UserWarning, match=r"Dropped 2 row\(s\).*\[1, 3\]"):
        out, keep = as_float_matrix(X, drop_invalid=True, return_mask=True)
    assert out.shape == (3, 2) and keep.tolist() == [True, False, True, False, True]


def test_shape_and_dtype_errors_name_the_fix() -> None:
    with pytest.raises(ValueError, match="reshape"):
        as_float_matrix(np.ones(4))
    with pytest.raises(TypeError, match="embed"):
        as_float_matrix(np.array([["a"], ["b"]], dtype=object))
    with pytest.raises(TypeError, match="toarray"):
        import scipy.sparse as sp

        as_float_matrix(sp.eye(3, format="csr"))


def test_large_cpu_job_warns_with_an_estimate() -> None:
    embedviz.config.cpu_macs_per_s = 1e3  # pretend the CPU is very slow
    X = np.random.default_rng(0).normal(size=(300, 4))
    with pytest.warns(EmbedvizPerformanceWarning, match=r"estimated to take about \d+ min.*method='approx'"):
        embedviz.knn(X, k=3, method="exact", device="cpu", progress=False)
