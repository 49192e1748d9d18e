"""``embed(..., engine="ray")``: Ray Data ``map_batches`` over an actor pool, one model per actor.

Every row keeps an id (its position in ``items``, or in the Parquet files read in name order).
With ``out=`` each batch is written by its actor as one Parquet shard (``id`` int64 +
``embedding`` fixed-size list of float32, the model and dimension in the schema metadata),
atomically, so an interrupted run leaves only whole shards and a later call with the same
``out=`` embeds only the ids no shard holds yet. Ray is an optional extra: ``embedviz[ray]``.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["embed_ray", "read_shards", "require_ray"]

SHARD_GLOB = "part-*.parquet"
META_MODEL = b"embedviz.model"
META_DIM = b"embedviz.dim"
META_NORMALIZE = b"embedviz.normalize"
# Rows per Ray batch, hence per shard: big enough that per-task overhead (~ms) and per-file
# overhead stay small next to encoding, small enough that a lost batch costs seconds.
DEFAULT_SHARD_ROWS = 4096


def require_ray() -> Any:
    """Import ``ray`` with Ray Data, or raise an ImportError that names the extra."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            "engine='ray' needs Ray Data, which is not installed: pip install 'embedviz[ray]' "
            "(or pip install 'ray[data]'); or use engine='local'."
        ) from exc
    return ray


@dataclass(frozen=True)
class _Spec:
    """What every actor needs to build its model and write its shards."""

    model: Any  # a local model folder (str) or a picklable callable
    name: str
    device: str
    batch_size: int | None
    normalize: bool
    threads: int
    out: str | None
    dim: int | None  # the dimension already in ``out``, if any


class _EmbedActor:
    """One model per actor; each call embeds one batch of rows and writes it as one shard."""

    def __init__(self, spec: _Spec) -> None:
        import torch

        from embedviz.compute.device import resolve_device

        self.spec = spec
        self.device = resolve_device(spec.device)
        if self.device.type == "cpu":
            torch.set_num_threads(spec.threads)  # the CPUs Ray reserved for this actor
        self.model: Any = spec.model
        if isinstance(spec.model, str):
            from embedviz.compute.text_model import load_text_model

            self.model = load_text_model(Path(spec.model), self.device,
                                         half=self.device.type == "cuda")

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        from embedviz.compute.embed import embed

        ids = np.asarray(batch["id"], dtype=np.int64)
        vecs = embed(list(batch["text"]), model=self.model, device=self.device,
                     batch_size=self.spec.batch_size, normalize=self.spec.normalize,
                     progress=False, cache=False)
        if self.spec.dim is not None and vecs.shape[1] != self.spec.dim:
            raise ShardMismatchError(
                f"{self.spec.name} gives {vecs.shape[1]}-d vectors but the shards in out="
                f"{self.spec.out!r} hold {self.spec.dim}-d ones; pass another out= folder."
            )
        if self.spec.out is None:
            return {"id": ids, "embedding": vecs}
        _write_shard(Path(self.spec.out), ids, vecs, self.spec)
        return {"id": ids}


class ShardMismatchError(ValueError):
    """Shards in ``out=`` that this run must not mix with (another model, dimension, format)."""


def _write_shard(out: Path, ids: np.ndarray, vecs: np.ndarray, spec: _Spec) -> Path:
    d = vecs.shape[1]
    flat = pa.array(np.ascontiguousarray(vecs, dtype=np.float32).ravel(), type=pa.float32())
    table = pa.table({"id": pa.array(ids, type=pa.int64()),
                      "embedding": pa.FixedSizeListArray.from_arrays(flat, d)})
    table = table.replace_schema_metadata({META_MODEL: spec.name.encode(),
                                           META_DIM: str(d).encode(),
                                           META_NORMALIZE: str(spec.normalize).encode()})
    name = f"part-{int(ids.min()):012d}-{uuid.uuid4().hex[:8]}.parquet"
    tmp = out / f".{name}.tmp"
    pq.write_table(table, tmp)
    os.replace(tmp, out / name)  # readers and resumes only ever see whole shards
    return out / name


