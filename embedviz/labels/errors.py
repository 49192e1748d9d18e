"""Errors raised by the label store; each message names the fix."""
from __future__ import annotations


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
    """A label name that is not among the store's classes."""

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return str(self.args[0]) if self.args else ""
