"""The device policy of every compute and learning step.

Each operation family lists the device types it runs on (:data:`FAMILIES`). ``device="auto"``
picks, per family, CUDA, else MPS, else the CPU among the supported ones: torch's MPS backend
cannot build sparse CSR tensors, so the graph work of a retrain never goes to a Mac's GPU. A
device named explicitly is used by every family that supports it; a family that does not run
there (sparse on MPS) runs on the CPU and says so once. An absent device is an error.

:func:`on_device` runs a step and, when an accelerator fails at run time (an op not
implemented there, out of memory, a driver error), runs it again on the CPU after a short
notice naming the step and the device, once per step and device. The CPU run is the
reference, so the result is the CPU's.

Thread limits (:func:`cpu_threads`) apply only on the main thread: ``torch.set_num_threads``
is process-wide (a new thread starts from the last value set anywhere), so a worker thread
never changes it.
"""
from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import torch

__all__ = [
    "FAMILIES",
    "cpu_threads",
    "device_for",
    "is_accelerator_failure",
    "notice",
    "on_device",
    "resolve_device",
    "small_work_threads",
]

T = TypeVar("T")

#: Device types each operation family runs on, best first for ``device="auto"``.
FAMILIES: dict[str, tuple[str, ...]] = {
    "dense": ("cuda", "mps", "cpu"),    # matmuls, top-k, PCA: the exact kNN search
    "sparse": ("cuda", "cpu"),          # torch sparse COO/CSR: the retrain's graph work
    "umap": ("cuda", "cpu"),            # the torch UMAP's scatters, unique and complex views
    "kmeans": ("cuda", "mps", "cpu"),
    "adapter": ("cuda", "mps", "cpu"),  # the retrain's MLP adapter
    "encoder": ("cuda", "mps", "cpu"),  # text and image models
}
_NOTICES: set[tuple[str, str]] = set()
_NOTICE_LOCK = threading.Lock()


def resolve_device(device: str | torch.device | None = "auto") -> torch.device:
    """Return a usable ``torch.device``; raise a clear error when the asked one is absent.

    Parameters
    ----------
    device : str, torch.device or None
        ``"auto"`` (or None): CUDA, else MPS, else the CPU; or a device such as ``"cpu"``,
        ``"cuda"``, ``"cuda:1"``, ``"mps"``.

    Returns
    -------
    torch.device
        CUDA devices carry their index (``cuda:0``), as tensors report theirs.

    Raises
    ------
    ValueError
        ``device`` is not a device name.
    RuntimeError
        The device asked for is not available here.
    """
    if device is None or (isinstance(device, str) and device == "auto"):
        if torch.cuda.is_available():
            return _indexed(torch.device("cuda"))
        return torch.device("mps") if _mps_available() else torch.device("cpu")
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
    if dev.type == "mps" and not _mps_available():
        raise RuntimeError(
            f"device={device!r} was asked for but MPS is not available here; "
            "use device='auto' or device='cpu'."
        )
    return dev


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def _indexed(dev: torch.device) -> torch.device:
    """``cuda`` as ``cuda:<current>``: tensors report their device with its index, and
    ``torch.device("cuda") != torch.device("cuda:0")``."""
    return dev if dev.index is not None else torch.device("cuda", torch.cuda.current_device())


def device_for(family: str, device: str | torch.device | None = "auto") -> torch.device:
    """The device a step of ``family`` runs on when ``device`` is asked for.

    Parameters
    ----------
    family : str
        A key of :data:`FAMILIES` (``"dense"``, ``"sparse"``, ``"umap"``, ``"kmeans"``,
        ``"adapter"``, ``"encoder"``).
    device : str, torch.device or None
        As for :func:`resolve_device`.

    Returns
    -------
    torch.device
        With ``"auto"`` the best available device the family supports. An explicit device
        the family does not support gives the CPU, after a one-time notice.

    Raises
    ------
    ValueError
        Unknown family or device name.
    RuntimeError
        An explicitly named device is absent.

    Examples
    --------
    >>> device_for("sparse", "cpu")
    device(type='cpu')
    """
    supported = FAMILIES.get(family)
    if supported is None:
        raise ValueError(f"Unknown operation family {family!r}; use one of {sorted(FAMILIES)}.")
    auto = device is None or (isinstance(device, str) and device == "auto")
    if auto:
        if "cuda" in supported and torch.cuda.is_available():
            return _indexed(torch.device("cuda"))
        if "mps" in supported and _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    dev = resolve_device(device)
    if dev.type not in supported:
        notice(family, dev.type, f"{family} operations do not run on {dev.type}; they run on "
                                  "the CPU")
        return torch.device("cpu")
    return dev


