"""The store access needs, as its own protocol: accounts, sessions and the session index's keys.

``access/`` is domain logic and must not import ``storage/``; it names exactly the methods it
calls here, and every real store (SQLite, PostgreSQL) satisfies the protocol structurally, which
mypy checks where the composition root hands a ``Store`` to :class:`AuthService`. Methods are
synchronous; the service calls them from worker threads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from smartpdu.model.accounts import SessionRecord, UserRecord

__all__ = ["AccountStore"]


class AccountStore(Protocol):
    """Users, login sessions and the key/value rows of the session index."""

    def create_user(self, user: UserRecord) -> None:
        """Insert a user; :class:`~smartpdu.model.errors.ConflictError` if the name exists."""
        ...

    def get_user(self, username: str) -> UserRecord | None: ...

    def list_users(self) -> list[UserRecord]: ...

    def update_user(
        self,
        username: str,
        *,
        role: str | None = None,
        password_hash: str | None = None,
        disabled: bool | None = None,
    ) -> UserRecord:
        """Change the given fields; :class:`~smartpdu.model.errors.NotFoundError` if absent."""
        ...

    def delete_user(self, username: str) -> bool:
        """Delete a user and its sessions; return whether it existed."""
        ...

    def create_session(self, session: SessionRecord) -> None: ...

    def get_session(self, token_hash: str) -> SessionRecord | None: ...

    def delete_session(self, token_hash: str) -> bool: ...

    def delete_user_sessions(self, username: str) -> int: ...

    def purge_sessions(self, now: datetime) -> int:
        """Delete sessions with ``expires_utc <= now``; return how many."""
        ...

    def kv_get(self, key: str) -> str | None: ...

    def kv_set(self, key: str, value: str) -> None: ...

    def kv_delete(self, key: str) -> bool: ...

    def kv_items(self, prefix: str = "") -> dict[str, str]:
        """All pairs whose key starts with ``prefix``."""
        ...