def read_shards(out: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """All shards in ``out`` as ``(ids, X)``, sorted by id.

    Parameters
    ----------
    out : path
        A folder written by ``embed(..., engine="ray", out=...)``.

    Returns
    -------
    ids : ndarray of int64, shape (n,)
    X : ndarray of float32, shape (n, d)

    Raises
    ------
    FileNotFoundError
        When ``out`` holds no shard.

    Examples
    --------
    >>> ids, X = read_shards("embeddings/")  # doctest: +SKIP
    """
    files = sorted(Path(out).glob(SHARD_GLOB))
    if not files:
        raise FileNotFoundError(f"No {SHARD_GLOB} shards in {str(out)!r}; embed into it first.")
    table = pa.concat_tables(pq.read_table(f, columns=["id", "embedding"]) for f in files)
    ids = table.column("id").to_numpy()
    emb = table.column("embedding").combine_chunks()
    X = emb.values.to_numpy(zero_copy_only=False).reshape(len(ids), emb.type.list_size)
    order = np.argsort(ids, kind="stable")
    return ids[order], np.ascontiguousarray(X[order], dtype=np.float32)


def _existing(out: Path, name: str, normalize: bool, n: int) -> tuple[np.ndarray, int | None]:
    """Ids already embedded in ``out`` and their dimension; refuses shards it must not mix."""
    files = sorted(out.glob(SHARD_GLOB))
    dims: set[int] = set()
    foreign: list[str] = []
    for f in files:
        meta = pq.read_schema(f).metadata or {}
        same = (meta.get(META_MODEL, b"").decode() == name
                and meta.get(META_NORMALIZE, b"").decode() == str(normalize))
        if not same:
            who = meta.get(META_MODEL, b"no embedviz metadata").decode()
            foreign.append(f"{f.name} ({who}, normalize={meta.get(META_NORMALIZE, b'?').decode()})")
        elif META_DIM in meta:
            dims.add(int(meta[META_DIM]))
    if foreign or len(dims) > 1:
        listed = foreign or [f"{len(files)} shards of dimensions {sorted(dims)}"]
        raise ShardMismatchError(
            f"out={str(out)!r} holds shards this run ({name}, normalize={normalize}) must not "
            f"mix with: {', '.join(listed[:5])}{' ...' if len(listed) > 5 else ''}. Pass another "
            "out= folder, or delete those shards to embed them again."
        )
    if not files:
        return np.empty(0, dtype=np.int64), None
    ids = pa.concat_tables(pq.read_table(f, columns=["id"]) for f in files).column("id")
    done = np.unique(ids.to_numpy())
    if done.size and (done[-1] >= n or done[0] < 0):
        raise ShardMismatchError(
            f"out={str(out)!r} holds ids up to {int(done[-1])} but items has {n:,} rows, so "
            "they come from other data; pass another out= folder."
        )
    return done, dims.pop() if dims else None


def _model_spec(model: Any, model_name: str | None) -> tuple[Any, str]:
    """(what the actors load, the name stored with the shards)."""
    import torch

    if model is None or isinstance(model, (str, os.PathLike)):
        from embedviz.compute.text_model import resolve_model_path

        path = resolve_model_path(model)
        return str(path), model_name or path.name
    if isinstance(model, torch.nn.Module) or not callable(model):
        raise TypeError(
            "engine='ray' takes model=None, a local sentence-transformers folder, or a callable "
            f"batch -> (b, d) array; got {type(model).__name__}. Wrap a loaded module in a "
            "callable that loads it once, or use engine='local'."
        )
    fn: Callable[..., Any] = model
    qual = getattr(fn, "__qualname__", type(fn).__qualname__)
    return fn, model_name or f"{getattr(fn, '__module__', '')}.{qual}"


def _text_type(t: pa.DataType) -> bool:
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t)
                or getattr(pa.types, "is_string_view", lambda _t: False)(t))


def _parquet_tasks(path: Path, column: str | None) -> tuple[list[dict[str, Any]], int]:
    """One task per row group of the Parquet files under ``path`` (name order), with its ids."""
    import pyarrow.dataset as pds

    if column is None:
        raise ValueError(f"items is a Parquet path ({str(path)!r}); name its text column with "
                         "column='...'.")
    if not path.exists():
        raise FileNotFoundError(f"Parquet path {str(path)!r} does not exist; check the path.")
    dataset = pds.dataset(str(path), format="parquet")
    schema = dataset.schema
    if column not in schema.names:
        raise KeyError(f"Column {column!r} is not in {str(path)!r}; its columns are "
                       f"{schema.names}. Pass one of them as column=.")
    if not _text_type(schema.field(column).type):
        raise TypeError(f"Column {column!r} in {str(path)!r} is {schema.field(column).type}, "
                        "not text; pass a string column, or cast it (e.g. with pyarrow "
                        "pc.cast(col, pa.string())) and write it back.")
    tasks, first = [], 0
    for file in sorted(dataset.files):
        meta = pq.ParquetFile(file).metadata
        for rg in range(meta.num_row_groups):
            rows = meta.row_group(rg).num_rows
            tasks.append({"file": file, "row_group": rg, "first": first, "rows": rows})
            first += rows
    return tasks, first


