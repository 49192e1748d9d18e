"""``search``: rows ranked by meaning (the query embedded like the data) or by substring."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["search", "parse_query", "MODES"]

MODES = ("auto", "meaning", "substring")
_QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019"}


def parse_query(query: Any, mode: str) -> tuple[str, str]:
    """The query text and the mode to run: a quoted query means substring under ``"auto"``."""
    if not isinstance(query, str):
        raise TypeError(f"query must be a str; got {type(query).__name__}.")
    if mode not in MODES:
        raise ValueError(f"mode={mode!r} is not a search mode; use one of {list(MODES)}.")
    text = query.strip()
    if not text:
        raise ValueError("query is empty; type what to look for.")
    quoted = len(text) >= 2 and _QUOTES.get(text[0]) == text[-1]
    if quoted:
        text = text[1:-1].strip()
        if not text:
            raise ValueError("the quoted query is empty; type what to look for between the quotes.")
    if mode == "auto":
        mode = "substring" if quoted else "meaning"
    return text, mode


def search(
    query: str,
    X: Any = None,
    *,
    encoder: Any = None,
    texts: Sequence[Any] | None = None,
    k: int | None = 10,
    mode: str = "auto",
    device: str = "auto",
) -> np.ndarray:
    """Row positions of ``X`` (or ``texts``) that match ``query``, best first.

    Parameters
    ----------
    query : str
        What to look for. Under ``mode="auto"`` a query in quotes (``'"sparse matrix"'``)
        is a substring search, any other query a search by meaning.
    X : array-like (n, d), optional
        The data's embedding, needed for a search by meaning.
    encoder : optional
        What embedded the data, to embed the query the same way: None or ``"minilm"`` for
        the bundled all-MiniLM-L6-v2, a local model folder, a loaded SentenceTransformer or
        a callable ``f(list_of_str) -> (b, d) array`` (see :func:`embedviz.embed`).
    texts : sequence of str, optional
        One text per row, needed for a substring search (case-insensitive).
    k : int or None, default 10
        How many rows to return; None returns every row (meaning) or every hit (substring).
    mode : {"auto", "meaning", "substring"}, default "auto"
        Cosine similarity between the embedded query and the rows of ``X``, or the rows whose
        text contains the query (in row order).
    device : str, default "auto"
        Where the encoder runs (see :func:`embedviz.embed`).

    Returns
    -------
    numpy.ndarray
        int64 row positions, most similar first (substring: in row order).

    Raises
    ------
    ValueError
        An empty query; an unknown mode; a search by meaning without ``X``, or whose query
        vector has another width than ``X`` (the encoder is not the one that embedded the
        data); a substring search without ``texts``; ``k < 1``.

    Examples
    --------
    >>> import numpy as np, embedviz
    >>> texts = ["fast fourier transform", "sparse matrix product", "kernel density"]
    >>> X = np.eye(3, dtype=np.float32)
    >>> embedviz.search('"matrix"', texts=texts).tolist()
    [1]
    >>> enc = lambda batch: np.array([[0.0, 1.0, 0.2] for _ in batch])
    >>> embedviz.search("matrices", X, encoder=enc, k=2).tolist()
    [1, 2]
    """
    text, run = parse_query(query, mode)
    if k is not None and (isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1):
        raise ValueError(f"k must be a positive int or None; got {k!r}.")
    if run == "substring":
        if texts is None:
            raise ValueError("a substring search needs texts=: the text of every row.")
        hits = substring_hits(text, texts)
        return hits if k is None else hits[:k]
    if X is None:
        raise ValueError("a search by meaning needs X, the data's embedding (and encoder=, "
                         "what embedded it); or quote the query to search the texts.")
    return rank_by_meaning(embed_query(text, encoder, device=device), X, k)


def substring_hits(text: str, texts: Sequence[Any]) -> np.ndarray:
    """Positions of the texts containing ``text`` (case-insensitive), in row order."""
    import pandas as pd

    found = pd.Series(texts, dtype=object).astype(str).str.contains(text, case=False,
                                                                    regex=False)
    return np.flatnonzero(found.to_numpy(dtype=bool)).astype(np.int64)


def embed_query(text: str, encoder: Any, *, device: str = "auto") -> np.ndarray:
    """The query as one unit vector, embedded by ``encoder`` (see :func:`search`)."""
    from embedviz.compute.device import cpu_threads, resolve_device
    from embedviz.compute.embed import embed

    dev = resolve_device(device)
    # one sentence is too little work to share: on 2 busy cores MiniLM took 1.5 s a query
    # with 2 intra-op threads waiting on each other and 0.06 s with one
    with cpu_threads(dev, 1):
        return embed([text], model=encoder, device=dev, progress=False, cache=False)[0]


def rank_by_meaning(q: np.ndarray, X: Any, k: int | None) -> np.ndarray:
    """Rows of ``X`` by cosine similarity to ``q``, best first (``k`` of them, or all)."""
    from embedviz.compute.validate import as_float_matrix

    data = np.asarray(as_float_matrix(X, name="X"))
    q = np.asarray(q, dtype=np.float32).ravel()
    if q.shape[0] != data.shape[1]:
        raise ValueError(
            f"the query's embedding has {q.shape[0]} dimensions but X has {data.shape[1]}: "
            "pass encoder= the model that embedded X, so the query is embedded the same way.")
    norms = np.linalg.norm(data, axis=1)
    sims = (data @ q) / (np.where(norms > 0, norms, 1.0) * max(float(np.linalg.norm(q)), 1e-12))
    n = sims.shape[0]
    if k is None or k >= n:
        return np.argsort(-sims, kind="stable").astype(np.int64)
    top = np.argpartition(-sims, k - 1)[:k]
    return top[np.argsort(-sims[top], kind="stable")].astype(np.int64)
