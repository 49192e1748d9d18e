"""The Explorer on a pretend Mac and a pretend CUDA box (the test needs neither): the map is
built and a retrain completes with a notice when the accelerator fails; device="cpu" keeps
every step on the CPU; a retrain leaves torch's threads, its global RNG and the cache as they
were; widget updates from the retrain's worker thread never interleave on ipykernel's IOPub."""
from __future__ import annotations

import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import embedviz as ev
import embedviz.compute.device as device_mod
from embedviz import cache

from .conftest import blob

WAIT = 300


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("EMBEDVIZ_CACHE_DIR", str(tmp_path / "cache"))
    cache.set_cache_dir(None)
    device_mod.reset_notices()
    yield
    device_mod.reset_notices()


def _labelled_explorer(digits, tmp_path: Path, **kw) -> ev.Explorer:
    ex = ev.Explorer(digits, embedding="pixels", image="image",
                     label_file=str(tmp_path / "l.embedviz.db"), progress=False, **kw)
    for digit, name in ((0, "zero"), (1, "one"), (7, "seven")):
        ex.label(blob(digits, digit, 30), name)
    return ex


def test_a_mac_whose_gpu_fails_builds_the_map_and_retrains(digits, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)  # every MPS op fails
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        ex = _labelled_explorer(digits, tmp_path, device="mps")
        assert ex.xy.shape == (len(digits), 2) and np.isfinite(ex.xy).all()
        ex.retrain(timeout=WAIT)
    notes = " | ".join(str(w.message) for w in record if "embedviz:" in str(w.message))
    assert "knn failed on mps" in notes  # the build: one short notice, then the CPU
    assert "sparse operations do not run on mps" in notes  # the retrain's graph work
    assert ex.predictions is not None and (ex.predictions.label == "zero").sum() > 100
    assert int(ex.labels.notna().sum()) == 90  # no label lost


def test_a_cuda_box_out_of_memory_builds_the_map_and_retrains(digits, tmp_path,
                                                              monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    tried: list[str] = []

    def entering(step: str, dev: torch.device) -> None:
        if dev.type == "cuda":  # every CUDA step runs out of memory at its start
            tried.append(step)
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 9.00 GiB")

    monkeypatch.setattr(device_mod, "step_starting", entering)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        ex = _labelled_explorer(digits, tmp_path)  # device="auto": CUDA here
        ex.retrain(timeout=WAIT)
    notes = [str(w.message) for w in record if "embedviz:" in str(w.message)]
    assert {"knn", "reduce (umap)", "retrain"} <= set(tried)
    oom = "embedviz: retrain failed on cuda:0 (CUDA out of memory"
    assert any(n.startswith(oom) for n in notes)
    assert len(notes) == len(set(tried))  # one notice per step and device, however often
    assert ex.predictions is not None and int(ex.labels.notna().sum()) == 90


def test_device_cpu_keeps_every_step_on_the_cpu(digits, tmp_path, monkeypatch) -> None:
    # accelerators everywhere: "auto" would use them, an explicit "cpu" must not
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    seen: list[tuple[str, str]] = []
    lock = threading.Lock()

    def entering(step: str, dev: torch.device) -> None:
        with lock:
            seen.append((step, dev.type))

    monkeypatch.setattr(device_mod, "step_starting", entering)
    ex = _labelled_explorer(digits, tmp_path, device="cpu")
    threads, rng = torch.get_num_threads(), torch.random.get_rng_state()
    entries = ev.cache_info()["entries"]
    ex.retrain(timeout=WAIT)
    assert ex.predictions is not None
    steps = {step for step, _ in seen}
    assert {"knn", "retrain", "retrain (adapter)", "relayout (umap)"} <= steps
    assert {dev for _, dev in seen} == {"cpu"}
    assert torch.get_num_threads() == threads
    assert torch.equal(torch.random.get_rng_state(), rng)
    assert ev.cache_info()["entries"] == entries  # a retrain's layout is never read again


def test_concurrent_comm_messages_do_not_interleave_on_iopub() -> None:
    """What makes updates from the retrain's worker safe: ipykernel serialises each message
    in the sending thread and its IOPub thread sends whole messages one at a time, in the
    order they were handed over."""
    import zmq
    from ipykernel.iostream import IOPubThread
    from jupyter_client.session import Session

    ctx = zmq.Context()
    pub, sub = ctx.socket(zmq.PUB), ctx.socket(zmq.SUB)
    pub.bind("inproc://embedviz-iopub-test")
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect("inproc://embedviz-iopub-test")
    io = IOPubThread(pub)
    io.start()
    session = Session(key=b"secret")
    try:
        while True:  # PUB drops messages until the subscription has arrived
            session.send(io.background_socket, "status", {"execution_state": "idle"})
            if sub.poll(100):
                break
        while sub.poll(200):
            sub.recv_multipart()
        n, blob = 150, "x" * 50_000  # large messages: many frames' worth of bytes each

        def send(who: str) -> None:
            for i in range(n):
                session.send(io.background_socket, "comm_msg",
                             {"comm_id": who, "data": {"i": i, "state": blob + who}})

        senders = [threading.Thread(target=send, args=(who,)) for who in ("worker", "kernel")]
        for t in senders:
            t.start()
        got: dict[str, list[int]] = {"worker": [], "kernel": []}
        while sum(map(len, got.values())) < 2 * n:
            assert sub.poll(10_000), "a message was lost"
            _, frames = session.feed_identities(sub.recv_multipart())
            msg = session.deserialize(frames)  # checks the HMAC: the frames are one message
            content = msg["content"]
            assert content["data"]["state"] == blob + content["comm_id"]
            got[content["comm_id"]].append(content["data"]["i"])
        for t in senders:
            t.join()
        assert got == {"worker": list(range(n)), "kernel": list(range(n))}  # each in order
    finally:
        io.stop()
        io.close()
        sub.close()
        ctx.term()
