"""Durable EventService subscriptions, kept in the store's kv table behind one small class.

``redfish/subscription/{id}`` holds one subscription; ``redfish/subscription-next-id`` the next
id to hand out: a persisted monotonic counter, so concurrent creates never share an id and an
id is never reused after a delete, even across restarts. Delivery cursors live in the outbox
(:mod:`smartpdu.events.outbox_store`); ``redfish/cursor/{id}/{pdu}`` keys are the cursors of
earlier releases, read once by :meth:`SubscriptionStore.legacy_cursors` when upgrading.

Synchronous: call through ``asyncio.to_thread``. One process owns the store (as for the event
log), so a process-wide lock makes id allocation atomic.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from typing import Final

from smartpdu.storage.base import Store

__all__ = [
    "LEGACY_CURSOR_PREFIX",
    "MAX_CONTEXT_CHARS",
    "MAX_DESTINATION_CHARS",
    "MAX_SUBSCRIPTIONS",
    "NEXT_ID_KEY",
    "SUB_PREFIX",
    "Subscription",
    "SubscriptionLimitError",
    "SubscriptionStore",
]

SUB_PREFIX: Final = "redfish/subscription/"
NEXT_ID_KEY: Final = "redfish/subscription-next-id"
LEGACY_CURSOR_PREFIX: Final = "redfish/cursor/"
MAX_SUBSCRIPTIONS: Final = 64
"""Each subscription is one delivery task and one copy of every event on the wire."""
MAX_CONTEXT_CHARS: Final = 256
MAX_DESTINATION_CHARS: Final = 2048

_ALLOC_LOCK: Final = threading.Lock()


class SubscriptionLimitError(Exception):
    """Raised by :meth:`SubscriptionStore.allocate_id` when ``MAX_SUBSCRIPTIONS`` exist."""


@dataclass(frozen=True, slots=True)
class Subscription:
    id: str
    destination: str
    context: str | None
    owner: str
    created_utc: str


def _id_key(sub: Subscription) -> int:
    return int(sub.id) if sub.id.isdigit() else 0


class SubscriptionStore:
    """CRUD of subscriptions with never-reused ids (synchronous: use ``asyncio.to_thread``).

    Create through :meth:`smartpdu.redfish.EventDelivery.subscribe`, which seeds the outbox
    cursors between :meth:`allocate_id` and :meth:`save` (else history would be replayed).
    """

    def __init__(self, store: Store, *, limit: int = MAX_SUBSCRIPTIONS) -> None:
        self._store = store
        self.limit = limit

    def list(self) -> list[Subscription]:
        items = self._store.kv_items(SUB_PREFIX)
        return sorted((Subscription(**json.loads(v)) for v in items.values()), key=_id_key)

    def get(self, sid: str) -> Subscription | None:
        raw = self._store.kv_get(SUB_PREFIX + sid)
        return None if raw is None else Subscription(**json.loads(raw))

    def allocate_id(self) -> str:
        """Reserve the next id (persisted before it is returned, so it is never handed out twice).

        Raises :class:`SubscriptionLimitError` when ``limit`` subscriptions already exist.
        """
        with _ALLOC_LOCK:
            existing = self.list()
            if len(existing) >= self.limit:
                raise SubscriptionLimitError(
                    f"{len(existing)} subscriptions exist (limit {self.limit})"
                )
            raw = self._store.kv_get(NEXT_ID_KEY)
            # Databases of earlier releases have no counter: continue after their highest id.
            nxt = max(int(raw) if raw else 1, max(map(_id_key, existing), default=0) + 1)
            self._store.kv_set(NEXT_ID_KEY, str(nxt + 1))
            return str(nxt)

    def save(self, sub: Subscription) -> None:
        """Create or replace ``sub`` (its id must come from :meth:`allocate_id`)."""
        self._store.kv_set(SUB_PREFIX + sub.id, json.dumps(asdict(sub)))

    def delete(self, sid: str) -> bool:
        """Delete subscription ``sid``; False when it did not exist (already deleted)."""
        return self._store.kv_delete(SUB_PREFIX + sid)

    def legacy_cursors(self, sid: str) -> dict[str, int]:
        """Cursors an earlier release stored for ``sid`` (pdu id -> last delivered sequence)."""
        prefix = f"{LEGACY_CURSOR_PREFIX}{sid}/"
        return {k[len(prefix) :]: int(v) for k, v in self._store.kv_items(prefix).items()}

    def drop_legacy_cursors(self, sid: str) -> None:
        for key in self._store.kv_items(f"{LEGACY_CURSOR_PREFIX}{sid}/"):
            self._store.kv_delete(key)
