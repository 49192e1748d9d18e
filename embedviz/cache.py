"""Content-addressed cache for embeddings, kNN graphs, layouts and clusterings.

An entry's key is a hash of the input data bytes, the function name, its parameters and
the embedviz version, so re-running a cell with the same data and parameters loads the
result instead of computing it. Entries are ``.npz`` files written atomically (temporary
file + ``os.replace``): an interrupt, or two kernels writing the same entry, never leave a
corrupt entry. Entries load with ``np.load(..., allow_pickle=False)``.

The folder is, in order: :func:`set_cache_dir`, the ``EMBEDVIZ_CACHE_DIR`` environment
variable, or ``embedviz`` under the user's cache folder. ``EMBEDVIZ_CACHE=0`` turns caching
off for the process.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
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


def clear_cache() -> None:
    """Delete every entry under :func:`cache_dir`."""
    folder = cache_dir()
    if folder.exists():
        shutil.rmtree(folder)


def _update_with(h: Any, part: Any) -> None:
    """Feed one piece of data into the hash, tagged with its type and shape."""
    if part is None:
        h.update(b"N")
    elif isinstance(part, np.ndarray):
        arr = np.ascontiguousarray(part)
        if arr.dtype == object:
            raise TypeError("object arrays cannot be hashed for the cache; pass numeric or str data.")
        h.update(f"A{arr.dtype.str}{arr.shape}".encode())
        h.update(memoryview(arr).cast("B") if arr.size else b"")
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


def cache_key(func: str, *, data: Iterable[Any], params: Mapping[str, Any]) -> str:
    """Hex key from the data (arrays, strings, bytes, lists of them), ``func`` and ``params``."""
    from embedviz import __version__

    h = hashlib.blake2b(digest_size=20)
    header = {"func": func, "params": dict(params), "v": __version__, "fmt": FORMAT_VERSION}
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
            return {name: npz[name] for name in npz.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error):
        path.unlink(missing_ok=True)
        return None


def save(func: str, key: str, arrays: Mapping[str, np.ndarray]) -> Path:
    """Write ``arrays`` atomically; a concurrent writer of the same key is harmless."""
    path = entry_path(func, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{key}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **{k: np.asarray(v) for k, v in arrays.items()})
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
    compute: Callable[[], Mapping[str, np.ndarray]],
    enabled: bool = True,
) -> dict[str, np.ndarray]:
    """Load the entry for (data, func, params) or run ``compute()`` and store its arrays.

    ``compute`` runs before anything is written, so an interrupt during it leaves no entry.
    """
    if not (enabled and cache_enabled()):
        return dict(compute())
    key = cache_key(func, data=data, params=params)
    hit = load(func, key)
    if hit is not None:
        return hit
    result = dict(compute())
    try:
        save(func, key, result)
    except OSError as exc:  # a read-only or full disk must not lose the result
        import warnings

        warnings.warn(f"embedviz cache: could not write {func} entry ({exc}); continuing.", stacklevel=2)
    return result
