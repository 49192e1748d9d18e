"""The same fit on CUDA agrees with the CPU (skipped where CUDA is absent)."""
from __future__ import annotations

import numpy as np
import pytest

from embedviz.learn import Retrainer

from .conftest import make_blobs


@pytest.mark.gpu
def test_cuda_fit_matches_cpu():
    X, y = make_blobs(n_per=100)
    labels = np.where(np.arange(y.size) % 10 == 0, y, -1)
    labels[y == 3] = -1
    cpu = Retrainer(method="propagate", device="cpu").fit(X, labels)
    gpu = Retrainer(device="cuda").fit(X, labels)
    gpu_prop = Retrainer(method="propagate", device="cuda").fit(X, labels)
    np.testing.assert_allclose(gpu_prop.label_distributions_, cpu.label_distributions_, atol=1e-4)
    test = (labels < 0) & (y < 3)
    assert (gpu.nearest_[test] == y[test]).mean() > 0.95


@pytest.mark.gpu
def test_cuda_graphed_adapter_learns_like_eager():
    """On CUDA the adapter's steps replay as a CUDA graph; it must learn as the eager loop."""
    X, y = make_blobs(n_per=100)
    labels = np.where(np.arange(y.size) % 10 == 0, y, -1)
    test = labels < 0
    accs = {}
    for device in ("cpu", "cuda"):
        model = Retrainer(method="adapter", device=device).fit(X, labels)
        accs[device] = (model.nearest_[test] == y[test]).mean()
    assert accs["cuda"] > 0.95 and abs(accs["cuda"] - accs["cpu"]) < 0.03, accs
