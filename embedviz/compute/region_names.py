"""Names for map regions: class-based TF-IDF keywords, categorical summaries, a user namer.

Texts are vectorised once (scikit-learn's ``CountVectorizer``: English stop words out, tokens
must start with a letter so numbers drop out, unigrams and bigrams) and every level's keyword
table is one sparse product of a region-membership matrix with that document-term matrix.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = ["vectorise", "region_term_counts", "ctfidf", "top_terms", "keyword_name",
           "category_keywords", "NamerGuard"]

# a token starts with a letter: "float64" and "log2" stay, "2d", "1e5" and "2024" go
TOKEN_PATTERN = r"(?u)\b[^\W\d_]\w+\b"


def vectorise(texts: Sequence[str]) -> tuple[sp.csr_matrix, np.ndarray]:
    """Binary document-term matrix (each document counts a term once) and its vocabulary.

    Binary counts make a region's score for a term the number of its documents using it, so
    one long document repeating a word cannot name a region. Terms in a single document are
    dropped when there are enough documents for that to be noise.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    # min_df=1 again when pruning single-document terms leaves nothing (a few short texts)
    for min_df in ((2, 1) if len(texts) >= 50 else (1,)):
        vec = CountVectorizer(stop_words="english", token_pattern=TOKEN_PATTERN,
                              ngram_range=(1, 2), min_df=min_df, binary=True, dtype=np.float32)
        try:
            counts = vec.fit_transform(texts)
            break
        except ValueError:  # scikit-learn: "empty vocabulary; perhaps the documents only..."
            continue
    else:
        raise ValueError(
            "The texts hold no words to name regions by (only stop words, numbers or "
            "punctuation); pass text= with real words, or name regions by columns=.")
    return sp.csr_matrix(counts), np.asarray(vec.get_feature_names_out(), dtype=object)


def region_term_counts(labels: np.ndarray, n_regions: int, docs: sp.csr_matrix) -> sp.csr_matrix:
    """(regions, terms): how many documents of each region use each term."""
    rows = np.arange(labels.size)
    member = sp.csr_matrix((np.ones(labels.size, dtype=np.float32), (labels, rows)),
                           shape=(n_regions, labels.size))
    return sp.csr_matrix(member @ docs)


def ctfidf(counts: sp.csr_matrix) -> sp.csr_matrix:
    """Class-based TF-IDF (Grootendorst's BERTopic form): ``tf(t, c) * log(1 + A / f(t))``.

    ``tf`` is the term's share of its region's term counts (scikit-learn's
    ``TfidfTransformer`` with l1 rows and no idf), ``f(t)`` the term's count over all
    regions and ``A`` the mean count per region: a word common everywhere scores low even
    where it is most frequent, a word frequent in one region and rare elsewhere scores high.
    """
    from sklearn.feature_extraction.text import TfidfTransformer

    tf = TfidfTransformer(norm="l1", use_idf=False).fit_transform(counts)
    per_term = np.asarray(counts.sum(axis=0)).ravel()
    mean_per_region = float(counts.sum()) / max(counts.shape[0], 1)
    idf = np.log1p(mean_per_region / np.maximum(per_term, 1e-12)).astype(np.float32)
    return sp.csr_matrix(tf @ sp.diags(idf))


def top_terms(scores: sp.csr_matrix, vocab: np.ndarray, row: int, k: int) -> list[str]:
    """The ``k`` best-scoring terms of region ``row``, skipping a term whose words the terms
    before it already say ("sparse matrix" then "sparse" keeps one; "file" then "files")."""
    start, stop = scores.indptr[row], scores.indptr[row + 1]
    cols, vals = scores.indices[start:stop], scores.data[start:stop]
    kept: list[str] = []
    said: set[str] = set()
    for j in cols[np.argsort(-vals, kind="stable")]:
        term = str(vocab[j])
        # "files" after "file" says nothing new: compare words without a plural s
        words = {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in term.split()}
        if words <= said:
            continue
        kept.append(term)
        said |= words
        if len(kept) == k:
            break
    return kept


def keyword_name(keywords: Sequence[str], words: int = 2) -> str:
    """A short name from the first keywords: as many as fit ``words`` words, at least one.

    Two words: on the map a name's length decides how many names fit without overlapping,
    and with three ("file, compiler, distutils") the overview of the docstring example
    lost the names of whole clusters to their neighbours'."""
    picked: list[str] = []
    count = 0
    for term in keywords:
        n = len(term.split())
        if picked and count + n > words:
            break
        picked.append(term)
        count += n
    return ", ".join(picked)


def category_keywords(values: np.ndarray, labels: np.ndarray, n_regions: int, *,
                      column: str, top: int = 3, min_share: float = 0.1) -> list[list[str]]:
    """Per region: its dominant values of one categorical column with their share, as
    ``"module: sklearn.svm (82%)"``, most common first (values under ``min_share`` left out)."""
    codes, uniques = pd.factorize(pd.Series(values, copy=False), use_na_sentinel=True)
    ok = codes >= 0
    n_values = max(len(uniques), 1)
    table = np.bincount(labels[ok] * n_values + codes[ok],
                        minlength=n_regions * n_values).reshape(n_regions, n_values)
    totals = np.bincount(labels, minlength=n_regions)  # missing values count in the share
    out: list[list[str]] = []
    for r in range(n_regions):
        best = np.argsort(-table[r], kind="stable")[:top]
        share = table[r, best] / max(int(totals[r]), 1)
        out.append([f"{column}: {uniques[j]} ({s:.0%})" for j, s in zip(best, share, strict=True)
                    if s >= min_share and table[r, j] > 0])
    return out


class NamerGuard:
    """Calls a user's ``namer(keywords, exemplar_texts) -> str``; when it raises or returns
    something other than a non-empty string the keyword name stands, and one warning (per
    :func:`regions` call) says how many names fell back and why."""

    def __init__(self, namer: Callable[[list[str], list[str]], Any]) -> None:
        if not callable(namer):
            raise TypeError(f"namer must be a function (keywords, exemplar_texts) -> str; got "
                            f"{type(namer).__name__}.")
        self.namer = namer
        self.failed = 0
        self.first: str | None = None

    def __call__(self, keywords: list[str], texts: list[str], fallback: str) -> str:
        try:
            name = self.namer(list(keywords), list(texts))
        except Exception as exc:  # a user's LLM call may fail in any way: keep the map
            problem = f"raised {type(exc).__name__}: {exc}"
        else:
            if isinstance(name, str) and name.strip():
                return name.strip()
            problem = f"returned {type(name).__name__} {name!r:.40} instead of a non-empty str"
        self.failed += 1
        self.first = self.first or problem
        return fallback

    def report(self, total: int) -> None:
        if self.failed:
            warnings.warn(
                f"namer failed for {self.failed} of {total} regions (first: {self.first}); those "
                "regions are named by their keywords. Make namer return a str for every call.",
                RuntimeWarning, stacklevel=3)
