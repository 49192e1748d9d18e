"""Export and import of labels: DataFrame with provenance, CSV, Parquet, JSON; readable history.

Provenance of a point is the assign/import event that gave it its current label (a merge
keeps the original provenance; unassign and delete clear it). It is derived on demand from
the events in effect, so the hot write path stores nothing extra per point.
"""
from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from embedviz.common import brief_list
from embedviz.labels import events as ev
from embedviz.labels.errors import DataMismatchError

if TYPE_CHECKING:
    from embedviz.labels.store import LabelStore

EXPORT_FORMAT = "embedviz-labels-export"
FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".json": "json"}
COLUMNS = ("label", "color", "source", "time", "event", "round")


def history(summaries: Sequence[tuple], active: set[int], *, include_undo: bool) -> list[dict[str, Any]]:
    """Readable dicts for the rows of ``EventLog.summaries``."""
    out = []
    for event_id, when, kind, target, payload in summaries:
        if kind in (ev.UNDO, ev.REDO) and not include_undo:
            continue
        info = json.loads(payload)["info"]
        out.append({
            "id": event_id,
            "time": datetime.fromtimestamp(when, timezone.utc),
            "kind": kind,
            "description": ev.describe(kind, info),
            "source": info.get("source"),
            "round": info.get("round"),
            "n_points": info.get("n_points", 0),
            "target": target,
            "undone": None if kind in (ev.UNDO, ev.REDO) else event_id not in active,
        })
    return out


def provenance_frame(store: LabelStore, events: Sequence[ev.Event]) -> pd.DataFrame:
    """Tabulate the labels with their provenance, one row per point of ``store``.

    Parameters
    ----------
    store : LabelStore
        The store; only its public reads are used.
    events : sequence of Event
        The events in effect (not undone), oldest first, as the store holds them.

    Returns
    -------
    pandas.DataFrame
        Indexed by the store's ids (named ``id``): label, color, source, time (UTC), event id
        and round, each missing (NaN/NA) for a point no assign or import event labelled.
    """
    n = store.n
    # A read-only store can hold events of rows a writer appended after it opened; they
    # are left out below, but the per-point table must reach them.
    reach = [int(e.change.points.max()) + 1 for e in events if e.change.points.size]
    event_of = np.full(max([n, *reach]), -1, dtype=np.int64)
    details: dict[int, tuple[float, str | None, int | None]] = {}
    for event in events:
        points, event_id = event.change.points, int(event.id or 0)
        if event.kind in (ev.ASSIGN, ev.IMPORT):
            event_of[points] = event_id
            details[event_id] = (event.time, event.info.get("source"), event.info.get("round"))
        elif event.kind in (ev.UNASSIGN, ev.DELETE):
            event_of[points] = -1
    event_of = event_of[:n]
    known = event_of >= 0
    order = sorted(details)  # small per-event tables, gathered per point via ``slot``
    slot = np.full(n, len(order), dtype=np.int64)
    slot[known] = np.searchsorted(np.asarray(order, dtype=np.int64), event_of[known])
    sources = np.array([details[k][1] for k in order] + [None], dtype=object)
    times = np.array([details[k][0] for k in order] + [np.nan], dtype=float)
    rounds = np.array([np.nan if details[k][2] is None else details[k][2] for k in order] + [np.nan])[slot]
    codes = store.codes()
    colors = np.array([*(store.colors[name] for name in store.classes), None], dtype=object)
    frame = pd.DataFrame(index=store.ids.rename("id"))
    frame["label"] = pd.Categorical.from_codes(codes, categories=pd.Index(store.classes, dtype=object))
    frame["color"] = colors[codes]
    frame["source"] = sources[slot]
    frame["time"] = pd.to_datetime(times[slot], unit="s", utc=True)
    frame["event"] = pd.arrays.IntegerArray(np.where(known, event_of, 0), ~known)
    frame["round"] = pd.arrays.IntegerArray(np.nan_to_num(rounds).astype(np.int64), np.isnan(rounds))
    return frame


