"""The device policy on a CPU-only machine: pretend a Mac (MPS) or a CUDA box, make the
accelerator fail, and check each step falls back with one notice and the CPU's result.
Also: every GPU-only optimisation forced to fail, and no process-wide state changed."""
from __future__ import annotations

import threading
import warnings
from typing import Any

import numpy as np
import pytest
import torch

import embedviz
import embedviz.compute.device as device_mod
import embedviz.compute.embed as embed_mod
import embedviz.compute.knn_exact as knn_exact
import embedviz.compute.text_model as text_model


@pytest.fixture(autouse=True)
def _fresh_notices():
    device_mod.reset_notices()
    yield
    device_mod.reset_notices()


@pytest.fixture
def mac(monkeypatch: pytest.MonkeyPatch) -> None:
    """MPS reported available; every op on it fails as torch's CPU build makes it fail
    (RuntimeError / NotImplementedError), like an op MPS does not implement."""
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)


def _notices(record: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in record if "embedviz:" in str(w.message)]


def test_auto_picks_per_family_and_sparse_never_goes_to_mps(mac) -> None:
    assert device_mod.device_for("dense").type == "mps"
    assert device_mod.device_for("adapter").type == "mps"
    assert device_mod.device_for("sparse").type == "cpu"
    assert device_mod.device_for("umap").type == "cpu"
    with pytest.warns(RuntimeWarning, match="sparse operations do not run on mps"):
        assert device_mod.device_for("sparse", "mps").type == "cpu"  # named: said, then CPU
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        device_mod.device_for("dense", "cuda")
    with pytest.raises(ValueError, match="Unknown operation family"):
        device_mod.device_for("graphs")


def test_a_failing_accelerator_step_reruns_on_the_cpu_once_noticed(mac) -> None:
    def total(dev: torch.device) -> float:
        return float(torch.arange(4.0, device=dev).sum())

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        assert device_mod.on_device("dense", "auto", total, step="demo") == 6.0
        assert device_mod.on_device("dense", "auto", total, step="demo") == 6.0
    notes = _notices(record)
    assert len(notes) == 1 and "demo failed on mps" in notes[0] and "ran on the CPU" in notes[0]

    def bad_input(dev: torch.device) -> None:
        raise ValueError("k must be positive")

    with pytest.raises(ValueError, match="k must be positive"):  # not an accelerator failure
        device_mod.on_device("dense", "auto", bad_input, step="demo")


def test_knn_reduce_cluster_on_a_failing_mac_give_the_cpu_results(mac) -> None:
    X = np.random.default_rng(0).normal(size=(150, 12)).astype(np.float32)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        graph = embedviz.knn(X, k=5, progress=False, cache=False)
        xy = embedviz.reduce(X, method="pca", progress=False, cache=False)
        labels = embedviz.cluster(xy, n_clusters=3, cache=False).labels
    notes = " | ".join(_notices(record))
    assert "knn failed on mps" in notes and "pca) failed on mps" in notes
    assert "k-means) failed on mps" in notes
    ref = embedviz.knn(X, k=5, device="cpu", progress=False, cache=False)
    np.testing.assert_array_equal(graph.indices, ref.indices)
    np.testing.assert_array_equal(xy, embedviz.reduce(X, method="pca", device="cpu",
                                                      progress=False, cache=False))
    np.testing.assert_array_equal(labels, embedviz.cluster(xy, n_clusters=3, device="cpu",
                                                           cache=False).labels)


def test_pretend_cuda_out_of_memory_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    seen: list[str] = []

    def entering(step: str, dev: torch.device) -> None:
        seen.append(f"{step}@{dev}")
        if dev.type == "cuda":
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(device_mod, "step_starting", entering)
    X = np.random.default_rng(1).normal(size=(100, 6)).astype(np.float32)
    with pytest.warns(RuntimeWarning, match=r"knn failed on cuda:0 \(CUDA out of memory"):
        graph = embedviz.knn(X, k=4, progress=False, cache=False)
    assert seen == ["knn@cuda:0", "knn@cpu"]
    ref = embedviz.knn(X, k=4, device="cpu", progress=False, cache=False)
    np.testing.assert_array_equal(graph.indices, ref.indices)


def test_fp16_scoring_failure_gives_the_float32_search(monkeypatch: pytest.MonkeyPatch) -> None:
    X = np.random.default_rng(2).normal(size=(300, 16)).astype(np.float32)
    ref = embedviz.knn(X, k=7, device="cpu", progress=False, cache=False)
    real = knn_exact._block_candidates

    def no_half_kernels(score_data: torch.Tensor, *args: Any) -> torch.Tensor:
        if score_data.dtype == torch.float16:
            raise RuntimeError('"addmm_impl" not implemented for \'Half\'')
        return real(score_data, *args)

    monkeypatch.setattr(knn_exact, "low_precision_scores", lambda dev: True)  # the GPU path
    monkeypatch.setattr(knn_exact, "_block_candidates", no_half_kernels)
    with pytest.warns(RuntimeWarning, match="half-precision kNN scoring failed on cpu"):
        graph = embedviz.knn(X, k=7, device="cpu", progress=False, cache=False)
    np.testing.assert_array_equal(graph.indices, ref.indices)
    np.testing.assert_allclose(graph.distances, ref.distances, atol=1e-6)


