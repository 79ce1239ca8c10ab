"""Durable EventService subscriptions, kept in the store's subscription repository.

The repository (``Store.redfish_subscriptions``, tables of migration 6) holds each subscription
and a persisted monotonic id counter, so concurrent creates never share an id and an id is
never reused after a delete, even across restarts. Delivery cursors live in the outbox
(:mod:`smartpdu.events.outbox_store`); ``redfish/cursor/{id}/{pdu}`` kv keys are the cursors
of earlier releases, read once by :meth:`SubscriptionStore.legacy_cursors` when upgrading.

Synchronous: call through ``asyncio.to_thread``.
"""

from __future__ import annotations

from typing import Final

from smartpdu.storage.base import Store
from smartpdu.storage.subscription_repo import SubscriptionRecord

__all__ = [
    "LEGACY_CURSOR_PREFIX",
    "MAX_CONTEXT_CHARS",
    "MAX_DESTINATION_CHARS",
    "MAX_SUBSCRIPTIONS",
    "Subscription",
    "SubscriptionLimitError",
    "SubscriptionStore",
]

LEGACY_CURSOR_PREFIX: Final = "redfish/cursor/"
MAX_SUBSCRIPTIONS: Final = 64
"""Each subscription is one delivery task and one copy of every event on the wire."""
MAX_CONTEXT_CHARS: Final = 256
MAX_DESTINATION_CHARS: Final = 2048

Subscription = SubscriptionRecord
"""One subscription: id, destination URI, context, owner and creation time (as stored)."""


class SubscriptionLimitError(Exception):
    """Raised by :meth:`SubscriptionStore.allocate_id` when ``MAX_SUBSCRIPTIONS`` exist."""


class SubscriptionStore:
    """CRUD of subscriptions with never-reused ids (synchronous: use ``asyncio.to_thread``).

    Create through :meth:`smartpdu.redfish.EventDelivery.subscribe`, which seeds the outbox
    cursors between :meth:`allocate_id` and :meth:`save` (else history would be replayed).
    """

    def __init__(self, store: Store, *, limit: int = MAX_SUBSCRIPTIONS) -> None:
        self._store = store
        self._repo = store.redfish_subscriptions
        self.limit = limit

    def list(self) -> list[Subscription]:
        return self._repo.list()

    def get(self, sid: str) -> Subscription | None:
        return self._repo.get(sid)

    def allocate_id(self) -> str:
        """Reserve the next id (persisted before it is returned, so it is never handed out twice).

        Raises :class:`SubscriptionLimitError` when ``limit`` subscriptions already exist.
        """
        sid = self._repo.allocate_id(self.limit)
        if sid is None:
            raise SubscriptionLimitError(f"{self.limit} subscriptions exist (limit {self.limit})")
        return sid

    def save(self, sub: Subscription) -> None:
        """Create or replace ``sub`` (its id must come from :meth:`allocate_id`)."""
        self._repo.save(sub)

    def delete(self, sid: str) -> bool:
        """Delete subscription ``sid``; False when it did not exist (already deleted)."""
        return self._repo.delete(sid)

    def legacy_cursors(self, sid: str) -> dict[str, int]:
        """Cursors an earlier release stored for ``sid`` (pdu id -> last delivered sequence)."""
        prefix = f"{LEGACY_CURSOR_PREFIX}{sid}/"
        return {k[len(prefix) :]: int(v) for k, v in self._store.kv_items(prefix).items()}

    def drop_legacy_cursors(self, sid: str) -> None:
        for key in self._store.kv_items(f"{LEGACY_CURSOR_PREFIX}{sid}/"):
            self._store.kv_delete(key)
