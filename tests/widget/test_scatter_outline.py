"""The Scatter's outline channel: a ring per point in a palette colour, over any colouring."""
from __future__ import annotations

import numpy as np
import pytest

from embedviz import Scatter
from embedviz.widget.codecs import from_wire_array
from tests.widget.conftest import capture, frontend_custom

PALETTE = ["#E15759", "#4e79a7"]


def _last_channels(sent) -> tuple[dict, list]:  # noqa: ANN001
    return sent.of_type("channels")[-1]


def test_outline_travels_alone_as_small_codes_with_its_palette(xy: np.ndarray) -> None:
    w = Scatter(xy, color=np.arange(100) % 3)
    sent = capture(w)
    codes = np.full(100, -1)
    codes[[3, 7, 50]] = [0, 1, 1]
    w.update(outline=codes, outline_palette=PALETTE)
    content, buffers = _last_channels(sent)
    header = content["channels"]["outline"]
    assert set(content["channels"]) == {"outline"}          # the colours are not resent
    assert header["dtype"] == "int8"                         # one byte a point on the wire
    assert header["palette"] == ["#e15759", "#4e79a7"]
    np.testing.assert_array_equal(from_wire_array(header, buffers[header["buffers"][0]]), codes)
    np.testing.assert_array_equal(w.outline, codes)
    assert w.outline.dtype == np.int32 and not w.outline.flags.writeable
    assert w.outline_palette == ["#e15759", "#4e79a7"]

    frontend_custom(w, {"type": "request_data"})           # a new view gets it too
    assert "outline" in _last_channels(sent)[0]["channels"]


def test_outline_is_dropped_with_clear_channel(xy: np.ndarray) -> None:
    w = Scatter(xy)
    w.update(outline=np.zeros(100, int), outline_palette=["#000000"])
    sent = capture(w)
    w.clear_channel("outline")
    assert sent[-1][0]["type"] == "clear_channel" and sent[-1][0]["name"] == "outline"
    assert w.outline is None and w.outline_palette is None


def test_many_palette_colours_use_int16(xy: np.ndarray) -> None:
    w = Scatter(xy)
    sent = capture(w)
    w.update(outline=np.arange(100) + 100, outline_palette=["#123456"] * 200)
    assert _last_channels(sent)[0]["channels"]["outline"]["dtype"] == "int16"
    assert w.outline.max() == 199


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"outline": np.zeros(99, int), "outline_palette": PALETTE}, ValueError,
     "99 values but xy has 100"),
    ({"outline": np.full(100, 2), "outline_palette": PALETTE}, ValueError,
     r"outline code 2 is outside -1\.\.1"),
    ({"outline": np.full(100, -2), "outline_palette": PALETTE}, ValueError,
     r"outline code -2 is outside -1\.\.1"),
    ({"outline": np.zeros(100, int), "outline_palette": ["#12345"]}, ValueError, "#rrggbb"),
    ({"outline": np.zeros(100, int), "outline_palette": "#ff0000"}, TypeError,
     "list of hex colours"),
    ({"outline": np.zeros(100, int)}, ValueError, "needs outline_palette"),
    ({"outline_palette": PALETTE}, ValueError, "without outline codes"),
    ({"outline": np.full(100, 0.5), "outline_palette": PALETTE}, TypeError,
     "integer palette indices"),
    ({"outline": np.zeros((100, 2), int), "outline_palette": PALETTE}, ValueError,
     "one value per point"),
])
def test_bad_outline_gets_a_clear_error_and_changes_nothing(
        xy: np.ndarray, kwargs: dict, error: type, match: str) -> None:
    w = Scatter(xy)
    w.update(outline=np.full(100, -1), outline_palette=PALETTE)
    sent = capture(w)
    with pytest.raises(error, match=match):
        w.update(xy=xy * 2, **kwargs)
    assert not sent                                          # nothing sent...
    np.testing.assert_array_equal(w.xy, xy)                  # ...and nothing changed
    np.testing.assert_array_equal(w.outline, np.full(100, -1))


def test_whole_float_codes_are_accepted(xy: np.ndarray) -> None:
    w = Scatter(xy)
    w.update(outline=np.where(np.arange(100) < 50, 0.0, -1.0), outline_palette=PALETTE)
    assert (w.outline == 0).sum() == 50


def test_fewer_points_need_a_new_outline(xy: np.ndarray) -> None:
    w = Scatter(xy)
    w.update(outline=np.zeros(100, int), outline_palette=PALETTE)
    with pytest.raises(ValueError, match=r"pass new \['outline'\]"):
        w.update(xy=xy[:10])
    w.update(xy=xy[:10], outline=np.ones(10, int), outline_palette=PALETTE)
    assert w.outline.tolist() == [1] * 10
