"""Helpers for browser tests in marimo: run an app headless (``marimo run``) on a free port.

marimo renders anywidgets inside a shadow root; Playwright's CSS selectors pierce open
shadow roots, so the same selectors as in JupyterLab work. Kernel-side results are written
to files by the app itself and read back by the test.
"""
from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.lab import _free_port, _stop


@dataclass
class MarimoApp:
    url: str
    work: Path
    pid: int


@contextlib.contextmanager
def running_marimo(repo: Path, app_source: str, *, startup_s: float = 90,
                   mode: str = "run") -> Iterator[MarimoApp]:
    """Write ``app_source`` (``WORK`` replaced by a temp folder's repr) to ``app.py`` and serve
    it with ``marimo run`` (or ``marimo edit``) on 127.0.0.1; stopped by its PID after."""
    (repo / ".tmp").mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="marimo-", dir=repo / ".tmp"))
    app = work / "app.py"
    app.write_text(app_source.replace("WORK", repr(str(work))))
    home = work / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "TMPDIR": str(work),
           "PYTHONPATH": os.pathsep.join([str(repo), os.environ.get("PYTHONPATH", "")]),
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    port = _free_port()
    with open(work / "marimo.log", "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "marimo", mode, str(app), "--headless", "--host",
             "127.0.0.1", "--port", str(port), "--no-token"],
            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(work))
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + startup_s
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"marimo exited early; see {work / 'marimo.log'}")
                try:
                    urllib.request.urlopen(f"{url}/", timeout=2).read()
                    break
                except OSError:
                    if time.time() > deadline:
                        raise RuntimeError(f"marimo did not start; see {work / 'marimo.log'}"
                                           ) from None
                    time.sleep(0.3)
            yield MarimoApp(url=url, work=work, pid=proc.pid)
        finally:
            _stop(proc)


def wait_for_file(path: Path, *, timeout_s: float = 60, check=None) -> str:  # noqa: ANN001
    """The text of ``path`` once it exists (and ``check(text)`` holds); fails after the timeout.

    The app writes its files with ``write_text``, which is not atomic: a ``.json`` file is
    ready only once it parses (read half-written, it is empty or cut short)."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if path.exists():
            text = path.read_text()
            if path.suffix == ".json":
                try:
                    json.loads(text)
                except ValueError:
                    time.sleep(0.05)
                    continue
            if check is None or check(text):
                return text
        time.sleep(0.25)
    raise AssertionError(f"{path.name} not written within {timeout_s} s")
