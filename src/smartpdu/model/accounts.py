"""User and session rows: plain frozen data shared by the access domain and the stores.

They live on the bottom floor so that ``access/`` (which decides) and ``storage/`` (which keeps
them) both depend on them without ``access/`` depending on ``storage/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["SessionRecord", "UserRecord"]


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
