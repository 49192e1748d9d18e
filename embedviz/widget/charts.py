"""Plotly side charts: points per label, accuracy per retrain round, confidence histogram."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .preview import shortened

_LAYOUT = dict(
    height=190,
    width=316,  # 330 in the 340 px side column, beside its scrollbar, scrolled it sideways
    autosize=False,
    margin=dict(l=36, r=8, t=28, b=26),
    font=dict(size=11),
    paper_bgcolor="rgba(0,0,0,0)",
    plot_bgcolor="rgba(0,0,0,0.03)",
    showlegend=False,
)

#: What each chart says while it has nothing to show (empty axes with made-up ticks confuse).
HINTS = {
    "counts": "No labels yet: add one, lasso points, press 1-9",
    "rounds": "Press Retrain: accuracy per round shows here",
    "confidence": "Prediction confidence shows after a retrain",
    "no_cv": "No accuracy yet: it needs two or more labels<br>(lassos are held out to score it)",
    "one_class": "One label: every point is predicted as it.<br>Grey points on the map fit no label",
}


def _show_hint(fig: go.FigureWidget, text: str | None) -> None:
    """Hide the axes and write ``text`` in the middle of ``fig``; ``None`` shows the axes."""
    empty = text is not None
    fig.layout.annotations = [dict(text=text, showarrow=False, x=0.5, y=0.5, xref="paper",
                                   yref="paper", font=dict(size=12, color="#666"))] if empty else []
    fig.layout.xaxis.visible = not empty
    fig.layout.yaxis.visible = not empty
    for trace in fig.data:  # no stray marker next to the hint
        trace.visible = not empty


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
        for name in ("counts", "rounds", "confidence"):
            fig = getattr(self, name)
            # plotly's toolbar sat over each title (zoom and pan on a 190 px chart help no one)
            fig._config = {"displayModeBar": False}
            _show_hint(fig, HINTS[name])
        self._history: list[tuple[int, float | None]] = []

    def show_counts(self, names: list[str], counts: list[int], colors: list[str]) -> None:
        with self.counts.batch_update():
            bar = self.counts.data[0]
            bar.x, bar.y, bar.marker.color = names, counts, colors
            # whole names on hover; the ticks are cut short so the bars keep their room
            self.counts.layout.xaxis.update(tickmode="array", tickvals=names,
                                            ticktext=[shortened(n, 14) for n in names])
            _show_hint(self.counts, None if sum(counts) > 0 else HINTS["counts"])

    def add_round(self, round_no: int, accuracy: float | None) -> None:
        """Accuracy of the chosen method, cross-validated across lassos, after a retrain
        (None, NaN or inf: not measured, a gap; JSON, the front end's format, has no NaN)."""
        ok = accuracy is not None and bool(np.isfinite(accuracy))
        self._history.append((round_no, float(accuracy) if ok else None))  # type: ignore[arg-type]
        xs, acc = (list(v) for v in zip(*self._history))
        with self.rounds.batch_update():
            self.rounds.layout.xaxis.range = [0.5, max(5, len(xs)) + 0.5]
            self.rounds.data[0].x, self.rounds.data[0].y = xs, acc
            _show_hint(self.rounds, None if any(a is not None for a in acc) else HINTS["no_cv"])

    def show_confidence(self, confidence: np.ndarray, *, n_classes: int = 2,
                        bins: int = 20) -> None:
        """Histogram of the predictions' confidence; with one class it is 1 everywhere and
        says nothing (novelty, the map's grey, does), so a hint says that instead."""
        hist, edges = np.histogram(np.asarray(confidence, dtype=float), bins=bins, range=(0.0, 1.0))
        centers = (edges[:-1] + edges[1:]) / 2
        with self.confidence.batch_update():
            self.confidence.data[0].x, self.confidence.data[0].y = centers.tolist(), hist.tolist()
            _show_hint(self.confidence, None if n_classes > 1 else HINTS["one_class"])
