"""Scatter state with no browser: traits set exactly as the front end sets them."""
from __future__ import annotations

import json

import numpy as np
import pytest

from embedviz import Scatter
from embedviz.widget.codecs import from_wire_array
from tests.widget.conftest import capture, frontend_custom, frontend_update


def channels_of(sent) -> dict:  # noqa: ANN001
    content, _ = sent.of_type("channels")[-1]
    return content["channels"]


def test_request_data_sends_each_channel_as_its_own_buffer(xy: np.ndarray) -> None:
    w = Scatter(xy, color=np.arange(100) % 3, size=np.linspace(2, 8, 100),
                opacity=np.full(100, 0.5), tooltip=[f"p{i}" for i in range(100)])
    sent = capture(w)
    frontend_custom(w, {"type": "request_data"})
    content, buffers = sent.of_type("channels")[-1]
    assert content["n"] == 100 and content["animate"] is False
    ch = content["channels"]
    assert set(ch) == {"xy", "color", "size", "opacity", "tooltip"}
    got = from_wire_array(ch["xy"], buffers[ch["xy"]["buffers"][0]])
    np.testing.assert_array_equal(got, xy)
    assert ch["color"]["kind"] == "categorical" and ch["color"]["categories"] == ["0", "1", "2"]
    assert len(ch["tooltip"]["buffers"]) == 2
    json.dumps(content)  # the JSON part holds no per-point data, only headers


def test_selection_from_frontend_json_list_and_binary(xy: np.ndarray) -> None:
    w = Scatter(xy)
    seen = []
    w.on_select(seen.append)
    frontend_update(w, {"selection": [1, 3, 5]})
    assert w.selection.dtype == np.uint32
    np.testing.assert_array_equal(w.selection, [1, 3, 5])
    raw = np.array([7, 8], dtype="<u4").tobytes()  # what encodeIndices() sends
    frontend_update(w, {"selection": None}, buffer_paths=[["selection"]], buffers=[raw])
    np.testing.assert_array_equal(w.selection, [7, 8])
    assert [s.tolist() for s in seen] == [[1, 3, 5], [7, 8]]


def test_selection_and_hover_as_custom_messages_apply_without_echo(xy: np.ndarray) -> None:
    """What the front end really sends after a lasso: one uint32 buffer, no state echo."""
    w = Scatter(xy)
    seen, hovers, synced = [], [], []
    w.on_select(seen.append)
    w.on_hover(hovers.append)
    w._send = lambda msg, buffers=None: synced.append(msg)  # state sync messages to the front end
    frontend_custom(w, {"type": "select"}, [np.array([4, 2, 9], dtype="<u4").tobytes()])
    frontend_custom(w, {"type": "hover", "index": 17})
    np.testing.assert_array_equal(w.selection, [2, 4, 9])
    assert w.hovered == 17 and hovers == [17]
    assert [s.tolist() for s in seen] == [[2, 4, 9]]
    # no state echo; other views of the widget get it as one custom message, with the id of
    # the view it came from (that view skips it)
    assert synced == [{"method": "custom", "content": {"type": "selection", "origin": None}}]
    assert w._selection_rev == 0
    synced.clear()
    w.selection = [1]  # a Python-side change is synced, and flagged for the front end
    assert [m["state"] for m in synced] == [{}, {"_selection_rev": 1}]
    assert synced[0]["buffer_paths"] == [["selection"]]
    w.selection = [2, 4, 9]  # even back to what the front end last lassoed
    assert w._selection_rev == 2
    n_synced = len(synced)
    mask = np.zeros(13, dtype=np.uint8)  # 100 points -> 13 bytes, bit i = point i
    mask[0], mask[12] = 0b0000_0101, 0b0000_1000  # points 0, 2 and 99
    frontend_custom(w, {"type": "select", "encoding": "bitmask", "n": 100}, [mask.tobytes()])
    np.testing.assert_array_equal(w.selection, [0, 2, 99])
    assert len(synced) == n_synced + 1  # the other views' copy
    frontend_custom(w, {"type": "select", "encoding": "bitmask", "n": 100}, [mask.tobytes()])
    assert len(seen) == 4 and len(synced) == n_synced + 1  # the same again: no callback, no echo


def test_selection_from_python_is_validated_and_synced(xy: np.ndarray) -> None:
    w = Scatter(xy)
    w.selection = [9, 2, 2]
    np.testing.assert_array_equal(w.selection, [2, 9])
    state = w.get_state("selection")["selection"]
    assert np.frombuffer(state, dtype="<u4").tolist() == [2, 9]
    w.selection = np.arange(100) < 3
    np.testing.assert_array_equal(w.selection, [0, 1, 2])
    with pytest.raises(IndexError, match="0..99"):
        w.selection = [100]


