from __future__ import annotations

import numpy as np
import pytest

from embedviz.widget import codecs


def test_float64_and_int64_are_narrowed_and_contiguous() -> None:
    header, buf = codecs.to_wire_array(np.arange(12, dtype=np.float64).reshape(6, 2)[::2])
    assert header == {"dtype": "float32", "shape": [3, 2]}
    assert bytes(buf) == np.array([[0, 1], [4, 5], [8, 9]], dtype="<f4").tobytes()
    header, buf = codecs.to_wire_array(np.array([1, 2], dtype=np.int64))
    assert header["dtype"] == "int32" and len(buf) == 8


def test_wire_roundtrip() -> None:
    arr = np.random.default_rng(1).random((5, 2)).astype(np.float32)
    header, buf = codecs.to_wire_array(arr)
    np.testing.assert_array_equal(codecs.from_wire_array(header, buf), arr)


def test_unsupported_dtype_names_the_fix() -> None:
    with pytest.raises(TypeError, match="convert to one of"):
        codecs.to_wire_array(np.array([1 + 2j]))


def test_strings_roundtrip_utf8() -> None:
    strings = ["a", "", "ünïcödé ✓", "last"]
    header, (offsets, data) = codecs.encode_strings(strings)
    assert header == {"dtype": "utf8", "shape": [4]}
    assert codecs.decode_strings(offsets, data) == strings


def test_index_array_validates() -> None:
    np.testing.assert_array_equal(codecs.index_array([5, 1, 1, 3], 10), [1, 3, 5])
    assert codecs.index_array([5, 1], 10).dtype == np.uint32
    np.testing.assert_array_equal(codecs.index_array(np.array([True, False, True]), 3), [0, 2])
    with pytest.raises(IndexError, match="expected values in 0..9"):
        codecs.index_array([10], 10)
    with pytest.raises(IndexError):
        codecs.index_array([-1], 10)
    with pytest.raises(TypeError, match="integers"):
        codecs.index_array([0.5], 10)
    with pytest.raises(ValueError, match="boolean mask must have one entry per point"):
        codecs.index_array(np.array([True]), 3)
    with pytest.raises(ValueError, match="1-D"):
        codecs.index_array([[1, 2]], 10)  # not silently flattened


def test_index_serializers_accept_buffer_and_list() -> None:
    arr = np.array([2, 7, 9], dtype=np.uint32)
    buf = codecs.indices_to_json(arr)
    np.testing.assert_array_equal(codecs.indices_from_json(buf), arr)
    np.testing.assert_array_equal(codecs.indices_from_json(bytes(buf)), arr)
    np.testing.assert_array_equal(codecs.indices_from_json([2, 7, 9]), arr)
    assert codecs.indices_from_json(None).size == 0
