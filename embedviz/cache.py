"""Content-addressed cache for embeddings, kNN graphs, layouts and clusterings.

An entry's key is a hash of the input data bytes, the function name, the function's
algorithm version (a constant next to each cached computation, bumped whenever its result
would change) and its parameters, so re-running a cell with the same data and parameters
loads the result instead of computing it, and a changed algorithm never returns an old
result. Entries are ``.npz`` files written atomically (temporary file + ``os.replace``): an
interrupt, or two kernels writing the same entry, never leave a corrupt entry. Entries load
with ``np.load(..., allow_pickle=False)``.

The folder holds at most ``embedviz.config.cache_max_gb`` (4 GB unless set, or the
``EMBEDVIZ_CACHE_MAX_GB`` environment variable): after each write the least recently used
entries (by last read or write) are deleted until it fits. :func:`cache_info` tells what is
stored, :func:`clear_cache` deletes it.

The folder is, in order: :func:`set_cache_dir`, the ``EMBEDVIZ_CACHE_DIR`` environment
variable, or ``embedviz`` under the user's cache folder. ``EMBEDVIZ_CACHE=0`` turns caching
off for the process.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

FORMAT_VERSION = 1
_override: Path | None = None


def _default_dir() -> Path:
    try:
        from platformdirs import user_cache_dir

        return Path(user_cache_dir("embedviz", appauthor=False))
    except ImportError:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        return Path(base) / "embedviz"


def cache_dir() -> Path:
    """The folder where entries are stored (not created until the first write)."""
    if _override is not None:
        return _override
    env = os.environ.get("EMBEDVIZ_CACHE_DIR")
    return Path(env).expanduser() if env else _default_dir()


def set_cache_dir(path: str | os.PathLike[str] | None) -> None:
    """Store entries under ``path`` from now on; ``None`` goes back to the env var / default."""
    global _override
    _override = None if path is None else Path(path).expanduser()


def cache_enabled() -> bool:
    """False when the environment sets ``EMBEDVIZ_CACHE=0`` (or ``false``/``off``)."""
    return os.environ.get("EMBEDVIZ_CACHE", "1").strip().lower() not in ("0", "false", "off", "no")


def _entry_files(folder: Path) -> list[Path]:
    """The entry files under ``folder`` (``<func>/<xx>/<key>.npz``), nothing else there."""
    return [p for p in folder.glob("*/*/*.npz") if p.is_file()] if folder.is_dir() else []


def cache_info() -> dict[str, Any]:
    """What the cache holds.

    Returns
    -------
    dict
        ``dir`` (the folder, str), ``enabled`` (bool), ``entries`` and ``bytes`` (totals),
        ``max_bytes`` (the size cap) and ``functions``: per cached function, a dict with
        its ``entries`` and ``bytes``.

    Examples
    --------
    >>> import embedviz
    >>> info = embedviz.cache_info()
    >>> sorted(info)
    ['bytes', 'dir', 'enabled', 'entries', 'functions', 'max_bytes']
    """
    functions: dict[str, dict[str, int]] = {}
    for path in _entry_files(cache_dir()):
        try:
            size = path.stat().st_size
        except OSError:  # evicted by another kernel meanwhile
            continue
        func = functions.setdefault(path.parent.parent.name, {"entries": 0, "bytes": 0})
        func["entries"] += 1
        func["bytes"] += size
    return {"dir": str(cache_dir()), "enabled": cache_enabled(),
            "entries": sum(f["entries"] for f in functions.values()),
            "bytes": sum(f["bytes"] for f in functions.values()),
            "max_bytes": max_bytes(), "functions": functions}


def clear_cache() -> int:
    """Delete every cache entry (files embedviz did not write stay where they are).

    Returns
    -------
    int
        The number of entries deleted.

    Examples
    --------
    >>> import embedviz
    >>> embedviz.clear_cache()  # doctest: +SKIP
    12
    """
    folder = cache_dir()
    removed = 0
    for path in _entry_files(folder) + list(folder.glob("*/*/.*.tmp")):
        try:
            path.unlink()
            removed += path.suffix == ".npz"
        except FileNotFoundError:
            continue
    for sub in sorted(folder.glob("*/*"), reverse=True) + sorted(folder.glob("*")):
        if sub.is_dir() and not any(sub.iterdir()):
            sub.rmdir()
    return removed


def max_bytes() -> int:
    """The size cap in bytes (``embedviz.config.cache_max_gb``)."""
    from embedviz.settings import config

    return int(config.cache_max_gb * 1e9)


def evict(limit: int | None = None, *, keep: Path | None = None) -> int:
    """Delete least recently used entries until the folder holds at most ``limit`` bytes
    (default :func:`max_bytes`); ``keep`` (the entry just written) goes last. Returns the
    number deleted."""
    limit = max_bytes() if limit is None else limit
    stamped = []
    for path in _entry_files(cache_dir()):
        try:
            st = path.stat()
        except FileNotFoundError:
            continue
        stamped.append((path == keep, st.st_mtime_ns, st.st_size, path))
    total = sum(size for _, _, size, _ in stamped)
    removed = 0
    for _, _, size, path in sorted(stamped, key=lambda e: (e[0], e[1])):
        if total <= limit:
            break
        path.unlink(missing_ok=True)
        total -= size
        removed += 1
    return removed


def _update_with(h: Any, part: Any) -> None:
    """Feed one piece of data into the hash, tagged with its type and shape."""
    if part is None:
        h.update(b"N")
    elif isinstance(part, np.ndarray):
        arr = np.ascontiguousarray(part)
        if arr.dtype == object:
            raise TypeError("object arrays cannot be hashed for the cache; pass numeric or str data.")
        h.update(f"A{arr.dtype.str}{arr.shape}".encode())
        h.update(arr.data.cast("B") if arr.size else b"")
    elif isinstance(part, bytes):
        h.update(b"B%d:" % len(part) + part)
    elif isinstance(part, str):
        raw = part.encode("utf-8", "surrogatepass")
        h.update(b"S%d:" % len(raw) + raw)
    elif isinstance(part, (list, tuple)):
        h.update(b"L%d[" % len(part))
        for item in part:
            _update_with(h, item)
        h.update(b"]")
    else:
        raise TypeError(f"cannot hash {type(part).__name__} for the cache key.")


def library_version(distribution: str) -> str:
    """The installed version of a library whose code computes a cached result (part of the
    parameters, so upgrading it recomputes); "" when it is not installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return ""