def test_on_select_can_be_removed(xy: np.ndarray) -> None:
    w = Scatter(xy)
    seen = []
    cb = w.on_select(seen.append)
    w.on_select(cb, remove=True)
    w.selection = [1]
    assert seen == []


def test_hover_and_keys_from_frontend(xy: np.ndarray) -> None:
    w = Scatter(xy)
    hovers, keys = [], []
    w.on_hover(hovers.append)
    w.on_key(keys.append)
    frontend_update(w, {"hovered": 42})
    frontend_update(w, {"hovered": -1})
    for key in ("digit:3", "undo", "redo", "delete", "not-a-key"):
        frontend_custom(w, {"type": "key", "key": key})
    assert hovers == [42, -1] and w.hovered == -1
    assert keys == ["digit:3", "undo", "redo", "delete"]


def test_set_color_resends_only_colour(xy: np.ndarray) -> None:
    w = Scatter(xy, color=np.arange(100) % 2)
    sent = capture(w)
    w.set_color(np.linspace(0, 1, 100), colormap="magma")
    ch = channels_of(sent)
    assert set(ch) == {"color"}
    assert ch["color"]["kind"] == "continuous"
    assert (ch["color"]["vmin"], ch["color"]["vmax"]) == (0.0, 1.0)
    w.set_color(np.array(["b", "a"] * 50), categories=["b", "a"], palette={"a": "#ff0000", "b": "#00ff00"})
    ch = channels_of(sent)
    assert ch["color"]["categories"] == ["b", "a"] and ch["color"]["palette"] == ["#00ff00", "#ff0000"]
    w.set_color(None)
    assert sent[-1][0] == {"type": "clear_channel", "name": "color", "version": sent[-1][0]["version"]}


def test_pandas_categorical_colour(xy: np.ndarray) -> None:
    pd = pytest.importorskip("pandas")
    cats = pd.Series(pd.Categorical(["x", "y", None, "x"] * 25, categories=["y", "x"]))
    w = Scatter(xy, color=cats)
    sent = capture(w)
    frontend_custom(w, {"type": "request_data"})
    assert channels_of(sent)["color"]["categories"] == ["y", "x", "missing"]


def test_xy_update_animates_and_sends_only_positions(xy: np.ndarray) -> None:
    w = Scatter(xy, color=np.arange(100) % 3)
    sent = capture(w)
    w.xy = xy * 2
    content, _ = sent.of_type("channels")[-1]
    assert set(content["channels"]) == {"xy"} and content["animate"] is True
    np.testing.assert_array_equal(w.xy, xy * 2)
    with pytest.raises(ValueError, match=r"pass new \['color'\]"):
        w.xy = xy[:50]
    w.selection = [1, 2]
    w.update(xy=xy[:50], color=np.arange(50) % 3)
    assert w.n_points == 50 and w.selection.size == 0


