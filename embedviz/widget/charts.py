"""Plotly side charts: points per label, accuracy per retrain round, confidence histogram."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

_LAYOUT = dict(
    height=190,
    width=330,
    autosize=False,
    margin=dict(l=36, r=8, t=28, b=26),
    font=dict(size=11),
    paper_bgcolor="rgba(0,0,0,0)",
    plot_bgcolor="rgba(0,0,0,0.03)",
    showlegend=False,
)


class SideCharts:
    """Three small FigureWidgets updated in place (no re-creation, no flicker)."""

    def __init__(self) -> None:
        self.counts = go.FigureWidget(data=[go.Bar(x=[], y=[], marker_color=[])],
                                      layout=dict(title=dict(text="Points per label", x=0.02), **_LAYOUT))
        self.rounds = go.FigureWidget(
            data=[go.Scatter(x=[], y=[], mode="lines+markers", name="accuracy")],
            layout=dict(title=dict(text="Accuracy per round (CV by lasso)", x=0.02), yaxis=dict(range=[0, 1.02]),
                        xaxis=dict(dtick=1, range=[0.5, 5.5]), **_LAYOUT),
        )
        self.confidence = go.FigureWidget(
            data=[go.Bar(x=[], y=[], marker_color="#4c78a8")],
            layout=dict(title=dict(text="Prediction confidence", x=0.02), bargap=0.05, **_LAYOUT),
        )
        self._history: list[tuple[int, float]] = []

    def show_counts(self, names: list[str], counts: list[int], colors: list[str]) -> None:
        with self.counts.batch_update():
            bar = self.counts.data[0]
            bar.x, bar.y, bar.marker.color = names, counts, colors

    def add_round(self, round_no: int, accuracy: float) -> None:
        """Accuracy of the chosen method, cross-validated across lassos, after a retrain."""
        self._history.append((round_no, accuracy))
        xs, acc = (list(v) for v in zip(*self._history))
        with self.rounds.batch_update():
            self.rounds.layout.xaxis.range = [0.5, max(5, len(xs)) + 0.5]
            self.rounds.data[0].x, self.rounds.data[0].y = xs, acc

    def show_confidence(self, confidence: np.ndarray, *, bins: int = 20) -> None:
        hist, edges = np.histogram(np.asarray(confidence, dtype=float), bins=bins, range=(0.0, 1.0))
        centers = (edges[:-1] + edges[1:]) / 2
        with self.confidence.batch_update():
            self.confidence.data[0].x, self.confidence.data[0].y = centers.tolist(), hist.tolist()
