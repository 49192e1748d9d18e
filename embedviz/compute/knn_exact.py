"""Exact k-nearest neighbours in torch: tiled top-k with bounded memory (never n x n).

Queries are processed in blocks; each block is scored against the data in column tiles and
a running top-k is merged, so memory is O(block x tile) whatever n is. On CUDA the scores
are computed in half precision (cosine) or TF32 (euclidean) with a few extra candidates,
which are then re-ranked in float32, so the result matches a float32 search.
"""
from __future__ import annotations

import torch
from tqdm.auto import tqdm

from embedviz.compute.device import is_accelerator_failure, notice

_CPU_SCORE_ELEMENTS = 32 * 2**20  # 128 MiB of float32 scores per tile on the CPU
_MAX_TILE_COLUMNS = 262_144


def _score_budget(device: torch.device) -> int:
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return int(max(16 * 2**20, min(free // 16, 1024 * 2**20)))
    return _CPU_SCORE_ELEMENTS


def prepare(data: torch.Tensor, metric: str) -> torch.Tensor:
    """Unit-normalise rows for cosine; leave euclidean data as it is."""
    if metric == "cosine":
        return torch.nn.functional.normalize(data, dim=1)
    return data


def low_precision_scores(device: torch.device) -> bool:
    """Whether candidates are scored in half precision / TF32 (GPUs: CUDA)."""
    return device.type == "cuda"


def exact_knn(
    data: torch.Tensor,
    k: int,
    metric: str,
    *,
    query_rows: torch.Tensor | None = None,
    progress: bool = False,
    desc: str = "knn (exact)",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices (m, k) int64 and distances (m, k) float32 of the k nearest rows of ``data``.

    ``data`` must already be :func:`prepare`-d and on the target device. ``query_rows`` picks
    which rows to query (all by default); each query's own row is never returned. Where the
    low-precision scoring fails on the device (no half kernels, out of memory), the search
    runs again in float32 there, after a one-time notice.
    """
    device = data.device
    rows = torch.arange(data.shape[0], device=device) if query_rows is None else \
        query_rows.to(device)
    if low_precision_scores(device):
        try:
            return _search(data, k, metric, rows, True, progress, desc)
        except Exception as exc:
            if not is_accelerator_failure(exc):
                raise
            notice("knn fp16 scoring", str(device), f"half-precision kNN scoring failed on "
                   f"{device} ({type(exc).__name__}); the search runs in float32 there")
    return _search(data, k, metric, rows, False, progress, desc)


def _search(data: torch.Tensor, k: int, metric: str, rows: torch.Tensor, low_precision: bool,
            progress: bool, desc: str) -> tuple[torch.Tensor, torch.Tensor]:
    device = data.device
    n = data.shape[0]
    extra = max(8, k // 2) if low_precision else 0
    cand = min(k + extra, n - 1)
    score_data = data.half() if (low_precision and metric == "cosine") else data
    sq_norms = (data * data).sum(1) if metric == "euclidean" else None

    tile = min(n, _MAX_TILE_COLUMNS)
    block = max(1, min(rows.numel(), _score_budget(device) // tile))
    out_idx = torch.empty((rows.numel(), k), dtype=torch.int64, device=device)
    out_dist = torch.empty((rows.numel(), k), dtype=torch.float32, device=device)
    starts = range(0, rows.numel(), block)
    for start in tqdm(starts, desc=desc, disable=not progress, unit="block", leave=False):
        q_rows = rows[start : start + block]
        cand_idx = _block_candidates(score_data, sq_norms, q_rows, cand, tile, metric)
        idx, dist = _rerank(data, q_rows, cand_idx, k, metric)
        out_idx[start : start + block] = idx
        out_dist[start : start + block] = dist
    return out_idx, out_dist


def _block_candidates(
    score_data: torch.Tensor,
    sq_norms: torch.Tensor | None,
    q_rows: torch.Tensor,
    cand: int,
    tile: int,
    metric: str,
) -> torch.Tensor:
    """Top-``cand`` candidate ids for one query block, merging column tiles."""
    n = score_data.shape[0]
    queries = score_data[q_rows]
    best_s: torch.Tensor | None = None
    best_i: torch.Tensor | None = None
    local = torch.arange(q_rows.numel(), device=score_data.device)
    for c0 in range(0, n, tile):
        cols = score_data[c0 : c0 + tile]
        scores = queries @ cols.T  # half precision on CUDA for cosine: re-ranked below
        if metric == "euclidean":  # larger is nearer: 2 q.x - |x|^2
            assert sq_norms is not None  # computed for the euclidean metric
            scores = 2.0 * scores.float() - sq_norms[c0 : c0 + tile]
        own = (q_rows >= c0) & (q_rows < c0 + cols.shape[0])
        scores[local[own], q_rows[own] - c0] = float("-inf")
        top_s, top_i = scores.topk(min(cand, cols.shape[0]), dim=1)
        top_i += c0
        if best_s is None or best_i is None:
            best_s, best_i = top_s, top_i
        else:
            merged_s = torch.cat([best_s, top_s], 1)
            merged_i = torch.cat([best_i, top_i], 1)
            best_s, pos = merged_s.topk(cand, dim=1)
            best_i = merged_i.gather(1, pos)
    assert best_i is not None
    return best_i


def _rerank(
    data: torch.Tensor, q_rows: torch.Tensor, cand_idx: torch.Tensor, k: int, metric: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """Exact float32 distances to the candidates, keep the k nearest, sorted."""
    q = data[q_rows].float().unsqueeze(1)  # (b, 1, d)
    c = data[cand_idx].float()  # (b, cand, d)
    if metric == "cosine":
        dist = (1.0 - (q * c).sum(-1)).clamp_min_(0.0)
    else:
        dist = (q - c).pow(2).sum(-1).sqrt_()
    dist, pos = dist.topk(k, dim=1, largest=False, sorted=True)
    return cand_idx.gather(1, pos), dist
