"""Access-control errors; their messages are safe to show to the caller."""

from __future__ import annotations

__all__ = [
    "AccessError",
    "AuthError",
    "LastAdminError",
    "LoginThrottledError",
    "UserExistsError",
    "UserNotFoundError",
]


class AccessError(Exception):
    """Base of access-control errors; messages are safe to show to the caller."""


class AuthError(AccessError):
    """Login failed: unknown user, wrong password or disabled account (deliberately vague)."""


class LoginThrottledError(AuthError):
    """Too many failed logins for this name; try again after ``retry_after_s``."""

    def __init__(self, retry_after_s: float) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(f"too many failed logins; try again in {retry_after_s:.0f} s")


class UserExistsError(AccessError):
    """A user with this name already exists."""


class UserNotFoundError(AccessError, LookupError):
    """No user with this name."""


class LastAdminError(AccessError):
    """The change would leave no enabled administrator."""
