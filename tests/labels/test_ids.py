"""Stable point ids: matching data on reopen, appended rows, fingerprints."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from embedviz.labels import DataMismatchError, LabelStore


def _frame(n: int, *, start: int = 0) -> pd.DataFrame:
    ids = [f"doc-{i}" for i in range(start, start + n)]
    return pd.DataFrame({"text": [f"t{i}" for i in range(n)]}, index=ids)


def test_string_ids_from_dataframe_index(store_path):
    df = _frame(5)
    df.index.name = "doc_id"
    with LabelStore(store_path, ids=df.index) as s:
        s.assign([1, 3], "x", create=True)
        assert s.series().index is df.index  # the caller's own index: name and dtype kept
    with LabelStore(store_path) as s:  # reopened without ids: stored ids index the series
        assert s.series().dropna().index.tolist() == ["doc-1", "doc-3"]


def test_other_ids_are_refused(store_path):
    LabelStore(store_path, ids=_frame(5).index).close()
    other = _frame(5, start=1).index
    with pytest.raises(DataMismatchError, match="differ from the store's at row 0: 'doc-1' != 'doc-0'"):
        LabelStore(store_path, ids=other)
    with pytest.raises(DataMismatchError, match="not removed"):
        LabelStore(store_path, ids=_frame(4).index)
    with pytest.raises(DataMismatchError, match="str ids"):
        LabelStore(store_path, ids=np.arange(10, 15))
    # the refusals left the store usable
    with LabelStore(store_path, ids=_frame(5).index) as s:
        assert s.n == 5


def test_reordered_rows_are_refused(store_path):
    df = _frame(4)
    LabelStore(store_path, ids=df.index).close()
    with pytest.raises(DataMismatchError):
        LabelStore(store_path, ids=df.index[::-1])


def test_appended_rows_keep_existing_labels(store_path):
    with LabelStore(store_path, ids=_frame(4).index) as s:
        s.assign([0, 3], "x", create=True)
    grown = _frame(6).index
    with LabelStore(store_path, ids=grown) as s:
        assert s.n == 6
        assert s.codes().tolist() == [0, -1, -1, 0, -1, -1]
        s.assign([5], "x")
    with LabelStore(store_path) as s:
        assert s.ids.equals(grown)
        assert s.labelled().tolist() == [0, 3, 5]


def test_positional_store_grows_with_n(store_path):
    with LabelStore(store_path, n=3) as s:
        s.assign([2], "x", create=True)
    with LabelStore(store_path, n=5) as s:
        assert s.codes().tolist() == [-1, -1, 0, -1, -1]
    with pytest.raises(DataMismatchError, match="has 2 points but the store holds labels for 5"):
        LabelStore(store_path, n=2)


def test_range_index_counts_as_positional(store_path):
    LabelStore(store_path, n=4).close()
    with LabelStore(store_path, ids=pd.RangeIndex(4)) as s:
        assert s.ids.equals(pd.RangeIndex(4))


def test_integer_ids(store_path):
    ids = np.array([10, 20, 30], dtype=np.int64)
    with LabelStore(store_path, ids=ids) as s:
        s.assign([1], "x", create=True)
        assert s.series().dropna().index.tolist() == [20]
    with LabelStore(store_path, ids=[10, 20, 30, 40]) as s:
        assert s.codes().tolist() == [-1, 0, -1, -1]
    with LabelStore(store_path, n=4) as s:  # length only: the stored ids stay
        assert s.ids.tolist() == [10, 20, 30, 40]


def test_fingerprint(store_path):
    LabelStore(store_path, n=3, fingerprint="digits-v1").close()
    with pytest.raises(DataMismatchError, match="fingerprint 'digits-v1', not 'digits-v2'"):
        LabelStore(store_path, n=3, fingerprint="digits-v2")
    LabelStore(store_path, n=3, fingerprint="digits-v1").close()
    LabelStore(store_path, n=3).close()  # no fingerprint given: not checked


def test_bad_ids(store_path):
    with pytest.raises(ValueError, match="unique"):
        LabelStore(store_path, ids=["a", "b", "a"])
    with pytest.raises(ValueError, match=r"ids must be unique; 0 appears more than once$"):
        LabelStore(store_path, ids=np.array([0, 0, 1]))  # 0, not np.int64(0)
    with pytest.raises(ValueError, match=r"ids must be unique; '-{60}…' appears"):
        LabelStore(store_path, ids=["-" * 10_000] * 2)
    with pytest.raises(TypeError, match="integers or strings"):
        LabelStore(store_path, ids=[1.5, 2.5])
    with pytest.raises(ValueError, match="n=3 but 2 ids"):
        LabelStore(store_path, ids=["a", "b"], n=3)
    with pytest.raises(ValueError, match="needs the data's ids or size"):
        LabelStore(store_path)
    assert not store_path.exists()
