"""Browser-test fixtures: one JupyterLab server per session, Debian chromium via Playwright.

* ``lab_server``: a quiet JupyterLab on a free 127.0.0.1 port (no token, no news, no update
  checks, no autosave) serving a temp folder under the repo's ``.tmp/``; ``HOME`` and
  ``TMPDIR`` point inside the repo. Copy notebooks in with ``lab_server.add_notebook(path)``.
* ``browser`` / ``page``: headless ``/usr/bin/chromium`` (Playwright's own download is never
  used); ``page.errors`` collects page errors and console errors.
Helpers to drive notebooks live in ``tests/e2e/lab.py``.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.lab import CHROMIUM, CHROMIUM_ARGS, LabServer, running_lab

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def lab_server() -> Iterator[LabServer]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: apt-get install -y chromium (bash .ci/test installs it)")
    with running_lab(REPO) as server:
        yield server


@pytest.fixture(scope="session")
def browser():  # noqa: ANN201 - playwright Browser
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: apt-get install -y chromium (bash .ci/test installs it)")

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
