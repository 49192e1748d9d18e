"""Errors raised by the label store; each message names the fix."""
from __future__ import annotations

from embedviz.common import brief, brief_list


class LabelStoreError(Exception):
    """Base class of every label-store error."""


class NotAStoreError(LabelStoreError):
    """The file is not an embedviz label store (or is corrupted); it is left untouched."""


class StoreLockedError(LabelStoreError):
    """Another LabelStore (in this or another process) holds the store for writing."""


class ReadOnlyError(LabelStoreError):
    """A write was attempted on a store opened with ``readonly=True``."""


class DataMismatchError(LabelStoreError):
    """The data (ids, length or fingerprint) does not match the data the store was made for."""


class UnknownLabelError(LabelStoreError, KeyError):
    """A label name that is not among the store's classes.

    It is also a ``KeyError``, so ``except KeyError`` catches it.

    Parameters
    ----------
    name_or_message : str
        The whole message, or the unknown name when ``known`` is given.
    known : list of str, optional
        The known label names; with them the standard message is built (a long name or list
        is cut short, see :func:`~embedviz.labels.validate.brief_list`).

    Examples
    --------
    >>> from embedviz.labels import UnknownLabelError
    >>> str(UnknownLabelError("spm", ["ham", "spam"]))
    "Unknown label 'spm'; known labels: ['ham', 'spam']"
    """

    def __init__(self, name_or_message: str, known: list[str] | None = None) -> None:
        if known is not None:
            name_or_message = f"Unknown label {brief(name_or_message)}; known labels: {brief_list(known)}"
        super().__init__(name_or_message)

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return str(self.args[0]) if self.args else ""
