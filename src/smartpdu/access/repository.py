"""The store access needs, as its own protocol: accounts and login sessions.

``access/`` is domain logic and must not import ``storage/``; it names exactly the methods it
calls here, and every real store (SQLite, PostgreSQL) satisfies the protocol structurally, which
mypy checks where the composition root hands a ``Store`` to :class:`AuthService`. Methods are
synchronous; the service calls them from worker threads.
"""

from __future__ import annotations

from typing import Protocol

from smartpdu.model.accounts import UserRepository

__all__ = ["AccountStore"]


class AccountStore(UserRepository, Protocol):
    """Users and login sessions (sessions found by public id and listed live, migration 8)."""