def test_nan_points_are_counted_and_reported() -> None:
    pts = np.random.default_rng(0).random((10, 2))
    pts[[1, 4], 0] = np.nan
    pts[7, 1] = np.inf
    with pytest.warns(UserWarning, match="3 of 10 points have NaN/inf"):
        w = Scatter(pts)
    assert w.n_invalid == 3 and w.n_points == 10


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"xy": np.zeros((5, 3))}, ValueError, r"shape \(n, 2\)"),
    ({"xy": np.zeros(5)}, ValueError, r"shape \(n, 2\)"),
    ({"xy": np.zeros((0, 2))}, ValueError, "at least one point"),
    ({"xy": [["a", "b"]]}, TypeError, "numeric"),
    ({"xy": np.zeros((5, 2)), "color": np.arange(4)}, ValueError, "4 values but xy has 5"),
    ({"xy": np.zeros((5, 2)), "size": np.ones(6)}, ValueError, "6 values but xy has 5"),
    ({"xy": np.zeros((5, 2)), "size": [1, 2, np.nan, 1, 1]}, ValueError, "NaN/inf"),
    ({"xy": np.zeros((5, 2)), "opacity": [0, 2, 1, 1, 1]}, ValueError, r"\[0.0, 1.0\]"),
    ({"xy": np.zeros((5, 2)), "tooltip": "one"}, TypeError, "one string per point"),
    ({"xy": np.zeros((5, 2)), "tooltip": ["a"]}, ValueError, "1 values but xy has 5"),
    ({"xy": np.zeros((2, 2)), "color": [0, 1], "palette": ["#ff0000"]}, ValueError, "one colour per category"),
    ({"xy": np.zeros((2, 2)), "color": [0, 1], "palette": ["not-a-colour", "blue"]}, ValueError, "#rrggbb"),
    ({"xy": np.zeros((2, 2)), "color": [0.1, 0.2], "colormap": "jet"}, ValueError, "known:"),
    ({"xy": np.zeros((2, 2)), "color": ["a", "z"], "categories": ["a", "b"]}, ValueError, "not in categories"),
    ({"xy": np.zeros((2, 2)), "color": [0, 5], "categories": ["a", "b"]}, ValueError, "0..1"),
    ({"xy": np.zeros((2, 2)), "color": 3}, ValueError, "one value per point"),
    ({"xy": np.zeros((2, 2)), "size": -1}, ValueError, r"size must lie in \[0, 100\].*got -1"),
    ({"xy": np.zeros((2, 2)), "size": np.nan}, ValueError, r"size must lie in \[0, 100\].*got nan"),
    ({"xy": np.zeros((2, 2)), "size": "5"}, TypeError, "size must be a number"),
    ({"xy": np.zeros((2, 2)), "opacity": 2}, ValueError, r"opacity must lie in \[0, 1\].*got 2"),
    ({"xy": np.zeros((2, 2)), "opacity": True}, TypeError, "opacity must be a number"),
    ({"xy": np.zeros((2, 2)), "height": -5}, ValueError, "height must be a positive number of pixels"),
    ({"xy": np.zeros((2, 2)), "point_size": -3}, ValueError, r"point_size must lie in \[0, 100\]"),
])
def test_bad_input_gets_a_clear_error(kwargs: dict, error: type, match: str) -> None:
    xy = kwargs.pop("xy")
    with pytest.raises(error, match=match):
        Scatter(xy, **kwargs)


def test_single_point_and_scalar_style() -> None:
    w = Scatter([[1.0, 2.0]], size=7, opacity=0.5)
    assert w.n_points == 1 and w.point_size == 7 and w.point_opacity == 0.5
    sent = capture(w)
    frontend_custom(w, {"type": "request_data"})
    assert set(channels_of(sent)) == {"xy"}


def test_scalar_style_is_checked_on_every_path_and_a_bad_update_changes_nothing(xy: np.ndarray) -> None:
    w = Scatter(xy, size=np.float32(3), opacity=np.array(0.5), height=np.int64(300))
    assert (w.point_size, w.point_opacity, w.height) == (3.0, 0.5, 300)
    sent = capture(w)
    with pytest.raises(ValueError, match=r"size must lie in \[0, 100\]"):
        w.update(xy=xy[:50], size=-1)
    assert w.n_points == 100 and w.point_size == 3.0 and sent == []
    with pytest.raises(ValueError, match=r"opacity must lie in \[0, 1\]"):
        w.set_opacity(5)
    with pytest.raises(ValueError, match="positive number of pixels"):
        w.height = 0
    assert (w.point_size, w.point_opacity, w.height) == (3.0, 0.5, 300)


def test_highlight_zoom_and_reset(xy: np.ndarray) -> None:
    w = Scatter(xy)
    sent = capture(w)
    w.highlight = [3, 1]
    np.testing.assert_array_equal(w.highlight, [1, 3])
    w.highlight = []
    assert w.highlight.size == 0
    w.zoom_to([4, 5])
    content, buffers = sent[-1]
    assert content["type"] == "zoom_to" and np.frombuffer(buffers[0], "<u4").tolist() == [4, 5]
    w.reset_view()
    assert sent[-1][0] == {"type": "reset_view"}
    with pytest.raises(ValueError, match="reset_view"):
        w.zoom_to([])


def test_widget_state_holds_no_per_point_data() -> None:
    n = 1_000_000
    w = Scatter(np.random.default_rng(0).random((n, 2)), color=np.arange(n) % 7,
                size=np.ones(n), tooltip=None)
    state = w.get_state()
    per_point = {k: len(v) for k, v in state.items() if isinstance(v, (bytes, memoryview))}
    assert all(size < 1024 for size in per_point.values()), per_point
    without_bundle = {k: v for k, v in state.items() if k not in ("_esm", "_css")
                      and not isinstance(v, (bytes, memoryview))}
    assert len(json.dumps(without_bundle)) < 2048
