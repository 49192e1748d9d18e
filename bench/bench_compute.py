"""Benchmark of the compute pipeline, with ratios against peers measured in the same run.

CPU (always):
  1. n x 384 clustered synthetic vectors: embedviz knn + reduce + cluster vs
     ``umap.UMAP().fit_transform`` followed by scikit-learn HDBSCAN (time, trustworthiness on a
     sample, ARI against the true blobs); umap-learn on embedviz's graph as a reference line.
  2. MiniLM sentences/s: ``embedviz.embed`` vs ``SentenceTransformer.encode``.
  3. The torch UMAP vs TorchDR's UMAP (if installed) vs umap-learn on digits.
GPU (only when CUDA is present; not measurable on a CPU-only machine):
  4. 1,000,000 x 384 knn + reduce + cluster (target: 10 s on one H100).
  5. MiniLM sentences/s on the GPU (target: 20,000/s).
  6. torch UMAP vs TorchDR on the GPU on the same data.

Usage: venv/bin/python bench/bench_compute.py [--n 100000] [--sentences 2000] [--gpu-n 1000000]
Caching is off throughout, so every figure is computed work.
"""
from __future__ import annotations

import argparse
import os
import time
import warnings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ["EMBEDVIZ_CACHE"] = "0"

import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.manifold import trustworthiness  # noqa: E402
from sklearn.metrics import adjusted_rand_score  # noqa: E402

import embedviz  # noqa: E402

warnings.filterwarnings("ignore")