class _Net(torch.nn.Module):
    """A tiny image model whose half-precision (autocast) run fails, as on a GPU without
    fp16 kernels for one of its ops."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = torch.nn.Linear(3 * 4 * 4, 5)
        with torch.no_grad():
            gen = torch.Generator().manual_seed(0)
            self.proj.weight.copy_(torch.randn(self.proj.weight.shape, generator=gen))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.is_autocast_enabled(x.device.type):
            raise RuntimeError("no fp16 kernel for this op")
        return self.proj(x.flatten(1))


def test_fp16_embedding_failure_gives_the_float32_result(monkeypatch: pytest.MonkeyPatch) -> None:
    images = np.random.default_rng(3).integers(0, 256, size=(6, 4, 4, 3), dtype=np.uint8)
    net = _Net()
    ref = embedviz.embed(images, model=net, device="cpu", progress=False)
    monkeypatch.setattr(embed_mod, "fp16_usable", lambda dev: True)
    with pytest.warns(RuntimeWarning, match="half-precision embedding failed on cpu"):
        out = embedviz.embed(images, model=net, device="cpu", half=True, progress=False)
    np.testing.assert_array_equal(out, ref)


def test_fp16_text_model_failure_gives_the_float32_vectors(monkeypatch) -> None:
    texts = [f"Sentence number {i} about {w}." for i, w in enumerate(["cats", "rain", "maps"] * 4)]
    ref = embedviz.embed(texts, device="cpu", progress=False, cache=False)
    real = text_model.load_text_model
    halves: list[bool] = []

    def loader(path, dev, *, half: bool, progress: bool = False):
        halves.append(half)
        if half:
            raise NotImplementedError("'LayerNormKernelImpl' not implemented for 'Half'")
        return real(path, dev, half=half, progress=progress)

    monkeypatch.setattr(embed_mod, "fp16_usable", lambda dev: True)
    monkeypatch.setattr(embed_mod, "load_text_model", loader)
    with pytest.warns(RuntimeWarning, match="half-precision embedding failed"):
        out = embedviz.embed(texts, device="cpu", progress=False, cache=False)
    assert halves == [True, False]
    np.testing.assert_allclose(out, ref, atol=1e-6)


class _FakeST:
    max_seq_length = 128

    def __getitem__(self, i: int) -> Any:
        class Config:
            hidden_size, num_attention_heads = 384, 12

        class Auto:
            config = Config()

        class First:
            auto_model = Auto()

        return First()


def test_batch_size_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    cuda = torch.device("cuda", 0)
    monkeypatch.setattr(text_model, "free_memory", lambda dev: 8 * 2**30)
    probed = text_model.auto_batch_size(_FakeST(), cuda)
    assert 64 < probed <= 4096
    monkeypatch.setattr(text_model, "free_memory", lambda dev: 2 * 2**30)
    assert text_model.auto_batch_size(_FakeST(), cuda) < probed  # less memory, smaller batches

    def unreadable(dev: torch.device) -> int:
        raise RuntimeError("CUDA error: an illegal memory access was encountered")

    monkeypatch.setattr(text_model, "free_memory", unreadable)
    with pytest.warns(RuntimeWarning, match="free memory on cuda:0 could not be read"):
        assert text_model.auto_batch_size(_FakeST(), cuda) == 64
    assert text_model.auto_batch_size(_FakeST(), torch.device("cpu")) == 64
    embedviz.config.batch_size = 32
    assert text_model.auto_batch_size(_FakeST(), cuda) == 32


def test_explicit_cpu_touches_no_other_device(mac, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    monkeypatch.setattr(device_mod, "step_starting", lambda step, dev: seen.append(dev.type))
    X = np.random.default_rng(4).normal(size=(120, 8)).astype(np.float32)
    graph = embedviz.knn(X, k=5, device="cpu", progress=False, cache=False)
    xy = embedviz.reduce(X, knn=graph, method="umap-torch", device="cpu", n_epochs=10,
                         random_state=0, progress=False, cache=False)
    embedviz.cluster(xy, n_clusters=3, device="cpu", cache=False)
    assert seen and set(seen) == {"cpu"}


def test_reduce_and_cluster_leave_threads_and_global_rng_alone() -> None:
    X = np.random.default_rng(5).normal(size=(200, 8)).astype(np.float32)
    threads, rng = torch.get_num_threads(), torch.random.get_rng_state()
    np_state = np.random.get_state()[1].copy()
    xy = embedviz.reduce(X, method="umap-torch", device="cpu", n_epochs=10, progress=False,
                         cache=False)  # unseeded: still no global RNG
    embedviz.reduce(X, method="umap-learn", random_state=0, n_epochs=10, progress=False,
                    cache=False)
    embedviz.cluster(xy, n_clusters=4, random_state=None, cache=False)
    embedviz.cluster(xy, method="hdbscan", cache=False)
    assert torch.get_num_threads() == threads
    assert torch.equal(torch.random.get_rng_state(), rng)
    assert np.array_equal(np.random.get_state()[1], np_state)


def test_thread_limits_apply_on_the_main_thread_only() -> None:
    cpu = torch.device("cpu")
    before = torch.get_num_threads()
    inside: list[int] = []

    def worker() -> None:
        with device_mod.cpu_threads(cpu, 1):
            inside.append(torch.get_num_threads())

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert torch.get_num_threads() == before
    if before > 1:  # a worker leaves the process-wide count as it is
        assert inside == [torch.get_num_threads()]
        with device_mod.cpu_threads(cpu, 1):
            assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
