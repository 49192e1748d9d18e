"""The Explorer as one HTML file to share: the map as coloured now, the label chips, and
hover previews (text as text; image thumbnails up to a limit)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..widget.preview import image_data_uri, snippet
from ..widget.standalone import page_html
from .context import fields
from .view import _text_color

if TYPE_CHECKING:
    from .core import Explorer


def explorer_page(ex: Explorer, *, title: str | None, max_images: int) -> str:
    """The self-contained page of ``ex`` (see ``Explorer.save_html``)."""
    d, store = ex.session.data, ex.store
    codes, classes = store.codes(), store.classes
    counts = store.counts()
    chips = [{"text": f"{c} ({int(counts.get(c, 0)):,})", "color": store.colors[c],
              "fg": _text_color(store.colors[c])} for c in classes]
    names = np.asarray(classes + ["unlabelled"], dtype=object)[codes]  # -1: the last
    texts = ([t for _, batch in d.iter_texts() for t in batch] if d.text_column else None)
    columns = ex.session.preview  # the columns picked with preview=[...], one line each
    previews = [f"#{i} · {names[i]}"
                + "".join(f"\n{c}: {v}" for c, v in fields(d.frame, columns, i))
                + (f"\n{snippet(texts[i])}" if texts else "") for i in range(d.n)]
    images: list[str | None] | None = None
    if d.image_column is not None and d.n <= max_images:
        images = []
        for value in d.cells_at(d.image_column, np.arange(d.n)):
            try:
                images.append(image_data_uri(value, size=96))
            except Exception:  # an unreadable image: its preview shows text only
                images.append(None)
    n_lab = int((codes >= 0).sum())
    head = title or f"{d.n:,} points · {len(classes)} labels · {n_lab:,} labelled"
    note = (f"Coloured by {ex.view.color_by}. Drag to lasso (the count shows under the "
            "map), wheel to zoom, P to pan. Saved by embedviz.")
    return page_html(ex.scatter, title=head, chips=chips, previews=previews,
                     images=images, note=note)
