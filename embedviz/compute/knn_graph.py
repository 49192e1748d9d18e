"""The shared k-nearest-neighbour graph: computed once, used by reduce, cluster and retraining."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class KNNGraph:
    """Directed k-nearest-neighbour graph over ``n`` points, self excluded.

    Row ``i`` lists the ``k`` nearest neighbours of point ``i``, nearest first. The graph is
    computed once (by :func:`embedviz.knn`) and shared by ``reduce``, ``cluster`` and
    retraining. It is frozen: its fields cannot be reassigned.

    Parameters
    ----------
    indices : numpy.ndarray of shape (n, k)
        Neighbour ids (int64), row ``i`` sorted by distance from point ``i``.
    distances : numpy.ndarray of shape (n, k)
        Distances (float32) matching ``indices``, in ``metric``.
    metric : str, default "cosine"
        The distance: ``"cosine"`` is 1 - cosine similarity.
    exact : bool, default True
        Whether the graph came from the exact search.
    recall : float, optional
        The measured recall of an approximate search; None when exact or not measured.

    Raises
    ------
    ValueError
        ``indices`` and ``distances`` are not both 2-D arrays of the same shape.

    See Also
    --------
    embedviz.knn : Compute the graph of an embedding.

    Examples
    --------
    >>> import numpy as np
    >>> from embedviz import KNNGraph
    >>> graph = KNNGraph(indices=np.array([[1], [0], [1]]),
    ...                  distances=np.array([[0.25], [0.25], [0.5]], dtype=np.float32))
    >>> graph.n, graph.k
    (3, 1)
    >>> graph.to_sparse(weights="similarity").toarray()
    array([[0.  , 0.75, 0.  ],
           [0.75, 0.  , 0.  ],
           [0.  , 0.5 , 0.  ]], dtype=float32)
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
        """Number of points (rows of ``indices``)."""
        return int(self.indices.shape[0])

    @property
    def k(self) -> int:
        """Number of neighbours of each point (columns of ``indices``)."""
        return int(self.indices.shape[1])

    def to_sparse(self, *, weights: str = "distance") -> sp.csr_matrix:
        """Return the graph as a sparse (n, n) matrix, one stored entry per edge.

        Parameters
        ----------
        weights : {'distance', 'similarity'}, default 'distance'
            What an edge ``(i, j)`` stores: the distance ``d``, or the similarity ``1 - d``.

        Returns
        -------
        scipy.sparse.csr_matrix
            A float32 matrix of shape (n, n) whose row ``i`` holds the edges of point ``i``.

        Raises
        ------
        ValueError
            ``weights`` is neither 'distance' nor 'similarity'.
        """
        if weights not in ("distance", "similarity"):
            raise ValueError("weights must be 'distance' or 'similarity'.")
        vals = self.distances.astype(np.float32, copy=False)
        if weights == "similarity":
            vals = 1.0 - vals
        rows = np.repeat(np.arange(self.n, dtype=np.int64), self.k)
        return sp.csr_matrix(
            (vals.ravel(), (rows, self.indices.ravel())), shape=(self.n, self.n)
        )
