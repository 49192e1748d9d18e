"""The Examples section of KNNGraph runs as written (doctest)."""
from __future__ import annotations

import doctest

import embedviz.compute.knn_graph


def test_examples_run() -> None:
    result = doctest.testmod(embedviz.compute.knn_graph, report=True)
    assert result.attempted > 0, "KNNGraph has no examples to run"
    assert result.failed == 0, f"{result.failed} of {result.attempted} KNNGraph examples failed"
