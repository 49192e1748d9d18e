"""Scale benchmark: n x 384 clustered vectors through knn and reduce, and embed with Ray vs local.

1. knn, k=15, cosine: FAISS (``method="faiss"``) vs pynndescent (``method="approx"``) vs the
   exact torch search. The exact search runs on ``--exact-queries`` sampled rows only and its
   full time is EXTRAPOLATED linearly (the cost is queries x n x d); those rows' exact
   neighbours are the truth for every method's recall.
2. reduce: the full torch UMAP (on the FAISS graph) vs ``reduce(sample=...)`` (UMAP of a
   sample, the rest placed): time and trustworthiness on ``--trust-rows`` sampled rows.
3. embed: ``engine="ray"`` (local Ray, one actor) vs ``engine="local"`` on the same
   sentences with the bundled MiniLM: the overhead of Ray on one machine (Ray start-up timed
   apart).

Every figure in one run shares the machine's load: compare them as ratios within the run.
Usage: python bench/bench_scale.py [--n 1000000] [--reduce-n 200000] [--sentences 2000]
       [--skip-knn] [--skip-nndescent] [--skip-reduce] [--skip-embed]
"""
from __future__ import annotations

import argparse
import os
import time
import warnings
from collections.abc import Callable
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ["EMBEDVIZ_CACHE"] = "0"

import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.datasets import make_blobs  # noqa: E402
from sklearn.manifold import trustworthiness  # noqa: E402

import embedviz  # noqa: E402
from embedviz.compute.knn_exact import exact_knn, prepare  # noqa: E402

warnings.filterwarnings("ignore")


def clock(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))


