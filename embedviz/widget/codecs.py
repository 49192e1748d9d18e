"""Wire formats between the Scatter widget's kernel side and its front end.

Per-point data travels as raw little-endian binary buffers with a small JSON header
(``{"dtype": "float32", "shape": [n, 2]}``); never as JSON lists. float64 becomes
float32 and int64 becomes int32 at the boundary. Index sets (selection, highlight) are
uint32 buffers; the decoder also accepts a JSON list, which is what a front end (or a
test) may send for small sets.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from embedviz.common import as_positions

#: dtypes the front end can decode (see js/src/codecs.ts).
WIRE_DTYPES = ("float32", "int32", "uint32", "uint16", "uint8", "int8", "int16")
_NARROW = {np.dtype("float64"): np.float32, np.dtype("int64"): np.int32,
           np.dtype("uint64"): np.uint32, np.dtype("float16"): np.float32,
           np.dtype("bool"): np.uint8}


def to_wire_array(array: np.ndarray) -> tuple[dict[str, Any], memoryview]:
    """Return ``(header, buffer)`` for a numeric array, narrowed to a wire dtype."""
    arr = np.asarray(array)
    target = _NARROW.get(arr.dtype, arr.dtype)
    arr = np.ascontiguousarray(arr, dtype=np.dtype(target).newbyteorder("<"))
    if arr.dtype.name not in WIRE_DTYPES:
        raise TypeError(f"cannot send dtype {arr.dtype} to the front end; "
                        f"convert to one of {WIRE_DTYPES}")
    return {"dtype": arr.dtype.name, "shape": list(arr.shape)}, arr.data.cast("B")


def from_wire_array(header: dict[str, Any], buffer: bytes | memoryview) -> np.ndarray:
    """Inverse of :func:`to_wire_array` (copies, so the result owns its memory)."""
    dtype = np.dtype(header["dtype"]).newbyteorder("<")
    return np.frombuffer(buffer, dtype=dtype).reshape(header["shape"]).copy()


def encode_strings(strings: Sequence[str]) -> tuple[dict[str, Any], list[memoryview]]:
    """Pack strings as one UTF-8 byte buffer plus uint32 end offsets (Arrow-like)."""
    encoded = [str(s).encode("utf-8") for s in strings]
    ends = np.cumsum([len(b) for b in encoded], dtype=np.uint64)
    if len(ends) and ends[-1] > np.iinfo(np.uint32).max:
        raise ValueError("tooltip text is larger than 4 GiB; shorten the tooltips")
    offsets = np.ascontiguousarray(ends, dtype="<u4")
    data = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    header = {"dtype": "utf8", "shape": [len(encoded)]}
    return header, [offsets.data.cast("B"), data.data.cast("B")]


def decode_strings(offsets: bytes | memoryview, data: bytes | memoryview) -> list[str]:
    """Inverse of :func:`encode_strings`."""
    ends = np.frombuffer(offsets, dtype="<u4")
    raw = bytes(data)
    starts = np.concatenate([[0], ends[:-1]]).astype(np.int64)
    return [raw[s:e].decode("utf-8") for s, e in zip(starts, ends.astype(np.int64))]


def index_array(value: Any, n: int, *, name: str = "indices") -> np.ndarray:
    """Point indices as the Scatter holds them: :func:`embedviz.common.as_positions` (the one
    index validator), as uint32 (the wire's index dtype); None is the empty set.

    Parameters
    ----------
    value : None, int, sequence or array of int, or boolean mask
        As for :func:`embedviz.common.as_positions`.
    n : int
        Number of points.
    name : str, default "indices"
        The trait or argument, for messages.

    Returns
    -------
    numpy.ndarray
        uint32, sorted and unique.

    Raises
    ------
    ValueError, TypeError, IndexError
        As :func:`embedviz.common.as_positions`.

    Examples
    --------
    >>> index_array([5, 1, 1], 10)
    array([1, 5], dtype=uint32)
    """
    if value is None:
        return np.zeros(0, dtype=np.uint32)
    return as_positions(value, n, name=name).astype(np.uint32)


def indices_to_json(value: np.ndarray | None, widget: Any = None) -> memoryview:
    """Trait serializer: a uint32 index array as one raw buffer."""
    arr = np.ascontiguousarray(np.zeros(0) if value is None else value, dtype="<u4")
    return arr.data.cast("B")


def indices_from_json(value: Any, widget: Any = None) -> np.ndarray:
    """Trait deserializer: a raw uint32 buffer (from the front end) or a JSON list."""
    if value is None:
        return np.zeros(0, dtype=np.uint32)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return np.frombuffer(bytes(value), dtype="<u4").astype(np.uint32)
    return np.asarray(value, dtype=np.int64).reshape(-1).astype(np.uint32)


def bitmask_to_indices(buffer: bytes | memoryview, n: int) -> np.ndarray:
    """Indices of set bits (bit i of byte i // 8, least significant bit first)."""
    bits = np.frombuffer(bytes(buffer), dtype=np.uint8)
    if bits.size != (n + 7) // 8:
        raise ValueError(f"selection bitmask has {bits.size} bytes, expected {(n + 7) // 8} for {n} points")
    return np.flatnonzero(np.unpackbits(bits, bitorder="little")[:n]).astype(np.uint32)


INDEX_SERIALIZERS = {"to_json": indices_to_json, "from_json": indices_from_json}
