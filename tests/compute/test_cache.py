"""The content-addressed cache: hits skip the work, writes are atomic, the folder is configurable."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import embedviz
import embedviz.compute.knn as knn_mod
import embedviz.compute.reduce as reduce_mod
from embedviz import cache


def _entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_knn_second_call_does_no_work(monkeypatch: pytest.MonkeyPatch, _isolated_cache: Path) -> None:
    calls = []
    real = knn_mod._exact_graph
    monkeypatch.setattr(knn_mod, "_exact_graph", lambda *a: calls.append(1) or real(*a))
    X = np.random.default_rng(0).normal(size=(200, 8)).astype(np.float32)
    a = embedviz.knn(X, k=5, progress=False)
    b = embedviz.knn(X, k=5, progress=False)
    assert len(calls) == 1
    assert np.array_equal(a.indices, b.indices)
    assert np.array_equal(a.distances, b.distances) and b.exact and b.metric == "cosine"
    embedviz.knn(X, k=6, progress=False)  # a parameter changed
    X2 = X.copy()
    X2[0, 0] += 1e-3  # one value changed
    embedviz.knn(X2, k=5, progress=False)
    assert len(calls) == 3
    assert len([p for p in _entries(_isolated_cache) if p.suffix == ".npz"]) == 3


def test_reduce_and_cluster_hit_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = reduce_mod.pca_2d
    monkeypatch.setattr(reduce_mod, "pca_2d", lambda *a: calls.append(1) or real(*a))
    X = np.random.default_rng(1).normal(size=(100, 6))
    first = embedviz.reduce(X, method="pca", progress=False)
    assert np.array_equal(first, embedviz.reduce(X, method="pca", progress=False))
    assert len(calls) == 1
    embedviz.reduce(X, method="pca", progress=False, cache=False)
    assert len(calls) == 2


def test_interrupt_leaves_no_entry(monkeypatch: pytest.MonkeyPatch, _isolated_cache: Path) -> None:
    X = np.random.default_rng(2).normal(size=(100, 4)).astype(np.float32)

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(knn_mod, "_exact_graph", interrupted)
    with pytest.raises(KeyboardInterrupt):
        embedviz.knn(X, k=3, progress=False)
    assert _entries(_isolated_cache) == []


def test_interrupt_while_writing_leaves_no_file(monkeypatch: pytest.MonkeyPatch, _isolated_cache: Path) -> None:
    def half_written(fh, **arrays):
        fh.write(b"PK\x03\x04 partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(cache.np, "savez", half_written)
    with pytest.raises(KeyboardInterrupt):
        cache.save("demo", "ab" * 20, {"x": np.arange(3)})
    assert _entries(_isolated_cache) == []


def test_corrupt_entry_is_recomputed(_isolated_cache: Path) -> None:
    key = cache.cache_key("demo", data=[np.arange(4)], params={"p": 1}, version=1)
    path = cache.save("demo", key, {"x": np.arange(4)})
    path.write_bytes(b"not a zip file")
    computed = cache.cached_call("demo", data=[np.arange(4)], params={"p": 1}, version=1,
                                 compute=lambda: {"x": np.arange(4) * 2})
    assert computed["x"].tolist() == [0, 2, 4, 6]
    assert cache.load("demo", key)["x"].tolist() == [0, 2, 4, 6]


@pytest.mark.parametrize("damage", ["truncated", "bit-flipped"])
def test_a_damaged_zip_entry_is_recomputed(_isolated_cache: Path, damage: str) -> None:
    data, params = [np.arange(4)], {"p": 2}
    key = cache.cache_key("demo", data=data, params=params, version=1)
    path = cache.save("demo", key, {"x": np.arange(1000.0)})
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2] if damage == "truncated"
                     else raw[:200] + bytes([raw[200] ^ 0xFF]) + raw[201:])
    for _ in range(2):  # recomputed once, then served from the rewritten entry
        computed = cache.cached_call("demo", data=data, params=params, version=1,
                                     compute=lambda: {"x": np.arange(3.0)})
        assert computed["x"].tolist() == [0.0, 1.0, 2.0]


def test_entries_refuse_pickles(_isolated_cache: Path) -> None:
    key = "cd" * 20
    path = cache.entry_path("demo", key)
    path.parent.mkdir(parents=True)
    np.savez(path, x=np.array([{"a": 1}], dtype=object))
    assert cache.load("demo", key) is None  # object arrays need pickle: treated as unreadable
    assert not path.exists()


def test_folder_is_configurable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cache.cache_dir() == tmp_path / "embedviz-cache"  # from EMBEDVIZ_CACHE_DIR
    cache.set_cache_dir(tmp_path / "elsewhere")
    try:
        cache.cached_call("demo", data=["x"], params={}, version=1,
                          compute=lambda: {"v": np.ones(2)})
        assert _entries(tmp_path / "elsewhere")
    finally:
        cache.set_cache_dir(None)
    monkeypatch.setenv("EMBEDVIZ_CACHE", "0")
    calls = []
    for _ in range(2):
        cache.cached_call("demo", data=["y"], params={}, version=1,
                          compute=lambda: calls.append(1) or {"v": np.ones(1)})
    assert len(calls) == 2


def test_key_depends_on_data_type_and_params() -> None:
    def key(func: str, data: list, **params: int) -> str:
        return cache.cache_key(func, data=data, params=params, version=1)

    base = key("f", [np.zeros(3, np.float32)], k=1)
    assert base != key("f", [np.zeros(3, np.float64)], k=1)
    assert base != key("f", [np.zeros((1, 3), np.float32)], k=1)
    assert base != key("f", [np.zeros(3, np.float32)], k=2)
    assert base != key("g", [np.zeros(3, np.float32)], k=1)
    assert key("f", [["ab", "c"]]) != key("f", [["a", "bc"]])


def test_a_changed_algorithm_version_misses(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = knn_mod._exact_graph
    monkeypatch.setattr(knn_mod, "_exact_graph", lambda *a: calls.append(1) or real(*a))
    X = np.random.default_rng(3).normal(size=(120, 8)).astype(np.float32)
    embedviz.knn(X, k=5, progress=False)
    embedviz.knn(X, k=5, progress=False)
    assert len(calls) == 1
    monkeypatch.setattr(knn_mod, "CACHE_VERSION", knn_mod.CACHE_VERSION + 1)  # algorithm changed
    embedviz.knn(X, k=5, progress=False)
    assert len(calls) == 2
    key = cache.cache_key("f", data=["x"], params={}, version=1)
    assert key != cache.cache_key("f", data=["x"], params={}, version=2)
    with pytest.raises(TypeError, match="algorithm version"):
        cache.cache_key("f", data=["x"], params={}, version="1")  # type: ignore[arg-type]


def _store(name: str, size: int) -> Path:
    return cache.save("demo", cache.cache_key("demo", data=[name], params={}, version=1),
                      {"x": np.zeros(size, np.uint8)})


def test_the_size_cap_evicts_the_least_recently_used(_isolated_cache: Path) -> None:
    import os

    a, b, c = (_store(name, 10_000) for name in "abc")
    for age, path in zip((30, 20, 10), (a, b, c), strict=True):  # written 30, 20 and 10 s ago
        t = path.stat().st_mtime_ns - age * 10**9
        os.utime(path, ns=(t, t))
    key_a = cache.cache_key("demo", data=["a"], params={}, version=1)
    assert cache.load("demo", key_a) is not None  # reading a makes b the least recently used
    size = a.stat().st_size
    embedviz.config.cache_max_gb = 3.5 * size / 1e9  # room for three entries
    try:
        cache.cached_call("demo", data=["d"], params={}, version=1,
                          compute=lambda: {"x": np.zeros(10_000, np.uint8)})
    finally:
        embedviz.config.cache_max_gb = None
    assert not b.exists() and a.exists() and c.exists()
    info = embedviz.cache_info()
    assert info["entries"] == 3 and info["functions"]["demo"]["entries"] == 3
    assert info["bytes"] == sum(p.stat().st_size for p in _entries(_isolated_cache))


def test_cap_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMBEDVIZ_CACHE_MAX_GB", "0.5")
    assert embedviz.cache_info()["max_bytes"] == 500_000_000
    monkeypatch.setenv("EMBEDVIZ_CACHE_MAX_GB", "lots")
    with pytest.raises(ValueError, match="EMBEDVIZ_CACHE_MAX_GB"):
        embedviz.cache_info()


def test_clear_cache_deletes_entries_only(_isolated_cache: Path) -> None:
    _store("a", 10)
    _store("b", 10)
    mine = _isolated_cache / "notes.txt"  # a file embedviz did not write stays
    mine.write_text("keep me")
    assert embedviz.clear_cache() == 2
    assert embedviz.cache_info()["entries"] == 0
    assert _entries(_isolated_cache) == [mine]
