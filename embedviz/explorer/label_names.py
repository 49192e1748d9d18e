"""Label names as the Explorer takes them: trimmed and checked, told apart from a name that
differs only in case, and created on first use."""
from __future__ import annotations

from typing import Any

from ..labels.validate import check_name


def clean_name(name: Any) -> str:
    """A typed label name as the store keeps it (trimmed, checked, NFC).

    Parameters
    ----------
    name : str
        What the user typed.

    Returns
    -------
    str
        The name to store.

    Raises
    ------
    ValueError, TypeError
        For an empty, overlong or non-text name.
    """
    return check_name(name.strip() if isinstance(name, str) else name)


def case_twin(classes: list[str], name: str, *, besides: str | None = None) -> str | None:
    """The label in ``classes``, other than ``name`` itself and ``besides``, whose name
    differs from ``name`` only in case; None when there is none (an exact clash the store
    reports itself)."""
    folded = name.casefold()
    return next((c for c in classes if c not in (name, besides) and c.casefold() == folded),
                None)


def ensure_label(store: Any, lock: Any, name: str, *, create: bool) -> str:
    """``name`` cleaned, created in ``store`` (under ``lock``) when missing and ``create``.

    Raises
    ------
    UnknownLabelError
        When the label is missing and ``create`` is False.
    """
    clean = clean_name(name)
    if clean in store.classes:
        return clean
    if not create:
        from ..labels.errors import UnknownLabelError

        raise UnknownLabelError(clean, store.classes)
    with lock:
        store.create_label(clean)
    return clean
