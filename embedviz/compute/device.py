"""Choosing the torch device: ``"auto"`` = CUDA, else MPS, else CPU."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch


def resolve_device(device: str | torch.device | None = "auto") -> torch.device:
    """Return a usable ``torch.device``; raise a clear error when the asked one is absent."""
    if device is None or (isinstance(device, str) and device == "auto"):
        if torch.cuda.is_available():
            return _indexed(torch.device("cuda"))
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"Unknown device {device!r}; use 'auto', 'cpu', 'cuda' or 'mps'."
        ) from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            f"device={device!r} was asked for but CUDA is not available here; "
            "use device='auto' (falls back to the CPU) or device='cpu'."
        )
    if dev.type == "cuda":
        return _indexed(dev)
    if dev.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise RuntimeError(
                f"device={device!r} was asked for but MPS is not available here; "
                "use device='auto' or device='cpu'."
            )
    return dev


def _indexed(dev: torch.device) -> torch.device:
    """``cuda`` as ``cuda:<current>``: tensors report their device with its index, and
    ``torch.device("cuda") != torch.device("cuda:0")``."""
    return dev if dev.index is not None else torch.device("cuda", torch.cuda.current_device())


@contextmanager
def cpu_threads(device: torch.device, n: int) -> Iterator[None]:
    """Run torch on at most ``n`` CPU threads inside the block (nothing changes off the CPU)."""
    if device.type != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, min(n, before)))
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextmanager
def small_work_threads(device: torch.device, n_elements: int, *,
                       limit: int = 2_000_000) -> Iterator[None]:
    """Run torch on one CPU thread while tensors are small (``n_elements <= limit``).

    Many small element-wise ops gain nothing from intra-op threads, and on a busy machine the
    threads wait for each other: 200 UMAP epochs on digits took 29-40 s with 2 threads and
    1.4-1.6 s with one, on 2 shared cores.
    """
    with cpu_threads(device, 1 if n_elements <= limit else torch.get_num_threads()):
        yield
