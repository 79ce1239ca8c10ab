"""The port's async view of the stored push subscriptions (Redfish EventService today).

Interfaces never hold the store: :attr:`RackPort.subscriptions
<smartpdu.runtime.port.RackPort.subscriptions>` hands out this wrapper, which runs each
blocking repository call in a worker thread (part of the port: the one place that does so).
"""

from __future__ import annotations

import asyncio

from smartpdu.model.subscriptions import SubscriptionRecord, SubscriptionRepository

__all__ = ["SubscriptionBook"]


class SubscriptionBook:
    """CRUD of subscriptions with never-reused ids, off the event loop."""

    def __init__(self, repo: SubscriptionRepository) -> None:
        self._repo = repo

    async def list(self) -> list[SubscriptionRecord]:
        """Every subscription, ordered by numeric id."""
        return await asyncio.to_thread(self._repo.list)

    async def get(self, sid: str) -> SubscriptionRecord | None:
        return await asyncio.to_thread(self._repo.get, sid)

    async def allocate_id(self, limit: int) -> str | None:
        """Reserve (persist) the next id; None when ``limit`` subscriptions exist."""
        return await asyncio.to_thread(self._repo.allocate_id, limit)

    async def save(self, sub: SubscriptionRecord) -> None:
        """Create or replace ``sub`` (its id must come from :meth:`allocate_id`)."""
        await asyncio.to_thread(self._repo.save, sub)

    async def delete(self, sid: str) -> bool:
        """Delete ``sid``; False when it did not exist."""
        return await asyncio.to_thread(self._repo.delete, sid)
