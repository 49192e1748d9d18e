"""Region names and search by meaning on the docstring corpus, against simpler peers.

    python bench/bench_regions.py [--big 1000000] [--top 20]

The corpus is ``embedviz.demo_data.docstrings_frame()``: first paragraphs of the public
docstrings of numpy, scipy, scikit-learn and pandas, labelled by module (``scipy.signal``).
It is embedded with the bundled MiniLM and mapped with UMAP (both cached by content).

1. Names. The same regions (``embedviz.regions``, 3 levels) get their top-5 keywords three
   ways over the same vocabulary (``CountVectorizer``: stop words and number tokens out,
   unigrams and bigrams): class-based TF-IDF (what ``regions`` does), the most frequent terms
   of the region, and plain TF-IDF (the mean TF-IDF vector of the region's documents). The
   reference for "what a module is about" is independent of all three: each module's
   ``--top`` most distinctive terms by the log-odds ratio with an informative Dirichlet prior
   (Monroe, Colaresi & Quinn 2008), module against the rest of the corpus. For regions one
   module dominates (>= half of the points, >= 10 points): how often one of the top-5
   keywords is among that module's distinctive terms, and what share of them are. For all
   regions: what share of the top-5 keywords are among the corpus's 50 most frequent terms
   (generic words that say little).
2. Time for names at ``--big`` points: the corpus tiled with a little jitter on the map (every
   row a real docstring), timed after the map exists.
3. Search by meaning: queries that describe a module in other words than its docstrings; the
   share of the top 10 hits from that module (precision@10), against substring search of the
   query's words (rows ranked by how many of the words they contain) and of the whole query.
Timings are wall clock on a machine shared with other jobs: compare within one run.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import scipy.sparse as sp

import embedviz
from embedviz.compute import region_names as names
from embedviz.demo_data import docstrings_frame

QUERIES = {
    "design digital filters and compute their frequency response": "scipy.signal",
    "solve linear systems and factor matrices into triangular pieces": "scipy.linalg",
    "arrays where some entries are hidden or invalid": "numpy.ma",
    "evaluate and fit Chebyshev or Legendre series": "numpy.polynomial",
    "find the lowest value of an objective function": "scipy.optimize",
    "smooth curves through data points between samples": "scipy.interpolate",
    "distances between points and nearest neighbour lookups": "scipy.spatial",
    "matrices that store only their nonzero entries": "scipy.sparse",
    "image filters and morphology on n-dimensional images": "scipy.ndimage",
    "download or generate toy data for machine learning": "sklearn.datasets",
    "penalised regression models like ridge and lasso": "sklearn.linear_model",
    "scores that measure how good a classifier is": "sklearn.metrics",
    "group observations into clusters with a dendrogram": "scipy.cluster",
    "numerical integration of functions and differential equations": "scipy.integrate",
    "compile Fortran and C extensions when building packages": "numpy.distutils",
    "errors and warnings that pandas raises": "pandas.errors",
    "rescale and encode features before training": "sklearn.preprocessing",
    "fast fourier transforms of sequences": "scipy.fftpack",
}


def distinctive_terms(docs: sp.csr_matrix, vocab: np.ndarray, groups: np.ndarray, *, top: int,
                      min_docs: int = 15, prior: float = 0.01) -> dict[str, set[str]]:
    """Each group's ``top`` terms by the z-scored log-odds ratio against the other groups, with
    an informative Dirichlet prior of ``prior`` x the corpus counts (Monroe et al. 2008)."""
    codes, uniques = pd.factorize(groups)
    counts = names.region_term_counts(codes, len(uniques), docs).toarray()
    total = counts.sum(0)
    alpha = prior * total + 1e-3
    a0 = alpha.sum()
    out = {}
    for g, name in enumerate(uniques):
        if (codes == g).sum() < min_docs:
            continue
        y, rest = counts[g], total - counts[g]
        delta = (np.log((y + alpha) / (y.sum() + a0 - y - alpha))
                 - np.log((rest + alpha) / (rest.sum() + a0 - rest - alpha)))
        z = delta / np.sqrt(1 / (y + alpha) + 1 / (rest + alpha))
        out[str(name)] = {str(t) for t in vocab[np.argsort(-z)[:top]]}
    return out


def peer_scores(kind: str, counts: sp.csr_matrix, labels: np.ndarray, docs: sp.csr_matrix,
                n_regions: int) -> sp.csr_matrix:
    if kind == "class TF-IDF (ours)":
        return names.ctfidf(counts)
    if kind == "most frequent":
        return counts
    from sklearn.feature_extraction.text import TfidfTransformer

    tfidf = TfidfTransformer().fit_transform(docs)  # plain TF-IDF, one row per document
    sizes = np.bincount(labels, minlength=n_regions).astype(np.float32)
    mean = names.region_term_counts(labels, n_regions, tfidf)
    return sp.csr_matrix(sp.diags(1 / np.maximum(sizes, 1)) @ mean)


def name_table(frame: pd.DataFrame, xy: np.ndarray, top: int) -> None:
    texts = frame.text.tolist()
    modules = frame.module.to_numpy()
    table = embedviz.regions(xy, text=texts, levels=3)
    docs, vocab = names.vectorise(texts)
    reference = distinctive_terms(docs, vocab, modules, top=top)
    frequent = {str(t) for t in vocab[np.argsort(-np.asarray(docs.sum(0)).ravel())[:50]]}
    kinds = ("class TF-IDF (ours)", "most frequent", "plain TF-IDF")
    print(f"\n{len(texts):,} docstrings, {frame.module.nunique()} modules, {len(table)} regions "
          f"on 3 levels ({table.groupby('level').size().tolist()} per level); reference: each "
          f"module's top {top} log-odds terms")
    print(f"{'keywords':<22}{'dominated':>10}{'hit@5':>8}{'share@5':>9}{'generic@5':>11}")
    for kind in kinds:
        dominated = hits = share = generic = 0.0
        for _, part in table.groupby("level"):
            labels = np.empty(len(texts), dtype=np.int64)
            for j, members in enumerate(part.members):
                labels[members] = j
            counts = names.region_term_counts(labels, len(part), docs)
            scores = peer_scores(kind, counts, labels, docs, len(part))
            for j, row in enumerate(part.itertuples()):
                top5 = (row.keywords[:5] if kind.endswith("(ours)")
                        else names.top_terms(scores, vocab, j, 5))
                generic += sum(k in frequent for k in top5) / 5
                shares = pd.Series(modules[row.members]).value_counts(normalize=True)
                module = str(shares.index[0])
                if shares.iloc[0] >= 0.5 and row.size >= 10 and module in reference:
                    found = sum(k in reference[module] for k in top5)
                    dominated += 1
                    hits += found > 0
                    share += found / 5
        print(f"{kind:<22}{int(dominated):>10}{hits / dominated:>8.0%}{share / dominated:>9.0%}"
              f"{generic / len(table):>11.0%}")
    print("\nlevel-0 and level-1 names (ours):")
    for row in table[table.level <= 1].itertuples():
        shares = pd.Series(modules[row.members]).value_counts(normalize=True)
        print(f"  {'  ' * row.level}{row.name:<40} {row.size:>5}  mostly {shares.index[0]} "
              f"({shares.iloc[0]:.0%})")


def time_big(frame: pd.DataFrame, xy: np.ndarray, n: int) -> None:
    rng = np.random.default_rng(0)
    rows = rng.integers(0, len(frame), n)
    big_xy = xy[rows] + rng.normal(0, 0.05, (n, 2)).astype(np.float32)
    texts = frame.text.to_numpy()[rows]
    embedviz.regions(big_xy[:5000], text=texts[:5000])  # imports and numba compilation
    print(f"\nnames at {n:,} points (docstrings tiled, the map jittered):")
    for sample in (10_000, 20_000):
        start = time.perf_counter()
        table = embedviz.regions(big_xy, text=texts, sample=sample)
        took = time.perf_counter() - start
        print(f"  regions(sample={sample:,}): {took:5.1f} s, {len(table)} regions, "
              f"{(table.level == 0).sum()} on level 0")
    from sklearn.feature_extraction.text import CountVectorizer

    start = time.perf_counter()
    CountVectorizer(stop_words="english", ngram_range=(1, 2), min_df=2,
                    token_pattern=names.TOKEN_PATTERN).fit_transform(texts[:100_000])
    print(f"  peer: vectorising 100,000 of the texts alone: {time.perf_counter() - start:5.1f} s "
          "(why names come from a sample)")


def search_table(frame: pd.DataFrame, X: np.ndarray) -> None:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    modules = frame.module.to_numpy()
    lower = frame.text.str.lower()
    rows = []
    for query, module in QUERIES.items():
        start = time.perf_counter()
        meaning = embedviz.search(query, X, k=10)
        took = time.perf_counter() - start
        words = [w for w in query.lower().split() if w not in ENGLISH_STOP_WORDS]
        hits = sum(lower.str.contains(w, regex=False).to_numpy(dtype=int) for w in words)
        by_words = np.argsort(-hits, kind="stable")[:10]
        by_words = by_words[hits[by_words] > 0]
        phrase = embedviz.search(f'"{query}"', texts=frame.text.tolist(), k=10)
        rows.append((query, module, (modules[meaning] == module).mean(),
                     (modules[by_words] == module).sum() / 10,
                     (modules[phrase] == module).sum() / 10, took))
    print(f"\nsearch precision@10 on {len(frame):,} docstrings (share of the top 10 from the "
          "module the query describes)")
    print(f"{'query':<64}{'module':<22}{'meaning':>8}{'words':>7}{'phrase':>7}")
    for query, module, a, b, c, _ in rows:
        print(f"{query:<64}{module:<22}{a:>8.0%}{b:>7.0%}{c:>7.0%}")
    res = np.array([r[2:] for r in rows], dtype=float)
    print(f"{'mean':<86}{res[:, 0].mean():>8.0%}{res[:, 1].mean():>7.0%}{res[:, 2].mean():>7.0%}")
    print(f"query time (embed the query + rank {len(frame):,} rows): median "
          f"{np.median(res[:, 3]) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--big", type=int, default=1_000_000, help="points for the timing")
    parser.add_argument("--top", type=int, default=20, help="distinctive terms per module")
    args = parser.parse_args()
    frame = docstrings_frame()
    X = embedviz.embed(frame.text.tolist(), progress=False)
    xy = embedviz.reduce(X, random_state=0, progress=False)
    name_table(frame, xy, args.top)
    search_table(frame, X)
    time_big(frame, xy, args.big)


if __name__ == "__main__":
    main()
