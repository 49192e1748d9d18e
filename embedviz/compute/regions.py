"""``regions``: the map's density hierarchy, every region named, as one table.

Hierarchy: :mod:`embedviz.compute.region_tree` (HDBSCAN nested level by level, on a sample
when the map is large; the other points join their nearest sampled point's region).
Names: :mod:`embedviz.compute.region_names` (class-based TF-IDF keywords from texts, dominant
values of categorical columns, an optional user ``namer``).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from embedviz.compute import region_names as _names
from embedviz.compute.region_tree import Tree, assign_rest, build_tree
from embedviz.compute.validate import as_float_matrix

__all__ = ["regions", "COLUMNS"]

COLUMNS = ("region", "level", "parent", "size", "x", "y", "bbox", "keywords", "name",
           "members", "exemplars")
N_KEYWORDS = 10
N_EXEMPLARS = 5


def regions(
    xy: Any,
    *,
    text: Sequence[Any] | None = None,
    images: Sequence[Any] | None = None,
    columns: Any = None,
    levels: int = 3,
    min_size: int | None = None,
    namer: Callable[[list[str], list[str]], Any] | None = None,
    random_state: int | None = 0,
    sample: int | None = 10_000,
) -> pd.DataFrame:
    """Named regions of a 2-D map at ``levels`` zoom levels, coarse to fine.

    Regions follow the map's density: HDBSCAN on the map cuts level 0, and each finer level
    cuts every region of the level above again (k-means when a region is one round blob that
    is big enough to cut), so every finer region lies inside one coarser region. Every
    point belongs to one region per level.

    Parameters
    ----------
    xy : array-like (n, 2)
        The map (e.g. from :func:`embedviz.reduce`).
    text : sequence of str, optional
        One text per point. Regions are named by the words and two-word phrases that set
        them apart from the other regions of their level (class-based TF-IDF over
        scikit-learn's ``CountVectorizer``: English stop words and number tokens out).
        None or NaN entries count as empty texts.
    images : sequence, optional
        One image per point (only its length is checked): image regions are shown by their
        ``exemplars``, not words, so without ``text`` or ``columns`` names are empty.
    columns : DataFrame, Series or mapping of name -> values, optional
        Categorical columns (n values each). Each region's dominant values with their share
        (``"module: sklearn.svm (82%)"``) follow the text keywords; with no ``text`` they
        are the keywords and the first one is the name.
    levels : int, default 3
        Zoom levels (level 0 = coarsest).
    min_size : int, optional
        The smallest region any level may cut; default ``max(5, n // 2000)`` points, counted
        on the sample.
    namer : callable, optional
        ``namer(keywords, exemplar_texts) -> str`` writes each name (e.g. an LLM call). If it
        raises or returns something other than a non-empty str, the keyword name stands and
        one warning says so. Nothing is downloaded or called over a network by default.
    random_state : int or None, default 0
        Seeds the sample and the k-means cuts.
    sample : int or None, default 10_000
        At most this many points (drawn at random) build the hierarchy and the names; the
        other points join the region of their nearest sampled point. None uses every point.

    Returns
    -------
    pandas.DataFrame
        One row per region, coarse to fine, with columns ``region`` (int id, the row
        number), ``level`` (0 = coarsest), ``parent`` (the region id one level up, -1 on
        level 0), ``size`` (points), ``x``, ``y`` (where the name goes: the member nearest
        the members' mean, so it lies on the region), ``bbox`` ((xmin, ymin, xmax, ymax)),
        ``keywords`` (list of str, most distinctive first), ``name`` (str), ``members``
        (int64 array of row positions) and ``exemplars`` (int64 array of up to 5 row
        positions, the members nearest ``(x, y)``).

    Raises
    ------
    ValueError
        ``xy`` not (n, 2) or not finite; ``text``, ``images`` or a column of another length
        than ``xy``; all texts empty; texts without a single word; ``levels < 1``;
        ``min_size < 2``; ``sample < 2``.
    TypeError
        ``namer`` not callable.

    Examples
    --------
    >>> import numpy as np, embedviz
    >>> rng = np.random.default_rng(0)
    >>> xy = np.concatenate([rng.normal(0, 1, (200, 2)), rng.normal(9, 1, (200, 2))])
    >>> text = ["cats purr and sleep"] * 200 + ["rockets launch into orbit"] * 200
    >>> table = embedviz.regions(xy, text=text, levels=1)
    >>> table[["level", "size", "name"]].values.tolist()
    [[0, 200, 'cats, purr'], [0, 200, 'rockets, launch']]
    """
    points = np.asarray(as_float_matrix(xy, name="xy", min_rows=2))
    n = points.shape[0]
    if points.shape[1] != 2:
        raise ValueError(f"xy must be the 2-D map, shape (n, 2); got {points.shape}. Pass "
                         "embedviz.reduce(X), not the embedding itself.")
    levels = _check_int(levels, "levels", 1, "the coarsest names only is levels=1")
    items = None if text is None else _text_items(text, n)
    if images is not None and len(images) != n:
        raise ValueError(f"images has {len(images)} items but xy has {n} points; pass one "
                         "image per point.")
    cats = _check_columns(columns, n)
    guard = None if namer is None else _names.NamerGuard(namer)

    rng = np.random.default_rng(random_state)
    size = n if sample is None else _check_int(sample, "sample", 2, "or None for every point")
    picked = np.arange(n) if size >= n else np.sort(rng.choice(n, size=size, replace=False))
    m = picked.size
    smallest = (_check_int(min_size, "min_size", 2, "e.g. min_size=10")
                if min_size is not None else max(5, m // 2000))
    tree = build_tree(points[picked], levels=levels, min_size=smallest,
                      random_state=random_state)
    every = _every_level(tree, assign_rest(points, picked, tree.labels[-1]) if m < n else None)

    docs = vocab = texts = None
    if items is not None:  # only the sampled texts are read: 1e6 str() calls take a second
        # a sequence with take() (a numpy array, a column read from disk) gives the sample
        # in one read
        picked_items = (list(items.take(picked)) if hasattr(items, "take")
                        else [items[i] for i in picked.tolist()])
        texts = _clean_texts(picked_items)
        docs, vocab = _names.vectorise(texts)
    rows: list[dict[str, Any]] = []
    said: dict[int, set[str]] = {}  # per region id: the keywords its name and its children's use
    for level, (labels, parents) in enumerate(zip(every, tree.parents, strict=True)):
        rows.extend(_level_rows(points, picked, tree.labels[level], labels, parents,
                                level=level, first_id=len(rows), texts=texts, docs=docs,
                                vocab=vocab, cats=cats, guard=guard, said=said))
    if guard is not None:
        guard.report(len(rows))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _check_int(value: Any, name: str, least: int, hint: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int; got {type(value).__name__} {value!r}.")
    if value < least:
        raise ValueError(f"{name} must be at least {least}; got {value} ({hint}).")
    return int(value)


def _text_items(text: Sequence[Any], n: int) -> Sequence[Any]:
    if isinstance(text, str):
        raise TypeError("text is a single string; pass one text per point (a list or column).")
    items = text.to_numpy() if hasattr(text, "to_numpy") else text
    if len(items) != n:
        raise ValueError(f"text has {len(items)} items but xy has {n} points; pass one text "
                         "per point, in the same order as xy.")
    return items


def _clean_texts(items: list[Any]) -> list[str]:
    """The sampled texts as str (None and NaN as empty); an error when all are empty."""
    out = ["" if t is None or (isinstance(t, float) and np.isnan(t)) else str(t) for t in items]
    if not any(t.strip() for t in out):
        raise ValueError("every text is empty, so there is nothing to name regions by; pass "
                         "the text column that goes with the map, or name by columns=.")
    return out


def _check_columns(columns: Any, n: int) -> dict[str, np.ndarray]:
    if columns is None:
        return {}
    if isinstance(columns, pd.Series):
        columns = {str(columns.name or "value"): columns}
    elif isinstance(columns, pd.DataFrame):
        columns = {str(c): columns[c] for c in columns.columns}
    elif not isinstance(columns, Mapping):
        raise TypeError("columns must be a DataFrame, a Series or a mapping of name -> values; "
                        f"got {type(columns).__name__}.")
    out: dict[str, np.ndarray] = {}
    for name, values in columns.items():
        arr = np.asarray(values, dtype=object)
        if arr.ndim != 1 or arr.shape[0] != n:
            raise ValueError(f"column {name!r} has shape {arr.shape} but xy has {n} points; "
                             "pass one value per point.")
        out[str(name)] = arr
    return out


def _every_level(tree: Tree, finest_all: np.ndarray | None) -> list[np.ndarray]:
    """Region of every point per level (the sample's own when it is every point)."""
    if finest_all is None:
        return tree.labels
    out = [finest_all]
    for parents in reversed(tree.parents[1:]):  # a finer id names its coarser one
        out.append(parents[out[-1]])
    return out[::-1]


def _level_rows(
    points: np.ndarray, picked: np.ndarray, sample_labels: np.ndarray, labels: np.ndarray,
    parents: np.ndarray, *, level: int, first_id: int, texts: list[str] | None, docs: Any,
    vocab: Any, cats: dict[str, np.ndarray], guard: _names.NamerGuard | None,
    said: dict[int, set[str]],
) -> list[dict[str, Any]]:
    c = parents.size
    first_parent = first_id - _ids_on_level_above(parents) if level else 0
    order, bounds = _grouped(labels, c)
    boxes = _boxes(points, order, bounds)
    spots = points[picked]
    sums = np.zeros((c, 2))
    np.add.at(sums, sample_labels, spots)
    counts = np.bincount(sample_labels, minlength=c)
    means = sums / np.maximum(counts, 1)[:, None]
    words: list[list[str]] = [[] for _ in range(c)]
    if docs is not None:
        scores = _names.ctfidf(_names.region_term_counts(sample_labels, c, docs))
        words = [_names.top_terms(scores, vocab, r, N_KEYWORDS) for r in range(c)]
    extra: list[list[str]] = [[] for _ in range(c)]
    for column, values in cats.items():
        per = _names.category_keywords(values[picked], sample_labels, c, column=column)
        extra = [a + b for a, b in zip(extra, per, strict=True)]
    s_order, s_bounds = _grouped(sample_labels, c)
    rows = []
    for r in range(c):
        members = order[bounds[r]:bounds[r + 1]].astype(np.int64)
        local = s_order[s_bounds[r]:s_bounds[r + 1]]  # sample positions of its rows
        local = local[np.argsort(((spots[local] - means[r]) ** 2).sum(1), kind="stable")]
        near = picked[local]
        exemplars = near[:N_EXEMPLARS].astype(np.int64)
        keywords = words[r] + extra[r]
        parent = int(first_parent + parents[r]) if level else -1
        name = _category_name(extra[r])
        if words[r]:
            # zoomed in, a name says what its parent's and earlier siblings' names do not
            # ("chebyshev series, legendre" under "polynomial, series"), while words are left
            taken = said.setdefault(parent, set())
            fresh = [w for w in words[r] if w not in taken] or words[r]
            name = _names.keyword_name(fresh)
            used = set(name.split(", "))
            taken |= used
            said[first_id + r] = set(used)
        if guard is not None:
            shown = [texts[j] for j in local[:N_EXEMPLARS]] if texts is not None else []
            name = guard(keywords, shown, name)
        rows.append({
            "region": first_id + r, "level": level,
            "parent": parent,
            "size": int(members.size), "x": float(points[near[0], 0]),
            "y": float(points[near[0], 1]),
            "bbox": tuple(float(v) for v in boxes[r]),
            "keywords": keywords, "name": name, "members": members, "exemplars": exemplars,
        })
    return rows


def _grouped(labels: np.ndarray, c: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows sorted by region (stable) and where each region's run starts, c + 1 bounds."""
    # a stable sort of 16-bit keys is a radix sort: 1e6 labels in ~10 ms instead of ~100 ms
    keys = labels.astype(np.int16) if c < 2**15 else labels
    order = np.argsort(keys, kind="stable")
    return order, np.searchsorted(labels[order], np.arange(c + 1))


def _boxes(points: np.ndarray, order: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """(c, 4) xmin, ymin, xmax, ymax of each region (every region has a point)."""
    sorted_xy = points[order]
    starts = bounds[:-1]
    return np.column_stack([np.minimum.reduceat(sorted_xy, starts, axis=0),
                            np.maximum.reduceat(sorted_xy, starts, axis=0)])


def _ids_on_level_above(parents: np.ndarray) -> int:
    """How many regions the level above has (its ids end where this level's begin)."""
    return int(parents.max()) + 1 if parents.size else 0


def _category_name(entries: list[str]) -> str:
    """``"module: sklearn.svm (82%)"`` -> ``"sklearn.svm (82%)"`` for the map."""
    return entries[0].split(": ", 1)[1] if entries else ""
