"""Machine-derived settings in one place: ``embedviz.config``.

Every choice that depends on the machine (threads, size thresholds, batch sizes, the CPU's
speed, the cache's size) is read from here. Each setting is, in order: the value assigned
(``embedviz.config.threads = 8``), its environment variable, or a value derived from the
machine the code runs on. Assign ``None`` to go back to the derived value.

========================  ===========================  ==========================================
setting                   environment variable         derived from
========================  ===========================  ==========================================
``cores``                 ``EMBEDVIZ_CORES``           the CPUs this process may run on
``threads``               ``EMBEDVIZ_THREADS``         ``cores``: numba / joblib jobs (umap-learn,
                                                       pynndescent, hdbscan)
``torch_threads``         ``EMBEDVIZ_TORCH_THREADS``   ``cores``: torch's CPU threads for large
                                                       steps run from the main thread
``umap_torch_from``       ``EMBEDVIZ_UMAP_TORCH_FROM`` 10,000 points per umap-learn thread
``cpu_macs_per_s``        ``EMBEDVIZ_CPU_MACS_PER_S``  a short timed exact kNN (once per process)
``batch_size``            ``EMBEDVIZ_BATCH_SIZE``      64 on the CPU; free memory on CUDA
``cache_max_gb``          ``EMBEDVIZ_CACHE_MAX_GB``    4 GB
========================  ===========================  ==========================================
"""
from __future__ import annotations

import os
import threading
import time
from typing import Any

__all__ = ["Config", "config"]

#: Points per umap-learn thread from which ``method="umap"`` runs the torch UMAP on the CPU:
#: one torch thread took 8.0 s for 2e4 points where umap-learn with 2 threads took 12.6-14.0 s
#: at equal trustworthiness (0.982), and umap-learn's epochs split over its threads.
UMAP_TORCH_POINTS_PER_THREAD = 10_000
_DEFAULT_CACHE_GB = 4.0
_ENV = {
    "cores": "EMBEDVIZ_CORES", "threads": "EMBEDVIZ_THREADS",
    "torch_threads": "EMBEDVIZ_TORCH_THREADS", "umap_torch_from": "EMBEDVIZ_UMAP_TORCH_FROM",
    "cpu_macs_per_s": "EMBEDVIZ_CPU_MACS_PER_S", "batch_size": "EMBEDVIZ_BATCH_SIZE",
    "cache_max_gb": "EMBEDVIZ_CACHE_MAX_GB",
}
_FLOATS = {"cpu_macs_per_s", "cache_max_gb"}


