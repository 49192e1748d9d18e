"""Region names for the map: a :func:`embedviz.regions` table as the small JSON list the
front end draws (names are short strings: JSON is fine; members stay in the kernel)."""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["RegionNames"]

NEEDED = ("region", "level", "parent", "size", "x", "y", "bbox", "keywords", "name", "members")
#: Keywords sent per region for the hover text.
SHOWN_KEYWORDS = 6


class RegionNames:
    """The names on a map (the wire list) and each region's members (kept in the kernel)."""

    def __init__(self, table: Any, n_points: int) -> None:
        missing = [c for c in NEEDED if c not in getattr(table, "columns", ())]
        if missing:
            raise ValueError(f"set_names needs a table from embedviz.regions(); this one lacks "
                             f"the columns {missing}.")
        has_children = set(int(p) for p in table["parent"] if int(p) >= 0)
        self.members: dict[int, np.ndarray] = {}
        self.wire: list[dict[str, Any]] = []
        for row in table.itertuples(index=False):
            rid = int(row.region)
            members = np.asarray(row.members, dtype=np.int64)
            if members.size and (members.min() < 0 or members.max() >= n_points):
                raise ValueError(f"region {rid} has members outside the map's {n_points} "
                                 "points; make the table from this map's xy.")
            self.members[rid] = members
            self.wire.append({
                "id": rid, "name": str(row.name), "x": float(row.x), "y": float(row.y),
                "level": int(row.level), "size": int(row.size),
                "keywords": [str(k) for k in list(row.keywords)[:SHOWN_KEYWORDS]],
                "bbox": [float(v) for v in row.bbox], "parent": rid in has_children,
            })
