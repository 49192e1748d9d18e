"""search(): rows ranked by meaning through the data's own encoder, or by substring."""
from __future__ import annotations

import numpy as np
import pytest

import embedviz
from embedviz.compute.search import parse_query, search

TEXTS = ["Fast Fourier transform of a signal", "sparse matrix product", "kernel density estimate",
         "inverse fourier transform", "dense matrix inverse"]


def _toy_encoder(batch: list[str]) -> np.ndarray:
    """Three made-up axes: fourier-ness, matrix-ness, density-ness."""
    out = []
    for t in batch:
        t = t.lower()
        out.append([("fourier" in t) + ("signal" in t), ("matrix" in t) + 0.5 * ("inverse" in t),
                    ("density" in t) + 0.1])
    return np.asarray(out, dtype=np.float32)


def test_meaning_ranks_rows_by_cosine_to_the_embedded_query() -> None:
    X = _toy_encoder(TEXTS)
    got = search("spectrum of a signal", X, encoder=_toy_encoder, k=3)
    assert got.dtype == np.int64
    assert got[0] == 0 and set(got[:2]) == {0, 3}  # the two fourier rows first
    assert search("matrix", X, encoder=_toy_encoder, k=None).size == len(TEXTS)
    assert search("matrix", X, encoder=_toy_encoder, k=2).tolist() == [1, 4]


def test_quoted_query_or_substring_mode_searches_the_texts() -> None:
    assert search('"fourier"', texts=TEXTS, k=None).tolist() == [0, 3]
    assert search("\u201cMATRIX\u201d", texts=TEXTS).tolist() == [1, 4]  # curly quotes too
    assert search("matrix", texts=TEXTS, mode="substring", k=1).tolist() == [1]
    assert search('"nothing like this"', texts=TEXTS).size == 0


def test_wrong_encoder_width_says_to_pass_the_encoder_that_embedded_x() -> None:
    X = np.random.default_rng(0).normal(size=(5, 8)).astype(np.float32)
    with pytest.raises(ValueError, match="pass encoder= the model that embedded X"):
        search("fourier", X, encoder=_toy_encoder)


@pytest.mark.parametrize("args, kwargs, match", [
    (("  ",), {}, "query is empty"),
    (('""',), {"texts": TEXTS}, "quoted query is empty"),
    (("x",), {"mode": "fuzzy"}, "not a search mode"),
    (("x",), {}, "needs X"),
    (('"x"',), {}, "needs texts="),
    (("x", np.eye(3)), {"k": 0, "encoder": _toy_encoder}, "k must be a positive int"),
])
def test_bad_input(args, kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        search(*args, **kwargs)


def test_parse_query() -> None:
    assert parse_query(" 'sparse' ", "auto") == ("sparse", "substring")
    assert parse_query("sparse", "auto") == ("sparse", "meaning")
    assert parse_query('"sparse"', "meaning") == ("sparse", "meaning")
    with pytest.raises(TypeError, match="query must be a str"):
        parse_query(3, "auto")


def test_bundled_minilm_finds_by_meaning_without_shared_words() -> None:
    texts = ["The telescope photographed a distant galaxy.", "Knead the dough and bake the bread.",
             "The central bank raised interest rates.", "Stars form inside clouds of gas."]
    X = embedviz.embed(texts, progress=False, cache=False)
    got = search("astronomy and outer space", X, k=4)
    assert set(got[:2].tolist()) == {0, 3}
    assert search("cooking recipes", X, k=1).tolist() == [1]
    assert embedviz.search is search
