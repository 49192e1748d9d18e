"""The columns a user picks with ``preview=[...]`` show beside each point's text or image (as
text), the map's tooltip says what a point is, and a wrong column fails before any compute."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import embedviz as ev
from embedviz.explorer.context import MIN_TOOLTIP_CHARS, TOOLTIP_CHARS, tooltips
from embedviz.explorer.dataset import resolve_data

from .conftest import front_end_hovers, front_end_selects


def _docs(n: int = 60) -> pd.DataFrame:
    words = ["cats", "dogs", "fish", "birds"]
    return pd.DataFrame({
        "text": [f"Document {i} is a long text about {words[i % 4]} " + "and more words " * 8
                 for i in range(n)],
        "name": [f"<b>item_{i}</b>" for i in range(n)],  # markup stays text
        "package": [["numpy", "scipy"][i % 2] for i in range(n)],
        "score": np.linspace(0, 1, n),
    })


def _vectors(n: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    return (rng.normal(size=(n, 8)) + np.repeat(np.eye(4, 8) * 5, n // 4, axis=0)).astype(np.float32)


def _tooltip(ex) -> list[str] | None:
    return ex.scatter.tooltips


@pytest.fixture()
def docs_ex(tmp_path):
    docs = _docs()
    return ev.Explorer(docs, embedding=_vectors(len(docs)), text="text",
                       preview=["name", "package"], label_file=str(tmp_path / "d.embedviz.db"),
                       map_method="pca", progress=False)


def test_unknown_preview_columns_are_refused_before_any_compute(tmp_path, monkeypatch):
    import embedviz.compute.embed as embed_mod
    import embedviz.compute.knn as knn_mod

    ran: list[str] = []
    monkeypatch.setattr(embed_mod, "embed", lambda *a, **k: ran.append("embed"))
    monkeypatch.setattr(knn_mod, "knn", lambda *a, **k: ran.append("knn"))
    with pytest.raises(KeyError) as err:
        ev.Explorer(_docs(), text="text", preview=["name", "pakage", "author"],
                    label_file=str(tmp_path / "x.embedviz.db"))
    message = str(err.value)
    assert "'pakage'" in message and "'author'" in message and "'name'" not in message.split(";")[0]
    assert "['text', 'name', 'package', 'score']" in message  # the columns to pick from
    assert ran == []
    with pytest.raises(TypeError, match=r"preview= takes a list of column names"):
        ev.Explorer(_docs(), text="text", preview=3, label_file=str(tmp_path / "y.embedviz.db"))
    assert ran == []


def test_preview_and_selection_show_the_picked_columns_as_text(docs_ex):
    front_end_hovers(docs_ex.scatter, 7)
    item = docs_ex.widget.preview["item"]
    assert item["index"] == 7 and item["text"].startswith("Document 7 is")
    # in the order given, the value verbatim: markup is not interpreted (the browser sets it
    # with textContent), and not escaped either (it would show as &lt;b&gt;)
    assert item["fields"] == [["name", "<b>item_7</b>"], ["package", "scipy"]]
    front_end_selects(docs_ex.scatter, [2, 3, 4])
    rows = docs_ex.widget.selected["items"]
    assert [r["fields"] for r in rows] == [[["name", f"<b>item_{i}</b>"], ["package", p]]
                                           for i, p in ((2, "numpy"), (3, "scipy"), (4, "numpy"))]


def test_the_tooltip_is_a_short_text_not_a_row_number(docs_ex):
    tips = _tooltip(docs_ex)
    assert tips is not None and len(tips) == 60
    assert tips[5].startswith("<b>item_5</b>: Document 5 is a long text about dogs")
    assert all(len(t) <= TOOLTIP_CHARS for t in tips) and tips[5].endswith("…")


def test_text_data_shows_no_extra_columns_by_default(tmp_path):
    docs = _docs()
    ex = ev.Explorer(docs, embedding=_vectors(len(docs)), text="text",
                     label_file=str(tmp_path / "t.embedviz.db"), map_method="pca", progress=False)
    front_end_hovers(ex.scatter, 1)
    assert "fields" not in ex.widget.preview["item"]
    assert _tooltip(ex)[1].startswith("Document 1 is a long text about dogs")


def test_images_show_their_single_value_columns_by_default(digits, tmp_path):
    ex = ev.Explorer(digits, embedding="pixels", image="image", map_method="pca",
                     label_file=str(tmp_path / "g.embedviz.db"), progress=False)
    front_end_hovers(ex.scatter, 3)
    # the true digit beside the thumbnail; not the image, not the 64 pixel values
    assert ex.widget.preview["item"]["fields"] == [["digit", str(digits.digit.iat[3])]]
    assert _tooltip(ex)[3] == f"digit: {digits.digit.iat[3]}"
    none = ev.Explorer(digits, embedding="pixels", image="image", map_method="pca", preview=[],
                       label_file=str(tmp_path / "h.embedviz.db"), progress=False)
    front_end_hovers(none.scatter, 3)
    assert "fields" not in none.widget.preview["item"] and _tooltip(none) is None


def test_tooltips_stay_within_their_budget_and_give_way_to_the_preview():
    n = 40
    X = _vectors(n)
    ascii_ = resolve_data(pd.DataFrame({"t": ["word " * 40] * n}), embedding=X, text="t")
    tips = tooltips(ascii_, [])
    assert tips is not None and all(len(t) == TOOLTIP_CHARS for t in tips)
    # three UTF-8 bytes a character: cut shorter to stay within the budget, still readable
    cjk = resolve_data(pd.DataFrame({"t": ["地図の点" * 40] * n}), embedding=X, text="t")
    tips = tooltips(cjk, [])
    assert tips is not None and MIN_TOOLTIP_CHARS <= len(tips[0]) < TOOLTIP_CHARS
    assert sum(len(t.encode()) + 4 for t in tips) <= 12 * 8 * n  # TOOLTIP_BYTES_PER_XY_BYTE
    # four bytes a character: too short to say anything, so none (hover shows the preview)
    emoji = resolve_data(pd.DataFrame({"t": ["📍" * 160] * n}), embedding=X, text="t")
    assert tooltips(emoji, []) is None


def test_a_saved_page_shows_the_picked_columns_in_its_previews(docs_ex):
    from embedviz.explorer.share import explorer_page

    page = explorer_page(docs_ex, title=None, max_images=0)
    # JSON in the page: a newline per column, "</" escaped so no value closes the script tag
    assert "#2 \\u00b7 unlabelled\\nname: <b>item_2<\\/b>\\npackage: numpy\\nDocument 2" in page
