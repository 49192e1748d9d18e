"""Scatter.save_html: one self-contained file, written whole or not at all."""
from __future__ import annotations

import base64
import json
import os
import re

import numpy as np
import pytest

from embedviz.widget import standalone
from embedviz.widget.scatter import Scatter


@pytest.fixture()
def w():
    rng = np.random.default_rng(0)
    return Scatter(rng.random((500, 2)), color=rng.integers(0, 3, 500),
                   tooltip=[f"<b>{i}</b>" for i in range(500)])


def _meta(text: str) -> dict:
    raw = re.search(r'<script type="application/json" id="evs-data">(.*?)</script>', text, re.S)
    return json.loads(raw.group(1))


def test_file_holds_bundle_and_binary_data_and_nothing_remote(w, tmp_path) -> None:
    path = w.save_html(tmp_path / "map.html", title="</script><b>t</b>")
    text = path.read_text()
    assert "http://" not in text.replace("http://www.w3.org", "") and "https://" not in text
    meta = _meta(text)
    xy = np.frombuffer(base64.b64decode(meta["buffers"][meta["channels"]["channels"]["xy"]
                                                        ["buffers"][0]]), dtype="<f4")
    np.testing.assert_array_equal(xy.reshape(-1, 2), w.xy)       # binary, exact
    assert meta["title"] == "</script><b>t</b>"                   # data stays data
    assert "<title>&lt;/script&gt;&lt;b&gt;t&lt;/b&gt;</title>" in text
    assert text.count("</script>") == 3                           # no data closes a tag


def test_existing_file_needs_overwrite_and_keeps_its_content(w, tmp_path) -> None:
    path = tmp_path / "map.html"
    path.write_text("mine")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        w.save_html(path)
    assert path.read_text() == "mine"
    w.save_html(path, overwrite=True)
    assert path.read_text().startswith("<!doctype html>")


def test_bad_paths_say_what_to_do_and_write_nothing(w, tmp_path, monkeypatch) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        w.save_html(tmp_path / "nope" / "map.html")
    with pytest.raises(ValueError, match=r"\.html"):
        w.save_html(tmp_path / "map.png")

    def broken(src: str, dst: str) -> None:
        raise OSError("disk full")
    monkeypatch.setattr(standalone.os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        w.save_html(tmp_path / "map.html")
    assert os.listdir(tmp_path) == []                             # no half file, no temp file


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root writes into read-only folders")
def test_unwritable_folder(w, tmp_path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(PermissionError, match="not writable"):
            w.save_html(folder / "map.html")
    finally:
        folder.chmod(0o755)
