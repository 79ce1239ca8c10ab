"""User and session rows: plain frozen data shared by the access domain and the stores.

They live on the bottom floor so that ``access/`` (which decides) and ``storage/`` (which keeps
them) both depend on them without ``access/`` depending on ``storage/``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = ["SessionRecord", "UserRecord", "UserRepository", "session_public_id"]


def session_public_id(token_hash: str) -> str:
    """Public id of a session (Redfish ``Sessions/{id}``, REST ``/sessions/{id}``): derived from,
    but not revealing, the token hash, so logging out by token finds the row without a lookup.
    The stores keep it in ``sessions.session_id`` (migration 8) to find a session by it."""
    return hashlib.sha256(f"session:{token_hash}".encode()).hexdigest()[:16]


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
    interface: str = "api"
    """Where the session was opened (``api``, ``redfish``, ``ui``): shown in session lists."""

    @property
    def id(self) -> str:
        """The public session id (:func:`session_public_id`)."""
        return session_public_id(self.token_hash)


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

    def create_session(self, session: SessionRecord) -> None:
        """Insert a session (with its public id and interface); ConflictError on a duplicate."""
        ...

    def get_session(self, token_hash: str) -> SessionRecord | None: ...

    def find_session(self, session_id: str) -> SessionRecord | None:
        """The session with public id ``session_id`` (expired or not), or None."""
        ...

    def list_sessions(self, now: datetime) -> list[SessionRecord]:
        """Sessions with ``expires_utc > now``, oldest first (ties by public id)."""
        ...

    def delete_session(self, token_hash: str) -> bool: ...

    def delete_user_sessions(self, username: str) -> int: ...

    def purge_sessions(self, now: datetime) -> int:
        """Delete sessions with ``expires_utc <= now``; return how many."""
        ...
