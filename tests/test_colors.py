"""The shared categorical colours: far apart, never the unlabelled grey, used by both sides."""
from __future__ import annotations

import numpy as np

from embedviz.colors import DISTINCT, MISSING_COLOR, categorical_palette, next_color


def _lab(hex_colour: str) -> np.ndarray:  # sRGB -> CIELAB (D65)
    rgb = np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    rgb = np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ rgb / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _closest_pair(colours: list[str]) -> float:
    labs = [_lab(c) for c in colours]
    return min(float(np.linalg.norm(a - b)) for i, a in enumerate(labs) for b in labs[i + 1:])


def test_the_twenty_colours_are_far_apart_and_never_the_unlabelled_grey():
    assert len(set(DISTINCT)) == 20
    assert _closest_pair(list(DISTINCT)) > 20  # two pinks 7.5 apart would fail
    assert min(float(np.linalg.norm(_lab(c) - _lab(MISSING_COLOR))) for c in DISTINCT) > 20


def test_clusters_and_labels_use_the_distinct_colours():
    clusters = categorical_palette(20)
    # the map's old list gave clusters 0 and 10 two blues (#4e79a7, #1f77b4), 10.5 apart
    assert _closest_pair(clusters) > 20
    used: list[str] = []
    for _ in range(20):
        used.append(next_color(used))
    assert used == clusters == list(DISTINCT)
