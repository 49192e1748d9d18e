"""embedviz.config: machine-derived choices, taken with 2 and with 32 reported cores."""
from __future__ import annotations

import math

import pytest
import torch

import embedviz
import embedviz.compute.device as device_mod
import embedviz.settings as settings
from embedviz.compute import knn as knn_mod
from embedviz.compute import reduce as reduce_mod


@pytest.fixture(params=[2, 32])
def cores(request, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(settings, "detected_cores", lambda: request.param)
    for name in settings._ENV.values():
        monkeypatch.delenv(name, raising=False)
    return request.param


def test_threads_follow_the_cores(cores: int) -> None:
    cfg = embedviz.config
    torch_threads = torch.get_num_threads()
    assert cfg.cores == cores and cfg.threads == cores
    assert cfg.torch_threads == cores
    cpu = torch.device("cpu")
    with device_mod.small_work_threads(cpu, 10**9):  # large work: every core (at most torch's)
        assert torch.get_num_threads() == min(cores, torch_threads)
    with device_mod.small_work_threads(cpu, 10):  # small work: one thread
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == torch_threads
    plan = reduce_mod.choose_algorithm
    assert plan(100, device="cpu").threads == cores  # unseeded umap-learn: every thread
    assert plan(100, device="cpu", random_state=0).threads == 1  # seeded: one, to reproduce


def test_umap_choice_scales_with_umap_learn_threads(cores: int, monkeypatch) -> None:
    choose = reduce_mod.choose_algorithm
    assert embedviz.config.umap_torch_from == 10_000 * cores
    # 25,000 points unseeded: the torch UMAP beats umap-learn on 2 threads, not on 32
    info = choose(25_000, device="cpu")
    assert (info.method, info.algorithm) == (
        "umap", "umap-torch" if cores == 2 else "umap-learn")
    assert f"{10_000 * cores:,}" in info.reason  # the reason names the threshold it met
    assert info.init == ("pca" if cores == 2 else "spectral")
    # seeded umap-learn is single-threaded whatever the machine
    assert choose(15_000, device="cpu", random_state=0).algorithm == "umap-torch"
    assert choose(5_000, device="cpu", random_state=0).algorithm == "umap-learn"
    # an explicit choice holds at every size and core count
    for n in (100, 25_000, 1_000_000):
        for forced in ("umap-learn", "umap-torch"):
            assert choose(n, method=forced, device="cpu").algorithm == forced
    embedviz.config.umap_torch_from = 1_000  # the user's setting wins
    assert choose(1_500, device="cpu").algorithm == "umap-torch"
    assert choose(999, device="cpu").algorithm == "umap-learn"
    monkeypatch.setattr(reduce_mod, "device_for", lambda family, device: torch.device("cuda", 0))
    on_gpu = choose(500, random_state=0)
    assert (on_gpu.algorithm, on_gpu.device) == ("umap-torch", "cuda:0")


def test_exact_or_approximate_from_the_cpu_speed(cores: int) -> None:
    cpu = torch.device("cpu")
    embedviz.config.cpu_macs_per_s = 2e10 * cores  # a CPU whose speed grows with its cores
    chosen = knn_mod.choose_method("auto", 60_000, 384, cpu)
    approximate = ("faiss", "approx")  # FAISS where installed, else pynndescent
    assert chosen in (approximate if cores == 2 else ("exact",))
    assert knn_mod.choose_method("auto", 60_000, 384, torch.device("cuda", 0)) == "exact"


def test_settings_from_the_environment_and_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMBEDVIZ_THREADS", "3")
    monkeypatch.setenv("EMBEDVIZ_CORES", "5")
    assert embedviz.config.threads == 3 and embedviz.config.cores == 5
    embedviz.config.threads = 7  # an assignment beats the environment
    assert embedviz.config.threads == 7
    embedviz.config.threads = None  # back to the environment
    assert embedviz.config.threads == 3
    assert "threads=3" in repr(embedviz.config)
    monkeypatch.setenv("EMBEDVIZ_THREADS", "many")
    with pytest.raises(ValueError, match="EMBEDVIZ_THREADS='many' is not a positive integer"):
        _ = embedviz.config.threads
    with pytest.raises(ValueError, match="positive integer"):
        embedviz.config.torch_threads = 0
    with pytest.raises(ValueError, match="positive number"):
        embedviz.config.cache_max_gb = -1
    with pytest.raises(AttributeError, match="no setting 'thread'"):
        embedviz.config.thread = 2  # type: ignore[attr-defined]


def test_cpu_speed_is_measured() -> None:
    speed = settings.calibrate_cpu_macs_per_s(n=512, d=32)
    assert math.isfinite(speed) and speed > 1e6
    embedviz.config.cpu_macs_per_s = 1e9  # a setting replaces the measurement
    assert knn_mod.exact_seconds_cpu(1000, 100) == pytest.approx(0.1)
