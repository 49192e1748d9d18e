"""Helpers for browser tests in real JupyterLab (see tests/e2e/conftest.py for the fixtures).

Everything drives JupyterLab through ``window.jupyterapp`` (the server runs with
``--LabApp.expose_app_in_browser=True``) and reads answers from the notebook's own kernel.
"""
from __future__ import annotations

import contextlib
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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from playwright.sync_api import Page

T = TypeVar("T")

#: Flags for Debian's chromium on a machine without a GPU (software WebGL2 via SwiftShader).
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
]
CHROMIUM = "/usr/bin/chromium"

#: Quiet JupyterLab user settings: no news, no update checks, no autosave; widget state is
#: saved into notebooks (the harshest case for notebook size).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
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
    """Stop the server we started, by its PID: SIGTERM, then SIGKILL after 10 s."""
    if proc.poll() is not None:
        return
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@contextlib.contextmanager
def running_lab(repo: Path, *, startup_s: float = 90) -> Iterator[LabServer]:
    """Start a quiet JupyterLab on a free 127.0.0.1 port serving a temp folder under
    ``repo/.tmp``; HOME, TMPDIR, settings and workspaces live there too."""
    (repo / ".tmp").mkdir(exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="lab-", dir=repo / ".tmp"))
    notebooks, settings, home = base / "notebooks", base / "settings", base / "home"
    for d in (notebooks, settings, home, base / "tmp", base / "workspaces"):
        d.mkdir()
    for rel, value in LAB_SETTINGS.items():
        path = settings / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    env = {**os.environ, "HOME": str(home), "TMPDIR": str(base / "tmp"),
           "JUPYTERLAB_SETTINGS_DIR": str(settings),
           "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
           "PYTHONPATH": os.pathsep.join([str(repo), os.environ.get("PYTHONPATH", "")]),
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    port = _free_port()
    with open(base / "lab.log", "wb") as log:
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
            deadline = time.time() + startup_s
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


_WAIT_KERNEL_IDLE = """async (timeoutMs) => {
  const nb = window.jupyterapp.shell.currentWidget;
  await nb.context.ready; await nb.sessionContext.ready;
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    const k = nb.sessionContext.session && nb.sessionContext.session.kernel;
    if (k && k.status === 'idle') return 'idle';
    await new Promise(r => setTimeout(r, 100));
  }
  return 'timeout';
}"""

_ALL_CELLS_RAN = """() => {
  const nb = window.jupyterapp.shell.currentWidget.content;
  const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const code = nb.widgets.filter(c => c.model.type === 'code');
  return k.status === 'idle' && code.every(c => c.model.executionCount !== null
      && !c.node.querySelector('.jp-InputArea-prompt').textContent.includes('*'));
}"""

_EXECUTE = """async ([code, timeoutMs]) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const future = kernel.requestExecute({code, store_history: false, silent: false});
  const out = [];
  let error = null;
  future.onIOPub = (msg) => {
    const t = msg.header.msg_type, c = msg.content;
    if (t === 'stream') out.push(c.text);
    else if (t === 'execute_result' || t === 'display_data') out.push((c.data || {})['text/plain'] || '');
    else if (t === 'error') error = c.ename + ': ' + c.evalue;
  };
  const timer = new Promise((_, reject) => setTimeout(() => reject(new Error('kernel timeout')), timeoutMs));
  await Promise.race([future.done, timer]);
  return {out: out.join(''), error};
}"""


def open_notebook(page: Page, base_url: str, name: str, *, timeout_ms: int = 90_000) -> None:
    """Open ``name`` (relative to the server's root) in JupyterLab and wait for an idle kernel."""
    page.goto(f"{base_url}/lab/tree/{name}?reset", wait_until="domcontentloaded")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=timeout_ms)
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=timeout_ms)
    page.wait_for_function(
        "() => { const w = window.jupyterapp.shell.currentWidget;"
        " return w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel; }",
        timeout=timeout_ms)
    state = page.evaluate(_WAIT_KERNEL_IDLE, timeout_ms)
    assert state == "idle", f"kernel did not become idle: {state}"


def run_all(page: Page, *, timeout_ms: int = 180_000) -> None:
    """Run every cell of the current notebook and wait until all have executed."""
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_timeout(300)
    page.wait_for_function(_ALL_CELLS_RAN, timeout=timeout_ms, polling=250)
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
                          ).filter(has_text="Traceback")
    assert errors.count() == 0, errors.first.inner_text()


def kernel_exec(page: Page, code: str, *, timeout_ms: int = 60_000) -> str:
    """Run ``code`` in the current notebook's kernel (not in a cell); return its text output."""
    result: dict[str, Any] = page.evaluate(_EXECUTE, [code, timeout_ms])
    if result["error"]:
        raise AssertionError(f"kernel error: {result['error']}\n--- code ---\n{code}")
    return str(result["out"])


def kernel_json(page: Page, expression: str, *, timeout_ms: int = 60_000) -> Any:
    """Evaluate a Python expression in the kernel and return it via JSON."""
    out = kernel_exec(page, f"import json as _j; print('@@' + _j.dumps({expression}))",
                      timeout_ms=timeout_ms)
    return json.loads(out.split("@@", 1)[1])


def save_notebook(page: Page) -> None:
    """Save the current notebook (with widget state if the widget manager is set to)."""
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function(
        "() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=30_000)


def settle(page: Page, measure: Callable[[], T], done: Callable[[T], bool], *,
           timeout_ms: int = 15_000, every_ms: int = 250) -> T:
    """Measure until ``done(value)`` or the timeout; return the last value.

    Software WebGL on a busy CI machine paints when it can: a check of pixels or of the
    camera waits for what a person would see within ``timeout_ms`` rather than for a fixed
    sleep. The caller still asserts on the value, so a map that never changes fails.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    value = measure()
    while not done(value) and time.monotonic() < deadline:
        page.wait_for_timeout(every_ms)
        value = measure()
    return value
