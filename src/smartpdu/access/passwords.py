"""Password hashing (argon2id) and the one password/username policy; no default passwords exist.

The policy (:func:`check_password_policy`) is the only place that decides whether a password is
acceptable; REST, Redfish and the CLI all call it and show its message, and Redfish advertises
``MinPasswordLength`` from :data:`MIN_PASSWORD_LENGTH`. A password must have 12 to 256
characters, must not be a common password (a bundled list, compared case-insensitively, also
with trailing digits and punctuation removed) and must not be the user name (with or without digits appended).
"""

from __future__ import annotations

import functools
import re
import secrets
from importlib import resources
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
    "is_common_password",
    "needs_rehash",
    "verify_password",
]

MIN_PASSWORD_LENGTH: Final = 12
MAX_PASSWORD_LENGTH: Final = 256
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,31}$")
_HASHER: Final = PasswordHasher()


class PolicyError(ValueError):
    """A username or password does not meet the policy; the message says what is required.

    ``rule`` names the rule broken: ``username`` (the name's format), ``length``, ``common`` or
    ``same_as_username`` (the password's), so each interface can map it to its own error code.
    """

    def __init__(self, message: str, rule: str = "password") -> None:
        super().__init__(message)
        self.rule = rule


def check_username(username: str) -> str:
    """Return ``username`` if valid (1–32 of a-z 0-9 . _ -, starting alphanumeric)."""
    if not _USERNAME.fullmatch(username):
        raise PolicyError(
            f"invalid username {username[:40]!r}: use 1-32 characters a-z, 0-9, '.', '_' or '-', "
            "starting with a letter or digit",
            "username",
        )
    return username


@functools.cache
def _common() -> frozenset[str]:
    text = resources.files("smartpdu.access").joinpath("common_passwords.txt")
    lines = text.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip().casefold() for w in lines if w.strip() and not w.startswith("#"))


_DECORATION = re.compile(r"[\d\W_]+$")


def is_common_password(password: str) -> bool:
    """Return whether ``password`` is on the bundled list, as is or with digits/punctuation
    appended (``Password1234!`` is ``password``)."""
    folded = password.casefold()
    common = _common()
    if folded in common:
        return True
    base = _DECORATION.sub("", folded)
    return len(base) >= 4 and base in common


def check_password_policy(password: str, username: str | None = None) -> str:
    """Return ``password`` if it meets the policy, else raise :class:`PolicyError` saying why."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PolicyError(
            f"password too short: use at least {MIN_PASSWORD_LENGTH} characters "
            f"(got {len(password)})",
            "length",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PolicyError(
            f"password too long: use at most {MAX_PASSWORD_LENGTH} characters", "length"
        )
    folded = password.casefold()
    if username and username.casefold() in (folded, _DECORATION.sub("", folded)):
        raise PolicyError("password must not be the user name", "same_as_username")
    if is_common_password(password):
        raise PolicyError(
            "password is too common (on the list of common passwords): choose another", "common"
        )
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
