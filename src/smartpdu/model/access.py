"""Rack access records: lever credentials of a user and rows of the access log.

Plain data shared by ``access/`` (policy), ``storage/`` (tables of migration 10) and the
interfaces. Secrets never appear here in clear: a PIN is an argon2id hash, a card id a keyed
SHA-256 digest (cards are looked up by digest, so it must be deterministic; the key keeps a
stolen database from being checked against a list of card numbers offline without the data dir).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

__all__ = [
    "AccessEntry",
    "AccessMethod",
    "AccessQuery",
    "AccessRepository",
    "AccessResult",
    "LeverCredential",
]


class AccessMethod(StrEnum):
    """How someone asked for (or got) access."""

    PIN = "pin"
    CARD = "card"
    API = "api"
    REDFISH = "redfish"
    CLI = "cli"
    EMERGENCY = "emergency"
    FORCED = "forced"
    LOCAL = "local"
    """Unlocked at the lever itself (mechanical override key): not through the controller."""


class AccessResult(StrEnum):
    GRANTED = "granted"
    DENIED = "denied"
    PENDING = "pending"
    """First of two credentials under the two-person rule."""
    FORCED = "forced"


@dataclass(frozen=True, slots=True)
class AccessEntry:
    """One row of the access log: an attempt, a grant, a visit (with its door-open time)."""

    timestamp_utc: str
    lever_id: str
    actor: str
    method: AccessMethod
    result: AccessResult
    reason: str = ""
    opened_utc: str | None = None
    closed_utc: str | None = None
    open_s: float | None = None
    """How long the door (handle) was open; None while still open or never opened."""
    command_id: str | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class AccessQuery:
    """Filters of the access log (all optional, combined with AND)."""

    lever_id: str | None = None
    actor: str | None = None
    method: str | None = None
    result: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 1000


@dataclass(frozen=True, slots=True)
class LeverCredential:
    """A user's physical credentials and the windows in which they may open a lever."""

    username: str
    pin_hash: str | None = None
    card_digest: str | None = None
    schedule: tuple[str, ...] = field(default_factory=tuple)
    """Windows like ``mon-fri 08:00-18:00`` (empty: any time), in ``tz``."""
    tz: str = "UTC"
    updated_utc: str = ""


class AccessRepository(Protocol):
    """Migration 10's tables: lever credentials and the access log (synchronous, durable)."""

    def get_credential(self, username: str) -> LeverCredential | None: ...

    def credential_by_card(self, card_digest: str) -> LeverCredential | None: ...

    def save_credential(self, cred: LeverCredential) -> None: ...

    def delete_credential(self, username: str) -> bool: ...

    def append_access(self, entry: AccessEntry) -> int:
        """Store one row; return its id."""
        ...

    def update_access(
        self, entry_id: int, opened_utc: str | None, closed_utc: str | None, open_s: float | None
    ) -> None:
        """Record a visit's door opening, then its closing and how long it was open (None
        leaves a column as it is)."""
        ...

    def access_log(self, query: AccessQuery) -> list[AccessEntry]:
        """Rows matching ``query``, oldest first."""
        ...
