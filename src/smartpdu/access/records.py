"""What the access service hands out: user and session views, token and session ids."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from smartpdu.access.roles import Principal, Role

__all__ = ["SessionInfo", "SessionView", "UserInfo", "session_id", "token_hash"]


@dataclass(frozen=True, slots=True)
class UserInfo:
    """A user account as shown to administrators (never the hash)."""

    username: str
    role: Role
    created_utc: datetime
    disabled: bool


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """A new session: the token (shown once) and when it expires."""

    token: str
    expires_utc: datetime
    principal: Principal


@dataclass(frozen=True, slots=True)
class SessionView:
    """A live session as listed to its owner or an administrator (never the token)."""

    id: str
    username: str
    created_utc: datetime
    expires_utc: datetime
    interface: str


def token_hash(token: str) -> str:
    """Return the SHA-256 hex digest under which a session token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def session_id(token_hash_: str) -> str:
    """Public id of a session (Redfish ``Sessions/{id}``): derived from, but not revealing, the
    token hash, so logging out by token finds the index entry without a lookup."""
    return hashlib.sha256(f"session:{token_hash_}".encode()).hexdigest()[:16]
