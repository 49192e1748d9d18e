"""The region hierarchy of a 2-D map: density clusters nested level by level.

Level 0 is HDBSCAN on the whole map; each finer level runs HDBSCAN again inside every region
of the level above, so a finer region can never straddle two coarser ones. A density cluster
holding most of its region (one round blob, or a continent) is cut by k-means, so
zooming in still gives finer names; a region too small to split carries over unchanged.
HDBSCAN's noise points join the nearest clustered point of their parent: every point has a
region at every level.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

__all__ = ["Tree", "build_tree", "assign_rest", "level_min_sizes"]

# Level l asks for regions of at least n / (TOP * BRANCH**l) points: up to ~TOP names on the
# whole map, each about BRANCH times finer one zoom level down (datamapplot's layers grow
# by a similar factor, so each zoom step shows a few new names per old one).
TOP = 10
BRANCH = 4


@dataclass(frozen=True)
class Tree:
    """Region of each sample row per level, and each region's parent one level up.

    ``labels[l]``: (m,) int64 region id (0..c_l-1, within level l) of every sample row.
    ``parents[l]``: (c_l,) int64 id of the level-(l-1) region holding region j (-1 on level 0).
    """

    labels: list[np.ndarray]
    parents: list[np.ndarray]


def level_min_sizes(n: int, levels: int, min_size: int) -> list[int]:
    """The smallest region each level may cut, coarse to fine (never below ``min_size``)."""
    return [max(min_size, n // (TOP * BRANCH**level)) for level in range(levels)]


def build_tree(xy: np.ndarray, *, levels: int, min_size: int, random_state: int | None) -> Tree:
    """Nested regions of the points ``xy`` (m, 2), ``levels`` deep."""
    sizes = level_min_sizes(xy.shape[0], levels, min_size)
    labels: list[np.ndarray] = []
    parents: list[np.ndarray] = []
    above = np.zeros(xy.shape[0], dtype=np.int64)  # the whole map is level -1's one region
    for level, size in enumerate(sizes):
        current = np.empty(xy.shape[0], dtype=np.int64)
        parent_of: list[int] = []
        k_max = TOP if level == 0 else BRANCH
        order = np.argsort(above, kind="stable")
        bounds = np.flatnonzero(np.diff(above[order])) + 1
        for rows in np.split(order, bounds):
            # ids 0..p-1 with none skipped (a k-means cut may leave a centre without points)
            parts = np.unique(_split(xy[rows], size, k_max, random_state), return_inverse=True)[1]
            # biggest part first: ids run coarse to fine and big to small within a parent
            counts = np.bincount(parts)
            rank = np.empty_like(counts)
            rank[np.argsort(-counts, kind="stable")] = np.arange(counts.size)
            current[rows] = len(parent_of) + rank[parts]
            parent_of.extend([int(above[rows[0]]) if level else -1] * counts.size)
        labels.append(current)
        parents.append(np.asarray(parent_of, dtype=np.int64))
        above = current
    return Tree(labels=labels, parents=parents)


def _split(points: np.ndarray, size: int, k_max: int, random_state: int | None) -> np.ndarray:
    """Parts 0..p-1 of one region's points: its density clusters, where one holds most of the
    region cut by k-means (a UMAP map of text is often one continent, which density alone
    leaves whole, or HDBSCAN picks it plus a few islands); one part when the region is too
    small to cut."""
    m = points.shape[0]
    if m < 2 * size:
        return np.zeros(m, dtype=np.int64)
    from embedviz.compute.cluster import _hdbscan

    found = _hdbscan(points, size, min(size, 10)).astype(np.int64)
    if found.max() >= 1:  # two clusters or more: noise joins its nearest clustered point
        noise = found < 0
        if noise.any():
            tree = cKDTree(points[~noise])
            _, near = tree.query(points[noise], k=1, workers=-1)
            found[noise] = found[~noise][near]
    else:
        found = np.zeros(m, dtype=np.int64)
    out = found.copy()
    for part in range(int(found.max()) + 1):
        rows = np.flatnonzero(found == part)
        if 2 * rows.size <= m:  # a few clusters of similar weight: density has spoken
            continue
        # pieces of at least twice the level's smallest region, at most k_max of them
        k = min(k_max, rows.size // (2 * size))
        if k >= 2:
            out[rows] = out.max() + 1 + _kmeans(points[rows], k, random_state)
    return out


def _kmeans(points: np.ndarray, k: int, random_state: int | None) -> np.ndarray:
    import torch

    from embedviz.compute.kmeans import kmeans

    cut = kmeans(np.ascontiguousarray(points, dtype=np.float32), k, device=torch.device("cpu"),
                 random_state=random_state, n_init=3)
    return cut.astype(np.int64)


def assign_rest(xy: np.ndarray, sample: np.ndarray, finest: np.ndarray) -> np.ndarray:
    """Finest region of every row of ``xy``: that of its nearest ``sample`` row (a kd-tree,
    so a curved region keeps its shape, which a nearest-centre rule would not)."""
    tree = cKDTree(xy[sample])
    _, near = tree.query(xy, k=1, workers=-1)
    out = finest[near]
    out[sample] = finest  # the sample's own rows keep their cluster (duplicates can tie)
    return out
