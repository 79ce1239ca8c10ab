"""Durable EventService subscriptions, kept through the port (``RackPort.subscriptions``).

The store (tables of migration 6) holds each subscription and a persisted monotonic id counter,
so concurrent creates never share an id and an id is never reused after a delete, even across
restarts. Delivery cursors live in the outbox; the ``redfish/cursor/{id}/{pdu}`` kv rows of
earlier releases are moved into it by migration 8 (``storage/state_upgrade.py``).
"""

from __future__ import annotations

from typing import Final

from smartpdu.model.subscriptions import SubscriptionRecord
from smartpdu.runtime.subscription_book import SubscriptionBook

__all__ = [
    "MAX_CONTEXT_CHARS",
    "MAX_DESTINATION_CHARS",
    "MAX_SUBSCRIPTIONS",
    "Subscription",
    "SubscriptionLimitError",
    "SubscriptionStore",
]

MAX_SUBSCRIPTIONS: Final = 64
"""Each subscription is one delivery task and one copy of every event on the wire."""
MAX_CONTEXT_CHARS: Final = 256
MAX_DESTINATION_CHARS: Final = 2048

Subscription = SubscriptionRecord
"""One subscription: id, destination URI, context, owner and creation time (as stored)."""


class SubscriptionLimitError(Exception):
    """Raised by :meth:`SubscriptionStore.allocate_id` when ``MAX_SUBSCRIPTIONS`` exist."""


class SubscriptionStore:
    """CRUD of subscriptions with never-reused ids and the Redfish limit (async).

    Create through :meth:`smartpdu.redfish.EventDelivery.subscribe`, which seeds the outbox
    cursors between :meth:`allocate_id` and :meth:`save` (else history would be replayed).
    """

    def __init__(self, book: SubscriptionBook, *, limit: int = MAX_SUBSCRIPTIONS) -> None:
        self._book = book
        self.limit = limit

    async def list(self) -> list[Subscription]:
        return await self._book.list()

    async def get(self, sid: str) -> Subscription | None:
        return await self._book.get(sid)

    async def allocate_id(self) -> str:
        """Reserve the next id (persisted before it is returned, so it is never handed out twice).

        Raises :class:`SubscriptionLimitError` when ``limit`` subscriptions already exist.
        """
        sid = await self._book.allocate_id(self.limit)
        if sid is None:
            raise SubscriptionLimitError(f"{self.limit} subscriptions exist (limit {self.limit})")
        return sid

    async def save(self, sub: Subscription) -> None:
        """Create or replace ``sub`` (its id must come from :meth:`allocate_id`)."""
        await self._book.save(sub)

    async def delete(self, sid: str) -> bool:
        """Delete subscription ``sid``; False when it did not exist (already deleted)."""
        return await self._book.delete(sid)
