"""What the access service hands out: user and session views, token and session ids."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from smartpdu.access.roles import Principal, Role
from smartpdu.model.accounts import session_public_id

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


session_id = session_public_id
"""Public id of a session (:func:`smartpdu.model.accounts.session_public_id`)."""
