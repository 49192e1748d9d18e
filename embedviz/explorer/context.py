"""What a point says beyond its text or image: the data columns its preview shows
(``Explorer(preview=[...])``) and the short text of its tooltip on the map.

No compute and no widgets: :func:`preview_columns` runs with the other input checks, before
anything is embedded or mapped. Every value leaves here as plain text; the browser sets it
with ``textContent``, never as HTML.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..widget.preview import shortened
from .dataset import ExplorerData

#: Columns shown by default for data without a text column (e.g. the true digit beside a
#: digit thumbnail): enough to tell items apart, few enough to keep the preview short.
DEFAULT_COLUMNS = 3
#: Characters of one column's value in a preview (a longer value ends in '…').
FIELD_CHARS = 80
#: Characters of a tooltip on the map: one line over the points, not a paragraph.
TOOLTIP_CHARS = 80
#: The shortest tooltip worth sending; below it the tooltips are left out (see tooltips()).
MIN_TOOLTIP_CHARS = 24
#: Bytes a tooltip column may cost per byte of the map's positions (see tooltips()).
TOOLTIP_BYTES_PER_XY_BYTE = 12


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (list, tuple, dict, set, np.ndarray, pd.Series)) and not (
        hasattr(value, "size") and hasattr(value, "mode"))  # a PIL image


def preview_columns(preview: Any, data: ExplorerData,
                    embedding_column: str | None = None) -> tuple[Any, ...]:
    """The columns each point's preview shows, checked against the data.

    Parameters
    ----------
    preview : str, sequence of str, or None
        Column names; None picks the default: none for data with a text column, else the
        first ``DEFAULT_COLUMNS`` columns holding single values (not the image or
        embedding column).
    data : ExplorerData
        The validated data.
    embedding_column : str, optional
        The embedding's column, never a default.

    Returns
    -------
    tuple
        The column names, in the given order, without repeats and without the text or
        image column (the preview shows those already).

    Raises
    ------
    KeyError
        Unknown columns: the message names them and lists the data's columns.
    TypeError
        ``preview`` is not a column name or a list of them.

    Examples
    --------
    >>> import pandas as pd
    >>> from embedviz.explorer.dataset import resolve_data
    >>> d = resolve_data(pd.DataFrame({"t": ["a", "b", "c"], "k": [1, 2, 3]}), text="t")
    >>> preview_columns(["k"], d)
    ('k',)
    """
    frame = data.frame
    shown = {data.text_column, data.image_column} - {None}
    if preview is None:
        if data.text_column is not None:
            return ()
        first = frame.iloc[0] if len(frame) else None
        picks = [c for c in frame.columns
                 if c not in shown and c != embedding_column
                 and first is not None and _is_scalar(first[c])]
        return tuple(picks[:DEFAULT_COLUMNS])
    names = [preview] if isinstance(preview, str) else preview
    if not isinstance(names, Sequence) or isinstance(names, bytes):
        raise TypeError(f"preview= takes a list of column names (e.g. preview=['name', "
                        f"'package']); got {type(preview).__name__}.")
    unknown = [c for c in names if c not in frame.columns]
    if unknown:
        raise KeyError(f"preview= names column(s) the data does not have: "
                       f"{[str(c) for c in unknown]}; the data has columns "
                       f"{[str(c) for c in frame.columns]}.")
    return tuple(dict.fromkeys(c for c in names if c not in shown))


def field_text(value: Any, limit: int = FIELD_CHARS) -> str:
    """One cell as one line of plain text: numbers compact, missing values as '—'."""
    if isinstance(value, str):  # first: the common case, per row at a million rows
        return shortened(" ".join(value[: 4 * limit].split()), limit)
    if value is None or (np.ndim(value) == 0 and _missing(value)):
        return "—"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    return shortened(" ".join(str(value).split()), limit)


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def fields(frame: pd.DataFrame, columns: Sequence[Any], i: int) -> list[tuple[str, str]]:
    """``(column, value)`` pairs of row position ``i``, as text."""
    return [(str(c), field_text(frame[c].iat[i])) for c in columns]


def tooltips(data: ExplorerData, columns: Sequence[Any]) -> list[str] | None:
    """One short line per point for the map's tooltip, or None to leave the tooltip out.

    The line is the first preview column's value and the text (``"name: text…"``), or, for
    data without text, the first two preview columns (``"digit: 5"``); at most
    ``TOOLTIP_CHARS`` characters.

    The tooltip column travels with the positions in the message that draws the map, so
    its size delays the first picture at any number of points. Its budget comes from the
    data: at most ``TOOLTIP_BYTES_PER_XY_BYTE`` times the positions' bytes (8 a point:
    96 bytes, an 80-character line of ASCII and its offset). Texts in scripts with wider
    UTF-8 characters are cut shorter to fit; below ``MIN_TOOLTIP_CHARS`` characters a
    tooltip says too little, so the column is left out and hovering a point shows it in
    the preview panel instead (the map's tooltip then names the point's number).

    Parameters
    ----------
    data : ExplorerData
        The validated data.
    columns : sequence
        The preview columns (see :func:`preview_columns`).

    Returns
    -------
    list of str or None
    """
    frame, n = data.frame, data.n
    # only the start of each text can show: collapsing the white space of whole texts took
    # most of the time at a million rows
    room = 2 * TOOLTIP_CHARS
    # texts left on disk (a Parquet dataset) are not read whole for the tooltip: hovering
    # a point reads its text for the preview panel instead
    if data.text_column is not None and data.text_column in frame.columns:
        texts = [" ".join(str(t)[:room].split()) for t in frame[data.text_column].tolist()]
        if columns:
            heads = [field_text(v, 40) for v in frame[columns[0]].tolist()]
            lines = [f"{h}: {t}" for h, t in zip(heads, texts)]
        else:
            lines = texts
    elif columns:
        parts = [(str(c), [field_text(v, 40) for v in frame[c].tolist()]) for c in columns[:2]]
        lines = [" · ".join(f"{c}: {v[i]}" for c, v in parts) for i in range(n)]
    else:
        return None
    budget = TOOLTIP_BYTES_PER_XY_BYTE * 8 * n  # float32 x and y a point
    limit = TOOLTIP_CHARS
    while limit >= MIN_TOOLTIP_CHARS:
        out = [line if len(line) <= limit else shortened(line, limit) for line in lines]
        size = len("".join(out).encode("utf-8")) + 4 * n  # + uint32 end offsets
        if size <= budget:
            return out
        limit = min(limit - 1, int(limit * budget / size))
    return None