def detected_cores() -> int:
    """CPUs this process may use (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def calibrate_cpu_macs_per_s(n: int = 2048, d: int = 128) -> float:
    """Multiply-adds per second of the exact kNN search on this CPU, from one small search.

    It is the figure the exact search's time is estimated with (``n * n * d`` multiply-adds),
    so it includes the top-k and re-ranking, not only the matmul.
    """
    import torch

    from embedviz.compute.knn_exact import exact_knn, prepare

    gen = torch.Generator().manual_seed(0)
    data = prepare(torch.randn((n, d), generator=gen), "cosine")
    exact_knn(data[:256], 15, "cosine")  # first-call allocations are not the CPU's speed
    start = time.perf_counter()
    exact_knn(data, 15, "cosine")
    return n * n * d / max(time.perf_counter() - start, 1e-6)


class Config:
    """The machine-derived settings of embedviz, read by every compute step.

    Use the process's instance, ``embedviz.config``; it takes no arguments. Each setting is,
    in order: the value assigned (``embedviz.config.threads = 8``), its environment variable
    (``EMBEDVIZ_THREADS``, ...), or a value derived from the machine. Assigning None goes
    back to the derived value; :meth:`reset` forgets every assigned value.

    Settings: ``cores``, ``threads``, ``torch_threads``, ``umap_torch_from``,
    ``cpu_macs_per_s``, ``batch_size``, ``cache_max_gb`` (each property says what it sets;
    the module docstring lists their environment variables and defaults).

    Raises
    ------
    AttributeError
        Assigning a name that is not a setting.
    ValueError
        Assigning a value that is not a positive integer (a positive number for
        ``cpu_macs_per_s`` and ``cache_max_gb``) or None, or an environment variable that
        does not parse as one.

    Examples
    --------
    >>> import embedviz
    >>> embedviz.config.threads = 2
    >>> embedviz.config.threads
    2
    >>> embedviz.config.threads = None  # back to the environment or the machine
    >>> embedviz.config.reset()
    """

    _set: dict[str, Any]
    _calibrated: float | None
    _lock: threading.Lock

    def __init__(self) -> None:
        object.__setattr__(self, "_set", {})
        object.__setattr__(self, "_calibrated", None)
        object.__setattr__(self, "_lock", threading.Lock())

    # ---- plumbing -----------------------------------------------------------------
    def _given(self, name: str) -> Any:
        """The assigned value, else the environment variable's, else None."""
        if name in self._set:
            return self._set[name]
        raw = os.environ.get(_ENV[name], "").strip()
        if not raw:
            return None
        kind = "a positive number" if name in _FLOATS else "a positive integer"
        try:
            return self._checked(name, float(raw) if name in _FLOATS else int(raw))
        except ValueError:
            raise ValueError(f"{_ENV[name]}={raw!r} is not {kind}; set it to one or unset it "
                             f"(config.{name} is then derived from the machine).") from None

    @staticmethod
    def _checked(name: str, value: Any) -> Any:
        if value is None:
            return None
        if name in _FLOATS:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"config.{name} must be a positive number or None; got {value!r}.")
            return float(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"config.{name} must be a positive integer or None; got {value!r}.")
        return int(value)

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in _ENV:
            raise AttributeError(f"embedviz.config has no setting {name!r}; the settings are "
                                 f"{sorted(_ENV)}.")
        checked = self._checked(name, value)
        if checked is None:
            self._set.pop(name, None)
        else:
            self._set[name] = checked

    def reset(self) -> None:
        """Forget every assigned value (environment variables and derived values apply;
        the CPU's measured speed is kept)."""
        self._set.clear()

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in _ENV
                          if name != "cpu_macs_per_s" or self._given(name) or self._calibrated)
        return f"embedviz.config({shown})"

    # ---- the settings -------------------------------------------------------------
    @property
    def cores(self) -> int:
        """CPUs available to this process."""
        given = self._given("cores")
        return given if given is not None else detected_cores()

    @property
    def threads(self) -> int:
        """Worker threads for numba / joblib code: umap-learn (when unseeded; a seeded
        umap-learn runs on one thread to be reproducible), pynndescent and hdbscan."""
        given = self._given("threads")
        return given if given is not None else self.cores

    @property
    def torch_threads(self) -> int:
        """torch's CPU threads for a large compute step run from the main thread (small
        steps run on one; worker threads leave torch's thread count alone: it is
        process-wide). ``cores`` by default, a count that does not change between calls, so
        a seeded result does not either (matmul sums split differently over other thread
        counts). Set it lower where other work keeps the cores busy: a thread without a core
        of its own stalls every op (the torch UMAP ran 2.5x slower with one thread more
        than the idle cores)."""
        given = self._given("torch_threads")
        return given if given is not None else self.cores

    @property
    def umap_torch_from(self) -> int:
        """From this many points ``reduce(method="umap")`` runs the torch UMAP on the CPU
        too; the crossover grows with the threads umap-learn would use."""
        given = self._given("umap_torch_from")
        return given if given is not None else self.umap_torch_threshold(seeded=False)

    def umap_torch_threshold(self, *, seeded: bool) -> int:
        """Points from which ``reduce(method="umap")`` runs the torch UMAP on the CPU.

        This is ``umap_torch_from`` when it is set; otherwise 10,000 points per thread
        umap-learn would use (one when seeded, ``threads`` when not).

        Parameters
        ----------
        seeded : bool
            Whether the run has a ``random_state`` (umap-learn then runs on one thread).

        Returns
        -------
        int
            The number of points from which the torch UMAP is chosen.

        Raises
        ------
        ValueError
            ``EMBEDVIZ_UMAP_TORCH_FROM`` is set to something other than a positive integer.

        Examples
        --------
        >>> from embedviz.settings import Config
        >>> cfg = Config()
        >>> cfg.umap_torch_from = 30_000
        >>> cfg.umap_torch_threshold(seeded=True)
        30000
        """
        given = self._given("umap_torch_from")
        if given is not None:
            return int(given)
        return UMAP_TORCH_POINTS_PER_THREAD * (1 if seeded else self.threads)

    @property
    def cpu_macs_per_s(self) -> float:
        """The CPU's exact-kNN speed in multiply-adds per second (estimates and the
        exact/approximate choice of ``knn(method="auto")``)."""
        given = self._given("cpu_macs_per_s")
        if given is not None:
            return float(given)
        with self._lock:
            measured = self._calibrated
            if measured is None:
                measured = calibrate_cpu_macs_per_s()
                object.__setattr__(self, "_calibrated", measured)
            return measured

    @property
    def batch_size(self) -> int | None:
        """Items per batch for ``embed`` (None: 64 on the CPU, from free memory on CUDA)."""
        return self._given("batch_size")

    @property
    def cache_max_gb(self) -> float:
        """Size cap of the on-disk cache in GB (least recently used entries go first)."""
        given = self._given("cache_max_gb")
        return given if given is not None else _DEFAULT_CACHE_GB


#: The process's settings (``embedviz.config``).
config = Config()
