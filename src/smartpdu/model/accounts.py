"""User and session rows: plain frozen data shared by the access domain and the stores.

They live on the bottom floor so that ``access/`` (which decides) and ``storage/`` (which keeps
them) both depend on them without ``access/`` depending on ``storage/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = ["SessionRecord", "UserRecord", "UserRepository"]


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A user account; ``password_hash`` is an argon2 encoded hash, never a password."""

    username: str
    role: str
    password_hash: str
    created_utc: datetime
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A login session; only the token's hash is stored."""

    token_hash: str
    username: str
    created_utc: datetime
    expires_utc: datetime


class UserRepository(Protocol):
    """User accounts and login sessions, as every store keeps them (``storage/``) and ``access/``
    uses them; ConflictError/NotFoundError are :mod:`smartpdu.model.errors`'."""

    def create_user(self, user: UserRecord) -> None:
        """Insert a user; ConflictError if the username exists."""
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
        """Change the given fields; NotFoundError if the user does not exist."""
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
