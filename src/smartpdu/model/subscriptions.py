"""Push subscriptions (Redfish EventService today): the row and the repository protocol.

On the bottom floor so that ``storage/`` (which keeps the rows) and the runtime's port (which
hands them to interfaces) share them, and no interface needs ``storage/`` to name a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["SubscriptionRecord", "SubscriptionRepository"]


@dataclass(frozen=True, slots=True)
class SubscriptionRecord:
    """One EventService subscription as stored (``id`` is the decimal id of its URI)."""

    id: str
    destination: str
    context: str | None
    owner: str
    created_utc: str


class SubscriptionRepository(Protocol):
    """Redfish EventService subscriptions with ids that are never handed out twice
    (synchronous: the port calls it from a worker thread)."""

    def list(self) -> list[SubscriptionRecord]:
        """Every subscription, ordered by numeric id."""
        ...

    def get(self, sid: str) -> SubscriptionRecord | None: ...

    def allocate_id(self, limit: int) -> str | None:
        """Persist and return the next id; None when ``limit`` subscriptions exist."""
        ...

    def save(self, sub: SubscriptionRecord) -> None:
        """Create or replace ``sub`` (its id must come from :meth:`allocate_id`)."""
        ...

    def delete(self, sid: str) -> bool:
        """Delete ``sid``; False when it did not exist."""
        ...
