"""The retrain's GPU-only paths forced to fail on the CPU, pretend Macs and CUDA boxes, and
no process-wide state (threads, the global RNG) changed by a fit."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import embedviz.compute.device as device_mod
import embedviz.learn.adapter as adapter_mod
from embedviz.learn import Retrainer
from embedviz.learn.adapter import Adapter, AdapterTask

from .conftest import make_blobs


@pytest.fixture(autouse=True)
def _fresh_notices():
    device_mod.reset_notices()
    yield
    device_mod.reset_notices()


def _notices(record: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in record if "embedviz:" in str(w.message)]


@pytest.fixture(scope="module")
def tasks():
    X, y = make_blobs(n_per=60, d=12, n_classes=3)
    rng = np.random.default_rng(0)
    out = []
    for _ in range(2):
        lab = np.sort(rng.choice(len(y), 30, replace=False))
        targets = np.eye(3, dtype=np.float32)[y[lab]]
        teacher = np.full((len(y), 3), 1 / 3, np.float32)
        out.append(AdapterTask(lab, targets, np.ones(30, np.float32), teacher))
    return X, out


def _fit(X, tasks, device: str = "cpu") -> list[np.ndarray]:
    adapters = Adapter(steps=40, batch_size=32, device=torch.device(device) if device != "mps"
                       else torch.device("mps"), seed=3).fit_many(X, tasks)
    return [a.predict_proba(X) for a in adapters]


def _graph_capture_fails(self, on_step) -> None:
    raise RuntimeError("CUDA error: operation not permitted when stream is capturing")


def test_graph_and_fused_optimiser_failing_give_the_plain_cpu_result(
        tasks, monkeypatch: pytest.MonkeyPatch) -> None:
    X, ts = tasks
    plain = _fit(X, ts)
    real_adamw = torch.optim.AdamW

    def adamw(params, **kw):
        if kw.get("fused") or kw.get("capturable"):  # built before the first step: in the try
            raise RuntimeError("`fused=True` requires all the params to be floating point "
                               "Tensors of supported devices")
        return real_adamw(params, **kw)

    monkeypatch.setattr(adapter_mod, "graphs_usable", lambda dev: True)  # the CUDA way first
    monkeypatch.setattr(adapter_mod, "fused_usable", lambda dev: True)
    monkeypatch.setattr(adapter_mod._StackTraining, "replay", _graph_capture_fails)
    monkeypatch.setattr(torch.optim, "AdamW", adamw)
    assert adapter_mod.training_ways(torch.device("cpu"), 40) == [
        (True, True), (False, True), (False, False)]
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        fallback = _fit(X, ts)
    notes = _notices(record)  # one notice per step that fell back, naming the step
    assert any("CUDA graph" in n for n in notes) and any("fused AdamW" in n for n in notes)
    for got, want in zip(fallback, plain, strict=True):
        np.testing.assert_array_equal(got, want)  # the same draws, the same optimiser


def test_graph_failing_falls_back_to_fused_eager(tasks, monkeypatch: pytest.MonkeyPatch) -> None:
    X, ts = tasks
    plain = _fit(X, ts)
    monkeypatch.setattr(adapter_mod, "graphs_usable", lambda dev: True)
    monkeypatch.setattr(adapter_mod, "fused_usable", lambda dev: True)
    monkeypatch.setattr(adapter_mod._StackTraining, "replay", _graph_capture_fails)
    with pytest.warns(RuntimeWarning, match="adapter with its CUDA graph failed"):
        fused = _fit(X, ts)  # torch has a fused AdamW on the CPU too: this one runs
    for got, want in zip(fused, plain, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-3)


def test_adapter_on_a_failing_mac_trains_on_the_cpu(tasks, monkeypatch) -> None:
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    X, ts = tasks
    with pytest.warns(RuntimeWarning, match=r"retrain \(adapter\) failed on mps"):
        on_mac = _fit(X, ts, "mps")
    for got, want in zip(on_mac, _fit(X, ts), strict=True):
        np.testing.assert_array_equal(got, want)


def test_retrainer_named_mps_runs_its_graph_work_on_the_cpu(lassoed, monkeypatch) -> None:
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    X, _, labels, groups, _ = lassoed
    seen: list[str] = []
    monkeypatch.setattr(device_mod, "step_starting", lambda step, dev: seen.append(f"{step}@{dev}"))
    with pytest.warns(RuntimeWarning, match="sparse operations do not run on mps"):
        mac = Retrainer(method="propagate", device="mps").fit(X, labels, groups=groups)
    assert "retrain@cpu" in seen and not any("mps" in s for s in seen)
    cpu = Retrainer(method="propagate", device="cpu").fit(X, labels, groups=groups)
    np.testing.assert_array_equal(mac.label_distributions_, cpu.label_distributions_)


def test_retrainer_on_a_failing_cuda_box_completes_on_the_cpu(lassoed, monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)

    def entering(step: str, dev: torch.device) -> None:
        if dev.type == "cuda":
            raise RuntimeError("CUDA error: an illegal memory access was encountered")

    monkeypatch.setattr(device_mod, "step_starting", entering)
    X, _, labels, groups, _ = lassoed
    with pytest.warns(RuntimeWarning, match=r"retrain failed on cuda:0 \(CUDA error"):
        model = Retrainer(adapter_steps=30).fit(X, labels, groups=groups)
    ref = Retrainer(adapter_steps=30, device="cpu").fit(X, labels, groups=groups)
    np.testing.assert_array_equal(model.label_distributions_, ref.label_distributions_)


def test_a_fit_leaves_threads_and_the_global_rng_alone(lassoed) -> None:
    X, _, labels, groups, _ = lassoed
    threads = torch.get_num_threads()
    torch.manual_seed(123)  # the test's own global state, which the fit must not touch
    state = torch.random.get_rng_state()
    first = Retrainer(method="adapter", adapter_steps=30, device="cpu").fit(
        X, labels, groups=groups)
    job = Retrainer(method="adapter", adapter_steps=30, device="cpu").fit_async(
        X, labels, groups=groups)
    second = job.result(timeout=300)
    assert torch.get_num_threads() == threads
    assert torch.equal(torch.random.get_rng_state(), state)
    # seeded generators only: the global RNG's state does not change the result
    torch.manual_seed(999)
    third = Retrainer(method="adapter", adapter_steps=30, device="cpu").fit(
        X, labels, groups=groups)
    np.testing.assert_array_equal(first.label_distributions_, second.label_distributions_)
    np.testing.assert_array_equal(first.label_distributions_, third.label_distributions_)