def write(store: LabelStore, path: Path, *, format: str | None = None) -> Path:
    """Write the provenance frame to ``path`` as csv, parquet or json."""
    fmt = format or FORMATS.get(path.suffix.lower())
    if fmt not in ("csv", "parquet", "json"):
        raise ValueError(f"cannot tell the format of {path}; use a .csv, .parquet or .json name or pass format=")
    frame = store.to_frame()
    if fmt == "csv":  # one row per point: a label with no points has no row to ride on
        empty = [name for name, count in store.counts().items() if count == 0]
        if empty:
            warnings.warn(f"{path.name} leaves out {len(empty)} label(s) with no points "
                          f"({brief_list(empty)}); export to .json or .parquet to keep every "
                          "label.", UserWarning, stacklevel=3)
        frame.to_csv(path)
    elif fmt == "parquet":  # pandas keeps attrs in the file's metadata: the full class list
        frame.attrs["embedviz_classes"] = [{"name": k, "color": c} for k, c in store.colors.items()]
        frame.to_parquet(path)
    else:
        labelled = frame[frame["label"].notna()]
        times = np.datetime_as_string(labelled["time"].dt.tz_convert(None).to_numpy(), unit="us")
        doc = {
            "format": EXPORT_FORMAT,
            "version": 1,
            "classes": [{"name": k, "color": c} for k, c in store.colors.items()],
            "points": {  # column-wise: one list per field, same order
                "id": labelled.index.tolist(),
                "label": labelled["label"].astype(object).tolist(),
                "source": labelled["source"].tolist(),
                "time": [None if t == "NaT" else t + "Z" for t in times.tolist()],
                "event": _nullable_ints(labelled["event"]),
                "round": _nullable_ints(labelled["round"]),
            },
        }
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _nullable_ints(column: pd.Series) -> list[int | None]:
    return column.astype(object).where(column.notna(), None).tolist()


def read_labels(path: Path) -> tuple[pd.Series, dict[str, str]]:
    """A label Series indexed by ids and the label colours, from a file written by :func:`write`."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt == "json":
        doc = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or doc.get("format") != EXPORT_FORMAT:
            raise ValueError(f"{path} is not an embedviz label export (no 'format': {EXPORT_FORMAT!r})")
        points = doc["points"]
        labels = pd.Series(points["label"], index=points["id"], dtype=object)
        return labels, {c["name"]: c["color"] for c in doc["classes"]}
    if fmt == "csv":
        frame = pd.read_csv(path, dtype={"id": str, "label": object, "color": object}, index_col="id",
                            keep_default_na=False, na_values=[""])
    elif fmt == "parquet":
        frame = pd.read_parquet(path)
    else:
        raise ValueError(f"cannot tell the format of {path}; use a .csv, .parquet or .json file")
    if "label" not in frame.columns:
        raise ValueError(f"{path} has no 'label' column; columns are {brief_list(frame.columns)}")
    labels = frame["label"]
    colors: dict[str, str] = {}
    if isinstance(labels.dtype, pd.CategoricalDtype):
        colors = {str(c): "" for c in labels.cat.categories}  # keeps the class order
    colors.update({c["name"]: c["color"] for c in frame.attrs.get("embedviz_classes", [])})
    if "color" in frame.columns:
        pairs = frame.loc[labels.notna(), ["label", "color"]].astype(object).drop_duplicates("label")
        colors.update({str(k): c for k, c in zip(pairs["label"], pairs["color"], strict=False) if isinstance(c, str)})
    return labels.astype(object), {k: (v or None) for k, v in colors.items()}  # type: ignore[misc]


def _as_name(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, np.generic):
        return str(value.item())
    return str(value)


def _match_index(index: pd.Index, ids: pd.Index) -> pd.Index:
    """Bring ``index`` to the dtype of the store's ids (CSV reads ids as text)."""
    if pd.api.types.is_integer_dtype(ids.dtype) and not pd.api.types.is_integer_dtype(index.dtype):
        try:
            return pd.Index(pd.to_numeric(index.to_numpy(), errors="raise").astype(np.int64), name=index.name)
        except (ValueError, TypeError):
            return index
    if not pd.api.types.is_integer_dtype(ids.dtype) and pd.api.types.is_integer_dtype(index.dtype):
        return index.astype(str)
    return index


def align_labels(values: Any, ids: pd.Index, n: int) -> tuple[np.ndarray, list[str]]:
    """Sorted positions and label names of the non-missing entries of ``values``."""
    if isinstance(values, pd.DataFrame):
        if "label" not in values.columns:
            raise ValueError(f"a DataFrame to import needs a 'label' column; columns are {brief_list(values.columns)}")
        values = values["label"]
    if isinstance(values, pd.Series):
        index = _match_index(values.index, ids)
        if not index.is_unique:
            raise ValueError("the labels to import have duplicated ids; each point may appear once")
        positions = ids.get_indexer(index)
        if (positions < 0).any():
            missing = brief_list(index[positions < 0][:5])
            raise DataMismatchError(
                f"{int((positions < 0).sum())} ids of the labels to import are not in this store's data, "
                f"e.g. {missing}; import labels for this data only"
            )
        raw = values.to_numpy(dtype=object)
    else:
        raw = np.asarray(values, dtype=object)
        if raw.ndim != 1 or raw.size != n:
            raise ValueError(f"labels to import need one entry per point ({n}), got shape {raw.shape}; "
                             "or pass a Series indexed by the ids")
        positions = np.arange(n)
    keep = ~pd.isna(raw)
    positions, raw = positions[keep].astype(np.int64), raw[keep]
    order = np.argsort(positions, kind="stable")
    return positions[order], [_as_name(v) for v in raw[order]]
