"""The categorical colours shared by label chips and the map's categorical colourings.

Tableau 10 without its grey, then colours picked greedily (farthest in CIELAB from those
before, from the Kelly, Tableau 20, D3 and Dark2 sets, skipping greys). The closest pair is
26.1 apart in CIELAB and none is nearer than 24.5 to the unlabelled / missing grey #c8c8c8.
The map's old list (Tableau 10, then D3's category10) put two blues (#4e79a7, #1f77b4) on
clusters 0 and 10 (10.5 apart) and two oranges on clusters 1 and 11 (14.4).
"""
from __future__ import annotations

DISTINCT: tuple[str, ...] = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#7a0177",
    "#e7298a", "#00429d", "#8db600", "#dbdb8d", "#93003a",
    "#882d17", "#ffbb78", "#a6761d", "#9467bd", "#e377c2",
)
