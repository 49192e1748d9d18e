"""Opening the label file for an Explorer: checked against the data before any compute,
and taken over from an older Explorer on the same file in this kernel."""
from __future__ import annotations

import weakref
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .dataset import ExplorerData
from .signature import row_signature, signature_agrees

# The Explorer holding each label file in this kernel. Re-running the cell that makes an
# Explorer must not fail on the single-writer lock: the newer Explorer takes the file over.
_HOLDERS: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()


def check_label_file(path: Any, data: ExplorerData) -> tuple[str, str | None]:
    """Fail fast, before any compute and without touching the Explorer that holds the file:
    ``path`` must be a file path, and an existing file must belong to this data, in this
    order. Returns the path and the fingerprint to open it with."""
    import os

    from ..labels.errors import DataMismatchError
    from ..labels.ids import POSITIONAL, normalize_ids
    from ..labels.store import LabelStore

    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"label_file= is the path of the SQLite label file (e.g. "
                        f"label_file='my.embedviz.db'), got {type(path).__name__}.")
    check_label_folder(path)
    ids = normalize_ids(data.ids)
    positional = ids is not None and ids.kind == POSITIONAL  # as the store decides
    cells = identifying_cells(data)
    if not Path(path).expanduser().exists():
        fingerprint = row_signature(cells, data.embedding, data.n) if positional else None
        return str(path), fingerprint
    with LabelStore(path, ids=data.ids, readonly=True) as store:  # no writer lock taken
        stored, n_stored = store.fingerprint, store.n
    if not positional:
        return str(path), None  # the ids themselves tie labels to rows
    if stored is None:  # made before signatures: adopt this data's
        return str(path), row_signature(cells, data.embedding, min(n_stored, data.n))
    if signature_agrees(stored, cells, data.embedding) is False:
        raise DataMismatchError(
            f"{path} holds labels for rows in another order: most sampled rows of this data "
            "differ from the rows the labels were made for (sorted, shuffled or filtered?). "
            "Labels follow row positions when the data has the default index; pass the rows "
            "in their first order, give the frame an id column as its index before labelling, "
            "or pass a new label_file= path.")
    return str(path), stored


def check_label_folder(path: Any) -> None:
    """The label file's folder must exist and take new files (the store writes the file and
    its journal there); raises naming the folder and the fix.

    Raises
    ------
    FileNotFoundError
        The folder does not exist.
    PermissionError
        The folder (or an existing file) cannot be written.
    """
    import os

    target = Path(path).expanduser()
    folder = target.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"The label file's folder {str(folder)!r} does not exist; "
                                f"create it (os.makedirs({str(folder)!r})) or pass a label_file= "
                                "path in an existing folder.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(f"The label file's folder {str(folder)!r} is not writable; pass "
                              "a label_file= path in a folder you can write to.")
    if target.exists() and not os.access(target, os.W_OK):
        raise PermissionError(f"The label file {str(target)!r} is read-only; make it "
                              "writable or pass another label_file= path.")


def identifying_cells(data: ExplorerData) -> pd.Series | None:
    """The column that says which item a row is: its text, else its image, else None
    (the embedding then stands for it)."""
    column = data.text_column or data.image_column
    if column is None or column not in data.frame.columns:
        # Parquet data keeps texts and images on disk; its embedding (always given) signs
        # the rows instead, so opening the label file reads no text
        return None
    return data.frame[column]


def open_store(path: str, ids: np.ndarray, fingerprint: str | None, owner: Any) -> Any:
    from ..labels.store import LabelStore

    key = str(Path(path).expanduser().resolve())
    previous = _HOLDERS.get(key)
    if previous is not None and previous is not owner:
        previous._detach()
    store = LabelStore(path, ids=ids, fingerprint=fingerprint)
    _HOLDERS[key] = owner
    return store