def is_accelerator_failure(exc: BaseException) -> bool:
    """Whether ``exc`` is an accelerator refusing or failing an op.

    Parameters
    ----------
    exc : BaseException
        What a step raised.

    Returns
    -------
    bool
        True for ``NotImplementedError`` (an op missing on the backend), torch's
        out-of-memory error and ``RuntimeError`` (what backends raise); False for bad input
        (``ValueError``, ``TypeError``), a cancel and interrupts.
    """
    oom = getattr(torch, "OutOfMemoryError", None) or getattr(torch.cuda, "OutOfMemoryError", ())
    return isinstance(exc, (NotImplementedError, RuntimeError)) or bool(
        oom and isinstance(exc, oom))


def step_starting(step: str, device: torch.device) -> None:
    """Called by :func:`on_device` as each step starts on ``device``; does nothing.

    It is the seam where a test (or a debugger) records which device each step ran on, or
    raises to make an accelerator fail (``monkeypatch.setattr(device_module,
    "step_starting", ...)``).

    Parameters
    ----------
    step : str
        The step's name (``"knn"``, ``"retrain"``, ...).
    device : torch.device
        The device it is about to run on.

    Examples
    --------
    >>> step_starting("knn", torch.device("cpu"))
    """


def on_device(family: str, device: str | torch.device | None,
              fn: Callable[[torch.device], T], *, step: str) -> T:
    """Run ``fn(dev)`` on the device :func:`device_for` gives; on an accelerator failure run
    ``fn(cpu)`` instead, after a one-time notice naming ``step`` and the device.

    Parameters
    ----------
    family : str
        The operation family of the step (see :data:`FAMILIES`).
    device : str, torch.device or None
        The device asked for (``"auto"``, ``"cpu"``, ``"cuda"``, ``"mps"``, ...).
    fn : callable
        The step, taking the device to run on; it must give the same result on the CPU.
    step : str
        The step's name for the notice (``"knn"``, ``"retrain"``, ...).

    Returns
    -------
    object
        What ``fn`` returns.

    Raises
    ------
    Exception
        Whatever ``fn`` raises on the CPU, and any error that is not an accelerator
        failure (bad input, a cancel) from the accelerator run.

    Examples
    --------
    >>> on_device("dense", "cpu", lambda dev: torch.ones(2, device=dev).sum().item(), step="sum")
    2.0
    """
    dev = device_for(family, device)
    if dev.type != "cpu":
        try:
            step_starting(step, dev)
            return fn(dev)
        except Exception as exc:
            if not is_accelerator_failure(exc):
                raise
            notice(step, str(dev), f"{step} failed on {dev} ({_reason(exc)}); it ran on the CPU "
                                    "instead (same result, slower)")
    cpu = torch.device("cpu")
    step_starting(step, cpu)
    return fn(cpu)


def _reason(exc: BaseException) -> str:
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return first if len(first) <= 120 else first[:117] + "..."


def notice(step: str, device: str, message: str) -> None:
    """Warn ``message`` once per (``step``, ``device``) in this process.

    Parameters
    ----------
    step : str
        The step that fell back (``"knn"``, ``"embed fp16"``, ...).
    device : str
        The device it fell back from.
    message : str
        The notice, one short sentence without the final full stop.

    Warns
    -----
    RuntimeWarning
        ``"embedviz: <message>."`` the first time; later calls for the same step and
        device stay quiet (:func:`reset_notices` lets them speak again).
    """
    with _NOTICE_LOCK:
        if (step, device) in _NOTICES:
            return
        _NOTICES.add((step, device))
    warnings.warn(f"embedviz: {message}.", RuntimeWarning, stacklevel=3)


def reset_notices() -> None:
    """Let every notice show again (the next failure of each step says so once more)."""
    with _NOTICE_LOCK:
        _NOTICES.clear()


@contextmanager
def cpu_threads(device: torch.device, n: int) -> Iterator[None]:
    """Run torch on at most ``n`` CPU threads inside the block, restored after it.

    Only on the main thread and on the CPU: torch's thread count is process-wide (a thread
    started later takes the last value set anywhere), so a worker thread (a retrain) leaves
    it as it is.

    Parameters
    ----------
    device : torch.device
        Where the block's work runs; nothing changes off the CPU.
    n : int
        The most threads to use (never more than torch already uses).

    Examples
    --------
    >>> with cpu_threads(torch.device("cpu"), 1):
    ...     _ = torch.ones(3).sum()
    """
    if device.type != "cpu" or threading.current_thread() is not threading.main_thread():
        yield
        return
    before = torch.get_num_threads()
    wanted = max(1, min(n, before))
    if wanted == before:
        yield
        return
    torch.set_num_threads(wanted)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextmanager
def small_work_threads(device: torch.device, n_elements: int, *,
                       limit: int = 2_000_000) -> Iterator[None]:
    """One CPU thread while tensors are small (``n_elements <= limit``), else
    ``embedviz.config.torch_threads``.

    Many small element-wise ops gain nothing from intra-op threads, and a thread that waits
    for a core other work holds stalls every op: with one thread more than the idle cores,
    200 UMAP epochs on digits took 20x as long as on one thread.
    """
    from embedviz.settings import config

    with cpu_threads(device, 1 if n_elements <= limit else config.torch_threads):
        yield
