"""Small seeded data for the learning tests: blobs on the sphere, one class never lassoed."""
from __future__ import annotations

import numpy as np
import pytest


def make_blobs(seed: int = 0, n_per: int = 80, d: int = 16, n_classes: int = 4):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_classes, d))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    X = np.vstack([c + 0.25 * rng.normal(size=(n_per, d)) for c in centres]).astype(np.float32)
    y = np.repeat(np.arange(n_classes), n_per)
    return X, y


@pytest.fixture(scope="session")
def lassoed():
    """Classes 0-2 lassoed (two lassos each, 15 points), class 3 never; one wrong label."""
    X, y = make_blobs()
    rng = np.random.default_rng(1)
    labels = np.full(y.shape[0], -1)
    groups = np.full(y.shape[0], -1)
    lasso = 0
    for c in range(3):
        idx = rng.permutation(np.flatnonzero(y == c))
        for part in (idx[:15], idx[15:30]):
            labels[part] = c
            groups[part] = lasso
            lasso += 1
    wrong = int(np.flatnonzero((y == 0) & (labels < 0))[0])
    labels[wrong] = 1
    groups[wrong] = 2  # inside the first class-1 lasso
    return X, y, labels, groups, wrong
