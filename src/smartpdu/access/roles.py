"""Roles, permissions and the authenticated principal: one table decides who may do what."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

__all__ = ["ROLE_PERMISSIONS", "Permission", "Principal", "Role"]


class Role(StrEnum):
    """A user's role; each grants a fixed set of :class:`Permission`."""

    ADMIN = "admin"
    OPERATOR = "operator"
    VIEWER = "viewer"
    AUDITOR = "auditor"
    """Reads everything and verifies/exports the audit and access logs; changes nothing."""
    REMOTE_HANDS = "remote-hands"
    """Unlocks levers and nothing else, and only within the windows of its schedule."""


class Permission(StrEnum):
    """What a request needs; routes check exactly one of these."""

    READ = "read"
    """Read measurements, state, events, history and configuration."""
    CONTROL = "control"
    """Switch outlets and operate levers."""
    UNLOCK = "unlock"
    """Unlock and lock rack levers (remote-hands have this and nothing else)."""
    CONFIGURE = "configure"
    """Change configuration and calibration, reset energy registers."""
    MANAGE_USERS = "manage_users"
    """Create, change and delete user accounts."""
    AUDIT = "audit"
    """Verify and export the audit log."""


ROLE_PERMISSIONS: Final = MappingProxyType(
    {
        Role.VIEWER: frozenset({Permission.READ}),
        Role.AUDITOR: frozenset({Permission.READ, Permission.AUDIT}),
        Role.REMOTE_HANDS: frozenset({Permission.UNLOCK}),
        Role.OPERATOR: frozenset({Permission.READ, Permission.CONTROL, Permission.UNLOCK}),
        Role.ADMIN: frozenset(Permission),
    }
)
"""Role → permissions granted (read-only)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: an authenticated user and their role."""

    username: str
    role: Role

    @property
    def actor(self) -> str:
        """The actor string recorded in events (``user/alice``)."""
        return f"user/{self.username}"

    def can(self, permission: Permission) -> bool:
        """Return whether this principal's role grants ``permission``."""
        return permission in ROLE_PERMISSIONS[self.role]
