"""Prefetched batches: same batches in the same order, with or without the background thread."""
from __future__ import annotations

import pytest

from embedviz.compute.batches import prefetched


@pytest.mark.parametrize("background", [True, False])
def test_batches_follow_the_order(background: bool) -> None:
    items = list("abcdefg")
    order = [6, 0, 5, 1, 4, 2, 3]
    out = list(prefetched(items, order, 3, lambda b: "".join(b), background=background))
    assert out == [([6, 0, 5], "gaf"), ([1, 4, 2], "bec"), ([3], "d")]


def test_stopping_early_cancels_pending_work() -> None:
    prepared = []

    def prepare(batch: list[int]) -> list[int]:
        prepared.append(batch)
        return batch

    gen = prefetched(list(range(100)), list(range(100)), 10, prepare)
    assert next(gen)[1] == list(range(10))
    gen.close()  # what an exception or KeyboardInterrupt in the caller's loop does
    assert len(prepared) <= 2
