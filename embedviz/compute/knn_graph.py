"""The shared k-nearest-neighbour graph: computed once, used by reduce, cluster and retraining."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class KNNGraph:
    """Directed kNN graph over ``n`` points (self excluded), neighbours sorted by distance.

    ``indices``: (n, k) int64 neighbour ids; ``distances``: (n, k) float32 distances in
    ``metric`` (cosine distance = 1 - cosine similarity). ``exact`` tells whether it came from
    the exact search; ``recall`` is the measured recall of an approximate search (None if exact
    or not measured).
    """

    indices: np.ndarray
    distances: np.ndarray
    metric: str = "cosine"
    exact: bool = True
    recall: float | None = None

    def __post_init__(self) -> None:
        if self.indices.shape != self.distances.shape or self.indices.ndim != 2:
            raise ValueError(
                "KNNGraph needs indices and distances of the same (n, k) shape; got "
                f"{self.indices.shape} and {self.distances.shape}."
            )

    @property
    def n(self) -> int:
        return int(self.indices.shape[0])

    @property
    def k(self) -> int:
        return int(self.indices.shape[1])

    def to_sparse(self, *, weights: str = "distance") -> sp.csr_matrix:
        """(n, n) CSR matrix; ``weights="distance"`` stores distances, ``"similarity"`` 1 - d."""
        if weights not in ("distance", "similarity"):
            raise ValueError("weights must be 'distance' or 'similarity'.")
        vals = self.distances.astype(np.float32, copy=False)
        if weights == "similarity":
            vals = 1.0 - vals
        rows = np.repeat(np.arange(self.n, dtype=np.int64), self.k)
        return sp.csr_matrix(
            (vals.ravel(), (rows, self.indices.ravel())), shape=(self.n, self.n)
        )
