"""Browser-test fixtures: one JupyterLab server per session, Debian chromium via Playwright.

* ``lab_server``: a quiet JupyterLab on a free 127.0.0.1 port (no token, no news, no update
  checks, no autosave) serving a temp folder under the repo's ``.tmp/``; ``HOME`` and
  ``TMPDIR`` point inside the repo. Copy notebooks in with ``lab_server.add_notebook(path)``.
* ``browser`` / ``page``: headless ``/usr/bin/chromium`` (Playwright's own download is never
  used); ``page.errors`` collects page errors and console errors.
Helpers to drive notebooks live in ``tests/e2e/lab.py``.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.lab import CHROMIUM, CHROMIUM_ARGS

REPO = Path(__file__).resolve().parents[2]

_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    # save widget state into notebooks, the harshest case for notebook size
    "@jupyter-widgets/jupyterlab-manager/plugin.jupyterlab-settings": {"saveState": True},
}


@dataclass
class LabServer:
    url: str
    notebook_dir: Path
    pid: int

    def add_notebook(self, source: str | Path, name: str | None = None) -> str:
        """Copy a notebook into the server's root; returns its name for ``open_notebook``."""
        target = self.notebook_dir / (name or Path(source).name)
        shutil.copyfile(source, target)
        return target.name


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def lab_server() -> Iterator[LabServer]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: apt-get install -y chromium (see TESTING.md)")
    (REPO / ".tmp").mkdir(exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="e2e-", dir=REPO / ".tmp"))
    notebooks, settings, home = base / "notebooks", base / "settings", base / "home"
    for d in (notebooks, settings, home, base / "tmp", base / "workspaces"):
        d.mkdir()
    for rel, value in _SETTINGS.items():
        path = settings / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    env = {**os.environ, "HOME": str(home), "TMPDIR": str(base / "tmp"),
           "JUPYTERLAB_SETTINGS_DIR": str(settings),
           "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    port = _free_port()
    log = open(base / "lab.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip", "127.0.0.1",
         "--port", str(port), "--ServerApp.port_retries=0", "--ServerApp.token=",
         "--ServerApp.password=", "--ServerApp.allow_root=True",
         f"--ServerApp.root_dir={notebooks}", "--LabApp.expose_app_in_browser=True",
         "--LabApp.news_url=None",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(base))
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited early; see {base / 'lab.log'}")
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=2).read()
                break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError(f"jupyter lab did not start; see {base / 'lab.log'}") from None
                time.sleep(0.3)
        yield LabServer(url=url, notebook_dir=notebooks, pid=proc.pid)
    finally:
        _stop(proc)
        log.close()


@pytest.fixture(scope="session")
def browser(lab_server: LabServer):  # noqa: ANN201 - playwright Browser
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def new_page(browser, width: int = 1280, height: int = 900):  # noqa: ANN001, ANN201
    """A fresh page whose ``errors`` list collects page errors and console errors."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    return page


@pytest.fixture()
def page(browser):  # noqa: ANN001, ANN201
    p = new_page(browser)
    yield p
    p.close()
