"""The store access needs, as its own protocol: accounts, sessions and the session index's keys.

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
    """Users, login sessions and the key/value rows of the session index."""

    def kv_get(self, key: str) -> str | None: ...

    def kv_set(self, key: str, value: str) -> None: ...

    def kv_delete(self, key: str) -> bool: ...

    def kv_items(self, prefix: str = "") -> dict[str, str]:
        """All pairs whose key starts with ``prefix``."""
        ...
