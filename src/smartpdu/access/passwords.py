"""Password hashing (argon2id) and the password/username policy; no default passwords exist."""

from __future__ import annotations

import functools
import re
import secrets
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "PolicyError",
    "check_password_policy",
    "check_username",
    "dummy_hash",
    "generate_password",
    "hash_password",
    "needs_rehash",
    "verify_password",
]

MIN_PASSWORD_LENGTH: Final = 8
MAX_PASSWORD_LENGTH: Final = 256
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,31}$")
_HASHER: Final = PasswordHasher()


class PolicyError(ValueError):
    """A username or password does not meet the policy; the message says what is required."""


def check_username(username: str) -> str:
    """Return ``username`` if valid (1–32 of a-z 0-9 . _ -, starting alphanumeric)."""
    if not _USERNAME.fullmatch(username):
        raise PolicyError(
            f"invalid username {username[:40]!r}: use 1-32 characters a-z, 0-9, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return username


def check_password_policy(password: str) -> str:
    """Return ``password`` if it meets the length policy, else raise :class:`PolicyError`."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PolicyError(f"password too short: use at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PolicyError(f"password too long: use at most {MAX_PASSWORD_LENGTH} characters")
    return password


def generate_password() -> str:
    """Return a random password for first-run provisioning (≈96 bits)."""
    return secrets.token_urlsafe(12)


def hash_password(password: str) -> str:
    """Return the argon2id encoded hash of ``password`` (CPU-heavy: call off the event loop)."""
    return _HASHER.hash(password)


def verify_password(encoded: str, password: str) -> bool:
    """Check ``password`` against an argon2 hash; False on mismatch or a malformed hash."""
    try:
        return _HASHER.verify(encoded, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(encoded: str) -> bool:
    """Return whether a stored hash uses outdated parameters."""
    try:
        return _HASHER.check_needs_rehash(encoded)
    except InvalidHashError:
        return False


@functools.cache
def dummy_hash() -> str:
    """A real hash verified when the user does not exist, so failures take about the same time."""
    return hash_password(secrets.token_urlsafe(16))
