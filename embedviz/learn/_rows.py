"""Row-wise reductions of (n, C) class arrays, fast for few columns."""
from __future__ import annotations

import numpy as np
import torch


def row_max(a: np.ndarray) -> np.ndarray:
    """``a.max(axis=1)``: numpy reduces a short last axis slowly (1e6 x 8: 72 ms vs 16 ms
    through torch in one measurement), and a GPU retrain at n = 1e6 did this a dozen times."""
    return torch.from_numpy(np.ascontiguousarray(a)).amax(dim=1).numpy()