def cache_key(func: str, *, data: Iterable[Any], params: Mapping[str, Any],
              version: int) -> str:
    """Hex key from the data (arrays, strings, bytes, lists of them), ``func``, its algorithm
    ``version`` and ``params``."""
    if isinstance(version, bool) or not isinstance(version, int):
        raise TypeError(f"version must be the function's algorithm version (an int); got "
                        f"{version!r}.")
    h = hashlib.blake2b(digest_size=20)
    header = {"func": func, "params": dict(params), "algo": version, "fmt": FORMAT_VERSION}
    h.update(json.dumps(header, sort_keys=True, default=str).encode())
    for part in data:
        _update_with(h, part)
    return h.hexdigest()


def entry_path(func: str, key: str) -> Path:
    return cache_dir() / func / key[:2] / f"{key}.npz"


def load(func: str, key: str) -> dict[str, np.ndarray] | None:
    """The stored arrays, or None when absent or unreadable (an unreadable entry is removed)."""
    path = entry_path(func, key)
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            out = {name: npz[name] for name in npz.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error):
        path.unlink(missing_ok=True)
        return None
    try:  # a read is a use: the least recently used entries are evicted first
        os.utime(path)
    except OSError:  # evicted meanwhile, or a read-only folder: the entry was read all the same
        pass
    return out


def save(func: str, key: str, arrays: Mapping[str, np.ndarray]) -> Path:
    """Write ``arrays`` atomically; a concurrent writer of the same key is harmless."""
    path = entry_path(func, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{key}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            named: dict[str, Any] = {k: np.asarray(v) for k, v in arrays.items()}
            np.savez(fh, **named)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def cached_call(
    func: str,
    *,
    data: Iterable[Any],
    params: Mapping[str, Any],
    version: int,
    compute: Callable[[], Mapping[str, np.ndarray]],
    enabled: bool = True,
) -> dict[str, np.ndarray]:
    """Load the entry for (data, func, version, params) or run ``compute()`` and store its
    arrays, then evict least recently used entries beyond the size cap.

    ``compute`` runs before anything is written, so an interrupt during it leaves no entry.
    ``version`` is the algorithm version of ``func``: bump it whenever the result changes.
    """
    if not (enabled and cache_enabled()):
        return dict(compute())
    key = cache_key(func, data=data, params=params, version=version)
    hit = load(func, key)
    if hit is not None:
        return hit
    result = dict(compute())
    try:
        evict(keep=save(func, key, result))
    except OSError as exc:  # a read-only or full disk must not lose the result
        import warnings

        warnings.warn(f"embedviz cache: could not write {func} entry ({exc}); continuing.", stacklevel=2)
    return result
