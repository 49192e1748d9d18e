"""A simulated lasso user for bench_learn.py.

The user looks at the 2-D map, picks a seed item of a class they want to label where that
class looks concentrated (map-neighbourhood purity at least the class median), and drags a
lasso around the seed's neighbours *inside the visual blob it sits in* (HDBSCAN on the map).
Everything inside the lasso's convex hull gets that class, so points of other classes that
the map projects into the blob are labelled wrongly, as real boundary errors are. With a
small probability the user picks a confusable wrong class (nearest class centroid on the map).
"""
from __future__ import annotations

import numpy as np
from scipy.spatial import Delaunay
from sklearn.cluster import HDBSCAN
from sklearn.neighbors import NearestNeighbors


class LassoUser:
    def __init__(self, xy: np.ndarray, y_true: np.ndarray, known: np.ndarray, *,
                 policy: str, seed: int, wrong_rate: float = 0.05,
                 size_range: tuple[float, float] = (0.05, 0.2)) -> None:
        self.xy, self.y, self.known = xy, y_true, known
        self.policy, self.wrong_rate, self.size_range = policy, wrong_rate, size_range
        self.rng = np.random.default_rng(seed)
        n = xy.shape[0]
        self.blob = HDBSCAN(min_cluster_size=max(10, n // 200)).fit_predict(xy)
        self.nn = NearestNeighbors().fit(xy)
        # users lasso where a class looks concentrated: share of a point's 15 map neighbours
        # that share its class (the user sees items on hover, not the true labels)
        nbr = self.nn.kneighbors(xy, n_neighbors=16)[1][:, 1:]
        self.purity = (y_true[nbr] == y_true[:, None]).mean(1)
        cents = np.stack([xy[y_true == c].mean(0) for c in known])
        dist = ((cents[:, None] - cents[None]) ** 2).sum(-1)
        np.fill_diagonal(dist, np.inf)
        self.confusable = {int(c): int(known[dist[i].argmin()]) for i, c in enumerate(known)}
        self.labels = np.full(n, -1, np.int64)
        self.groups = np.full(n, -1, np.int64)
        self.n_lassos = 0

    def _seed(self, c: int) -> int:
        cand = np.flatnonzero((self.y == c) & (self.labels < 0))
        if cand.size == 0:
            cand = np.flatnonzero(self.y == c)
        cand = cand[self.purity[cand] >= np.median(self.purity[self.y == c])] if (
            self.purity[cand] >= np.median(self.purity[self.y == c])).any() else cand
        if self.policy == "random" or (self.labels >= 0).sum() == 0:
            return int(self.rng.choice(cand))
        # cover: the unlabelled item of class c farthest (on the map) from every label so far
        lab = np.flatnonzero(self.labels >= 0)
        nn = NearestNeighbors(n_neighbors=1).fit(self.xy[lab])
        far = nn.kneighbors(self.xy[cand])[0][:, 0]
        # ...among dense places: users lasso blobs, not lone outliers
        dense = self.blob[cand] >= 0
        if dense.any():
            far = np.where(dense, far, -1.0)
        return int(cand[np.argmax(far)])

    def lasso(self, c: int) -> np.ndarray:
        """Draw one lasso for class ``c``; returns the indices it caught."""
        s = self._seed(c)
        n_c = int((self.y == c).sum())
        m = int(np.clip(self.rng.uniform(*self.size_range) * n_c, 8, 400))
        pool = np.flatnonzero(self.blob == self.blob[s]) if self.blob[s] >= 0 else None
        nbrs = self.nn.kneighbors(self.xy[s:s + 1], n_neighbors=min(4 * m, len(self.xy)))[1][0]
        if pool is not None:
            nbrs = nbrs[np.isin(nbrs, pool)]
        ring = nbrs[:m]
        inside = ring
        if ring.size >= 4:
            try:
                hull = Delaunay(self.xy[ring])
                inside = np.flatnonzero(hull.find_simplex(self.xy) >= 0)
            except Exception:  # degenerate (collinear) lasso: keep the ring itself
                inside = ring
        label = c
        if self.rng.random() < self.wrong_rate:
            label = self.confusable[c]
        self.labels[inside] = label
        self.groups[inside] = self.n_lassos
        self.n_lassos += 1
        return inside

    def round(self) -> None:
        """One lasso per known class, in random order."""
        for c in self.rng.permutation(self.known):
            self.lasso(int(c))
