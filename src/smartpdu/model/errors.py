"""Errors a repository raises, defined below every repository protocol and implementation.

A domain package catches them through its own repository protocol (``access/`` on a duplicate
user) without importing ``storage/``; the stores raise the very same classes.
"""

from __future__ import annotations

__all__ = ["ConflictError", "NotFoundError", "StoreError"]


class StoreError(RuntimeError):
    """Base class of storage errors; the message says what failed and what to do."""


class ConflictError(StoreError):
    """A row with this key already exists (user, session, or an event sequence_id)."""


class NotFoundError(StoreError, LookupError):
    """The row to update does not exist."""