def _read_row_groups(batch: dict[str, np.ndarray], column: str) -> dict[str, np.ndarray]:
    """Ray task: read the text of some row groups, keep the ids not yet embedded."""
    ids_out, texts_out = [], []
    for file, rg, first, done in zip(batch["file"], batch["row_group"], batch["first"],
                                     batch["done"], strict=True):
        col = pq.ParquetFile(file).read_row_group(int(rg), columns=[column]).column(0)
        ids = int(first) + np.arange(len(col), dtype=np.int64)
        if col.null_count:
            bad = ids[np.asarray(col.is_null())][:5].tolist()
            raise ValueError(f"Column {column!r} of {file} has {col.null_count} missing texts "
                             f"(row ids {bad} ...); fill them (e.g. with '') first.")
        keep = ~np.isin(ids, np.asarray(done, dtype=np.int64))
        ids_out.append(ids[keep])
        texts_out.append(np.asarray(col.to_pylist(), dtype=object)[keep])
    return {"id": np.concatenate(ids_out), "text": np.concatenate(texts_out)}


def embed_ray(
    items: Any,
    *,
    model: Any = None,
    column: str | None = None,
    out: str | os.PathLike[str] | None = None,
    batch_size: int | None = None,
    shard_rows: int = DEFAULT_SHARD_ROWS,
    num_workers: int | None = None,
    num_gpus_per_worker: float = 0.0,
    num_cpus_per_worker: float = 1.0,
    device: str = "auto",
    normalize: bool = True,
    model_name: str | None = None,
    collect: bool = True,
    progress: bool = True,
) -> np.ndarray | None:
    """Embed ``items`` with Ray Data: ``map_batches`` over an actor pool, one model per actor.

    Parameters
    ----------
    items : list, pandas Series, or path
        Texts (or any items ``model`` takes), or a Parquet file / folder read with ``column``.
    model : None, path or callable
        None: the bundled all-MiniLM-L6-v2; a local sentence-transformers folder; or a
        picklable callable ``f(batch: list) -> (b, d) array`` built once per actor.
    column : str, optional
        The text column when ``items`` is a Parquet path.
    out : path, optional
        Folder for the Parquet shards; a later call with the same ``out`` embeds only the
        ids no shard holds. Shards of another model, dimension or ``normalize`` are refused.
    batch_size : int, optional
        Items per forward pass inside an actor (the local ``embed`` default when None).
    shard_rows : int
        Rows per Ray batch, hence per shard.
    num_workers : int, optional
        Most actors in the pool; None: the cluster's GPUs / ``num_gpus_per_worker``, or its
        CPUs / ``num_cpus_per_worker``.
    num_gpus_per_worker, num_cpus_per_worker : float
        Ray resources reserved per actor (torch runs on that many CPU threads).
    device : str
        Device inside each actor (``"auto"``: the GPU Ray gave it, else the CPU).
    normalize : bool
        Unit-length rows, as the local engine.
    model_name : str, optional
        Name stored with the shards (default: the model folder's name or the callable's).
    collect : bool
        Return the (n, d) array; False returns None once the shards are written (needs
        ``out``), for results larger than the driver's memory.
    progress : bool
        Ray Data's progress bars.

    Returns
    -------
    ndarray of float32, shape (n, d), row i for item i; or None when ``collect=False``.

    Raises
    ------
    ImportError
        Ray Data missing (names ``embedviz[ray]``).
    KeyError, TypeError
        A missing or non-text ``column``; a model the actors cannot take.
    ShardMismatchError
        ``out`` holds shards of another model or dimension (named).

    Examples
    --------
    >>> X = embed_ray(["a cat", "a dog"], out="emb/")  # doctest: +SKIP
    """
    ray = require_ray()
    if not collect and out is None:
        raise ValueError("collect=False keeps nothing without out=; pass out='folder/'.")
    if shard_rows < 1:
        raise ValueError(f"shard_rows must be a positive integer; got {shard_rows}.")
    spec_model, name = _model_spec(model, model_name)
    if not ray.is_initialized():
        ray.init(include_dashboard=False, log_to_driver=False)
    source, n = _source(items, column, spec_model)
    out_dir = None if out is None else Path(out)
    done, dim = np.empty(0, dtype=np.int64), None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        done, dim = _existing(out_dir, name, normalize, n)
    spec = _Spec(spec_model, name, device, batch_size, normalize,
                 max(1, int(num_cpus_per_worker)), None if out_dir is None else str(out_dir), dim)
    found: list[tuple[np.ndarray, np.ndarray | None]] = []
    # A dataset copies the DataContext when it is made, so set it first; the caller's own
    # Ray Data settings come back afterwards.
    ctx = ray.data.DataContext.get_current()
    before = (ctx.enable_progress_bars, ctx.raise_original_map_exception)
    ctx.enable_progress_bars = progress
    ctx.raise_original_map_exception = True  # the actor's own error, not a Ray wrapper
    try:
        ds = _dataset(ray, source, done, shard_rows)
        if ds is not None:
            pool = ray.data.ActorPoolStrategy(min_size=1, max_size=_pool_size(
                ray, num_workers, num_gpus_per_worker, num_cpus_per_worker))
            mapped = ds.map_batches(_EmbedActor, fn_constructor_args=(spec,),
                                    batch_size=shard_rows, batch_format="numpy", compute=pool,
                                    num_gpus=num_gpus_per_worker, num_cpus=num_cpus_per_worker)
            for batch in mapped.iter_batches(batch_size=None, batch_format="numpy"):
                found.append((batch["id"], batch.get("embedding")))
    except Exception as exc:  # Ray wraps errors raised in actors; surface ours as they are
        err = _user_error(exc)
        if err is exc:
            raise
        raise err from exc
    finally:
        ctx.enable_progress_bars, ctx.raise_original_map_exception = before
    if not collect:
        return None
    if out_dir is not None:
        ids, X = read_shards(out_dir)
    else:
        ids = np.concatenate([f[0] for f in found])
        X = np.concatenate([np.asarray(f[1], dtype=np.float32) for f in found])
        order = np.argsort(ids, kind="stable")
        ids, X = ids[order], X[order]
    if not np.array_equal(ids, np.arange(n)):
        raise RuntimeError(f"Ray returned {len(ids):,} rows for {n:,} items (ids missing or "
                           "repeated); run again with the same out= to fill the gaps.")
    return X