def clustered(n: int, d: int, seed: int = 0) -> np.ndarray:
    X, _ = make_blobs(n_samples=n, n_features=d, centers=max(20, n // 10_000),
                      cluster_std=4.0, random_state=seed)
    return X.astype(np.float32)


def recall_on(rows: np.ndarray, truth: np.ndarray, indices: np.ndarray) -> float:
    found = indices[rows]
    hits = sum(np.intersect1d(a, b).size for a, b in zip(found, truth, strict=True))
    return hits / truth.size


def bench_knn(X: np.ndarray, k: int, queries: int, nndescent: bool) -> Any:
    n, d = X.shape
    rng = np.random.default_rng(1)
    rows = np.sort(rng.choice(n, size=min(queries, n), replace=False))
    tensor = prepare(torch.from_numpy(X), "cosine")
    (truth, _), t_exact = clock(exact_knn, tensor, k, "cosine", query_rows=torch.from_numpy(rows))
    truth = truth.numpy()
    t_full = t_exact * n / len(rows)
    results = [["exact (torch)", f"{t_full:,.1f} (extrapolated from {len(rows):,} rows: "
                f"{t_exact:.1f} s)", "1.000", "-"]]
    print("  done:", results[-1], flush=True)
    graph, t_faiss = clock(embedviz.knn, X, k=k, method="faiss", progress=False, cache=False)
    results.append(["faiss (auto index)", f"{t_faiss:,.1f}",
                    f"{recall_on(rows, truth, graph.indices):.3f}",
                    f"{graph.recall:.3f}" if graph.recall is not None else "-"])
    print("  done:", results[-1], flush=True)
    if nndescent:
        g2, t_nn = clock(embedviz.knn, X, k=k, method="approx", progress=False, cache=False)
        results.append(["pynndescent", f"{t_nn:,.1f}",
                        f"{recall_on(rows, truth, g2.indices):.3f}",
                        f"{g2.recall:.3f}" if g2.recall is not None else "-"])
    from embedviz.compute.knn_faiss import plan_index

    plan = plan_index(n, d, k)
    table(f"knn: {n:,} x {d}, k={k}, cosine (faiss plan {plan.describe()}, "
          f"{plan.threads} threads)", ["method", "time s", f"recall ({len(rows):,} rows)",
                                       "graph.recall"], results)
    for name, _t, _r, _g in results[1:]:
        print(f"  {name}: {t_full / float(_t.replace(',', '')):.1f}x faster than exact "
              "(extrapolated)")
    return graph


def bench_reduce(X: np.ndarray, graph: Any, trust_rows: int) -> None:
    n = X.shape[0]
    rng = np.random.default_rng(2)
    rows = np.sort(rng.choice(n, size=min(trust_rows, n), replace=False))
    from embedviz.compute.reduce_scale import sample_size_for

    size = sample_size_for(n)
    out = []
    if size < n:
        xy, t = clock(embedviz.reduce, X, sample=size, random_state=0, progress=False,
                      cache=False)
        out.append([f"sample {size:,} + place {n - size:,}", f"{t:,.1f}",
                    f"{trustworthiness(X[rows], xy[rows], n_neighbors=10):.4f}"])
    xy, t = clock(embedviz.reduce, X, knn=graph, method="umap-torch", random_state=0,
                  progress=False, cache=False)
    out.append(["full torch UMAP (given the faiss graph above, its time not included)", f"{t:,.1f}",
                f"{trustworthiness(X[rows], xy[rows], n_neighbors=10):.4f}"])
    table(f"reduce: {n:,} x {X.shape[1]} (trustworthiness on {len(rows):,} rows, k=10)",
          ["method", "time s", "trustworthiness"], out)


def start_ray(ray: Any) -> None:
    """Local Ray; a raylet whose metrics agent starts slowly on a loaded machine gives up
    after ~25 s, so try three times."""
    for attempt in range(3):
        try:
            ray.init(num_cpus=os.cpu_count() or 1, num_gpus=0, include_dashboard=False,
                     log_to_driver=False)
            return
        except Exception:
            ray.shutdown()
            if attempt == 2:
                raise


def bench_embed(n: int) -> None:
    import ray

    from bench.bench_compute import sentences  # the same generator as the compute bench

    texts = sentences(n)
    local, t_first = clock(embedviz.embed, texts, device="cpu", progress=False, cache=False)
    _, t_init = clock(start_ray, ray)
    try:
        got, t_ray = clock(embedviz.embed, texts, engine="ray", device="cpu", num_workers=1,
                           progress=False)
    finally:
        ray.shutdown()
    # local again after Ray: the load shifts during a run, so the faster of the two counts
    _, t_again = clock(embedviz.embed, texts, device="cpu", progress=False, cache=False)
    t_local = min(t_first, t_again)
    same = float(np.abs(got - local).max())
    table(f"embed: {n:,} sentences, bundled MiniLM, CPU",
          ["engine", "time s", "sentences/s", "note"],
          [["local", f"{t_local:.1f}", f"{n / t_local:.0f}",
            f"faster of {t_first:.1f} s (before Ray) and {t_again:.1f} s (after)"],
           ["ray (1 actor)", f"{t_ray:.1f}", f"{n / t_ray:.0f}",
            f"+ ray.init {t_init:.1f} s; max |diff| vs local {same:.1e}"]])
    print(f"  ray / local time: {t_ray / t_local:.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--d", type=int, default=384)
    ap.add_argument("--k", type=int, default=15)
    ap.add_argument("--exact-queries", type=int, default=2000)
    ap.add_argument("--reduce-n", type=int, default=None,
                    help="rows for the reduce comparison (default: --n)")
    ap.add_argument("--trust-rows", type=int, default=2000)
    ap.add_argument("--sentences", type=int, default=2000)
    ap.add_argument("--skip-knn", action="store_true")
    ap.add_argument("--skip-nndescent", action="store_true")
    ap.add_argument("--skip-reduce", action="store_true")
    ap.add_argument("--skip-embed", action="store_true")
    args = ap.parse_args()
    print(f"torch threads {torch.get_num_threads()}, load average {os.getloadavg()}")
    X, t = clock(clustered, args.n, args.d)
    print(f"data: make_blobs {args.n:,} x {args.d} in {t:.1f} s")
    graph = None
    if not args.skip_knn:
        graph = bench_knn(X, args.k, args.exact_queries, not args.skip_nndescent)
    if not args.skip_reduce:
        m = args.reduce_n or args.n
        if m < args.n or graph is None:
            graph = embedviz.knn(X[:m], k=args.k, method="faiss", progress=False, cache=False)
        bench_reduce(X[:m], graph, args.trust_rows)
    if not args.skip_embed:
        bench_embed(args.sentences)
    print(f"load average at the end {os.getloadavg()}")


if __name__ == "__main__":
    main()