def blobs(n: int, d: int = 384, centers: int = 20, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Clustered vectors: Gaussian blobs around random centres (unit noise per dimension)."""
    rng = np.random.default_rng(seed)
    means = rng.normal(scale=1.2, size=(centers, d)).astype(np.float32)
    labels = rng.integers(0, centers, size=n)
    X = means[labels] + rng.normal(size=(n, d)).astype(np.float32)
    return X.astype(np.float32), labels


def sentences(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    subj = ["The cat", "A doctor", "My neighbour", "The old train", "A small robot", "The river",
            "Our team", "The committee", "A violinist", "The storm"]
    verb = ["quietly watched", "repaired", "painted", "argued about", "walked past", "described",
            "ignored", "celebrated", "measured", "forgot"]
    obj = ["the broken fence", "a new proposal", "the evening sky", "an unusual recipe",
           "the quarterly report", "a stray dog", "the mountain road", "an ancient map"]
    tail = ["before sunrise.", "for the third time this week.", "without saying a word.",
            "while it was raining.", "and then went home.", "in the crowded market."]
    return [f"{rng.choice(subj)} {rng.choice(verb)} {rng.choice(obj)} {rng.choice(tail)}"
            for _ in range(n)]


def clock(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def load() -> str:
    """The machine is shared: print the load next to each figure (ratios in one run count)."""
    return "(load %.1f %.1f %.1f)" % os.getloadavg()


def sample_trust(X: np.ndarray, xy: np.ndarray, m: int = 2000) -> float:
    rows = np.random.default_rng(1).choice(len(X), size=min(m, len(X)), replace=False)
    return float(trustworthiness(X[rows], xy[rows], n_neighbors=15))


def warm_up() -> float:
    """JIT-compile numba code (pynndescent, umap-learn) once so neither side pays for it."""
    import umap

    X, _ = blobs(5000, d=32)
    t0 = time.perf_counter()
    graph = embedviz.knn(X, method="approx", progress=False)
    embedviz.reduce(X, knn=graph, method="umap-learn", n_epochs=10, progress=False)
    umap.UMAP(n_epochs=10).fit_transform(X)
    return time.perf_counter() - t0


def pipeline_cpu(n: int) -> None:
    import umap
    from sklearn.cluster import HDBSCAN

    print(f"\n== 1. CPU pipeline, {n:,} x 384 clustered vectors (20 blobs), torch threads="
          f"{torch.get_num_threads()}")
    print(f"numba warm-up (pynndescent + umap-learn, not counted): {warm_up():.1f} s")
    from embedviz.compute.reduce import choose_algorithm

    X, truth = blobs(n)
    backend = choose_algorithm(n, device="cpu").algorithm
    graph, t_knn = clock(embedviz.knn, X, k=15, progress=False)
    xy, t_red = clock(embedviz.reduce, X, knn=graph, random_state=None, progress=False)
    hdb, t_hdb = clock(embedviz.cluster, xy, method="hdbscan")
    km, t_km = clock(embedviz.cluster, xy, method="kmeans", n_clusters=20)
    ours = t_knn + t_red + t_hdb
    recall = "exact" if graph.exact else f"recall {graph.recall:.3f}"
    print(f"embedviz knn ({'exact' if graph.exact else 'pynndescent'}, {recall}): {t_knn:8.1f} s  {load()}")
    print(f"embedviz reduce ({backend} on the shared graph): {t_red:8.1f} s  {load()}")
    print(f"embedviz cluster hdbscan on xy: {t_hdb:8.1f} s  ({hdb.n_clusters} clusters, "
          f"ARI {adjusted_rand_score(truth, hdb.labels):.3f})  {load()}")
    print(f"embedviz cluster kmeans(20) on xy: {t_km:8.1f} s  (ARI {adjusted_rand_score(truth, km.labels):.3f})")
    peer_xy, t_peer_umap = clock(lambda: umap.UMAP().fit_transform(X))
    print(f"peer umap.UMAP().fit_transform: {t_peer_umap:8.1f} s  {load()}")
    size = max(5, min(n // 100, 500))  # the same HDBSCAN settings as embedviz's defaults
    peer_labels, t_peer_hdb = clock(
        lambda: HDBSCAN(min_cluster_size=size, min_samples=min(size, 10)).fit_predict(peer_xy))
    peer = t_peer_umap + t_peer_hdb
    print(f"peer scikit-learn HDBSCAN on its xy: {t_peer_hdb:8.1f} s  "
          f"(ARI {adjusted_rand_score(truth, peer_labels):.3f})  {load()}")
    print(f"TOTAL knn+reduce+cluster(hdbscan): embedviz {ours:.1f} s vs peer {peer:.1f} s "
          f"-> ratio peer/embedviz = {peer / ours:.2f}x")
    print(f"trustworthiness (15-NN, 2,000-point sample): embedviz {sample_trust(X, xy):.4f}, "
          f"peer {sample_trust(X, peer_xy):.4f}")
    if backend != "umap-learn":  # reference, not in the total: umap-learn on the same graph
        ref_xy, t_ref = clock(embedviz.reduce, X, knn=graph, method="umap-learn", random_state=None,
                              progress=False)
        print(f"(reference) embedviz reduce with umap-learn on the same graph: {t_ref:8.1f} s, "
              f"trust {sample_trust(X, ref_xy):.4f}  {load()}")


def minilm(n: int, device: str) -> None:
    from sentence_transformers import SentenceTransformer

    from embedviz.compute.text_model import bundled_model_path

    texts = sentences(n)
    print(f"\n== 2. MiniLM sentences/s on {device}, {n:,} sentences")
    embedviz.embed(texts[:64], device=device, progress=False)  # load the model once
    _, t_ours = clock(embedviz.embed, texts, device=device, progress=False, cache=False)
    st = SentenceTransformer(str(bundled_model_path()), device=device)
    if device == "cuda":
        st.half()
    _, t_st = clock(st.encode, texts, batch_size=64 if device == "cpu" else 512,
                    normalize_embeddings=True)
    print(f"embedviz.embed: {n / t_ours:8.0f} sentences/s ({t_ours:.1f} s)")
    print(f"SentenceTransformer.encode: {n / t_st:8.0f} sentences/s ({t_st:.1f} s)")
    print(f"ratio embedviz/sentence-transformers = {t_st / t_ours:.2f}x")


def torch_umap_vs_torchdr(device: str, X: np.ndarray | None = None) -> None:
    import umap

    if X is None:
        from sklearn.datasets import load_digits

        X = load_digits().data.astype(np.float32)
        name = "digits"
    else:
        name = f"{len(X):,} blobs"
    print(f"\n== 3. torch UMAP vs TorchDR vs umap-learn, {name}, device={device}")
    t0 = time.perf_counter()
    graph = embedviz.knn(X, k=15, device=device, progress=False)
    xy = embedviz.reduce(X, knn=graph, method="umap-torch", device=device, random_state=0, progress=False)
    t_ours = time.perf_counter() - t0
    print(f"embedviz knn + umap-torch: {t_ours:7.1f} s  trust {sample_trust(X, xy):.4f}")
    if len(X) <= 50_000:  # at 2e5 it ran past 100 s: a reference, not the comparison here
        ref, t_ref = clock(lambda: umap.UMAP(random_state=0).fit_transform(X))
        print(f"umap-learn (own knn): {t_ref:7.1f} s  trust {sample_trust(X, ref):.4f}")
    try:
        import torchdr
    except ImportError:
        print("TorchDR not installed (pip install torchdr): skipped")
        return
    model = torchdr.UMAP(n_neighbors=15, backend=None, device=device, random_state=0, verbose=False)
    out, t_dr = clock(model.fit_transform, torch.from_numpy(X))
    out = out.detach().cpu().numpy() if hasattr(out, "detach") else np.asarray(out)
    print(f"TorchDR UMAP (own knn, backend=None): {t_dr:7.1f} s  trust {sample_trust(X, out):.4f}")
    print(f"ratio TorchDR/embedviz time = {t_dr / t_ours:.2f}x")


def pipeline_gpu(n: int) -> None:
    print(f"\n== 4. GPU pipeline, {n:,} x 384 (target 10 s on one H100)")
    X, truth = blobs(n)
    embedviz.knn(X[:20000], k=15, device="cuda", progress=False)  # CUDA context + kernels
    torch.cuda.synchronize()
    graph, t_knn = clock(embedviz.knn, X, k=15, device="cuda", progress=False)
    xy, t_red = clock(embedviz.reduce, X, knn=graph, device="cuda", random_state=0, progress=False)
    km, t_km = clock(embedviz.cluster, xy, n_clusters=20, device="cuda")
    total = t_knn + t_red + t_km
    print(f"knn exact {t_knn:.1f} s, reduce umap-torch {t_red:.1f} s, kmeans {t_km:.1f} s -> "
          f"total {total:.1f} s (target 10 s: {'met' if total <= 10 else 'missed'}); "
          f"ARI {adjusted_rand_score(truth, km.labels):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000, help="points for the CPU pipeline")
    parser.add_argument("--sentences", type=int, default=2_000, help="sentences for the CPU MiniLM rate")
    parser.add_argument("--gpu-n", type=int, default=1_000_000, help="points for the GPU pipeline")
    parser.add_argument("--gpu-sentences", type=int, default=200_000)
    parser.add_argument("--skip", nargs="*", default=[], choices=["pipeline", "minilm", "torchdr"])
    args = parser.parse_args()
    print(f"torch {torch.__version__}, cuda available: {torch.cuda.is_available()}, "
          f"cpu cores: {os.cpu_count()}")
    if "pipeline" not in args.skip:
        pipeline_cpu(args.n)
    if "minilm" not in args.skip:
        minilm(args.sentences, "cpu")
    if "torchdr" not in args.skip:
        torch_umap_vs_torchdr("cpu")
    if torch.cuda.is_available():
        pipeline_gpu(args.gpu_n)
        minilm(args.gpu_sentences, "cuda")
        torch_umap_vs_torchdr("cuda", blobs(min(args.gpu_n, 200_000))[0])
    else:
        print("\nNo CUDA here: GPU figures (1M x 384 in 10 s, MiniLM 20,000 sentences/s, TorchDR "
              "vs torch UMAP on GPU) not measured; run this script on a GPU machine.")


if __name__ == "__main__":
    main()