def _source(items: Any, column: str | None, model: Any) -> tuple[Any, int]:
    if isinstance(items, (str, os.PathLike)):
        tasks, n = _parquet_tasks(Path(items), column)
        return ("parquet", tasks, column), n
    if column is not None:
        raise ValueError("column= names the text column of a Parquet path; items is already "
                         "a list, so leave column out.")
    from embedviz.compute.embed import _as_sequence, _check_texts

    seq: Sequence[Any] = _as_sequence(items)
    if len(seq) == 0:
        raise ValueError("items is empty; pass at least one text or item to embed.")
    if isinstance(model, str):
        seq = _check_texts(seq)
    return ("list", seq), len(seq)


def _dataset(ray: Any, source: Any, done: np.ndarray, shard_rows: int) -> Any:
    """The Ray dataset of rows {id, text} not embedded yet, or None when none is left."""
    if source[0] == "list":
        seq = source[1]
        todo = np.setdiff1d(np.arange(len(seq)), done, assume_unique=True)
        if todo.size == 0:
            return None
        texts = pa.array([seq[i] for i in todo.tolist()])
        table = pa.table({"id": pa.array(todo, type=pa.int64()), "text": texts})
        # One block per shard, so the actors of the pool share the work.
        return ray.data.from_arrow([table.slice(s, shard_rows)
                                    for s in range(0, table.num_rows, shard_rows)])
    _, tasks, column = source
    rows = []
    for task in tasks:
        lo = np.searchsorted(done, task["first"])
        hi = np.searchsorted(done, task["first"] + task["rows"])
        if hi - lo < task["rows"]:  # some rows of this row group are still to embed
            rows.append({**task, "done": done[lo:hi].tolist()})
    if not rows:
        return None
    return ray.data.from_items(rows).map_batches(
        _read_row_groups, fn_kwargs={"column": column}, batch_size=1, batch_format="numpy")


def _pool_size(ray: Any, num_workers: int | None, gpus: float, cpus: float) -> int:
    if num_workers is not None:
        if int(num_workers) < 1:
            raise ValueError(f"num_workers must be a positive integer; got {num_workers}.")
        return int(num_workers)
    total = ray.cluster_resources()
    if gpus > 0:
        if total.get("GPU", 0) < gpus:
            raise RuntimeError(f"num_gpus_per_worker={gpus} but the Ray cluster has "
                               f"{total.get('GPU', 0)} GPUs; pass num_gpus_per_worker=0.")
        return max(1, int(total["GPU"] // gpus))
    return max(1, int(total.get("CPU", 1) // max(cpus, 1e-3)))


def _user_error(exc: BaseException) -> BaseException:
    """The first error of ours (or a plain ValueError/TypeError) in a Ray exception chain."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, (ShardMismatchError, ValueError, TypeError, KeyError)):
            return seen
        nxt = getattr(seen, "cause", None) or seen.__cause__
        seen = nxt if nxt is not seen else None
    return exc
