"""Durable EventService subscriptions kept in the store's kv table.

``redfish/subscription/{id}`` holds the destination; ``redfish/cursor/{id}/{pdu}`` the last
sequence id delivered from that PDU's event chain. A new subscription starts at the current chain
heads, so it receives events from its creation on, and survives restarts without losing or
repeating events (at-least-once: a crash between POST and cursor update may repeat one batch).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Final

from smartpdu.storage.base import Store

__all__ = ["CURSOR_PREFIX", "SUB_PREFIX", "Subscription", "SubscriptionStore"]

SUB_PREFIX: Final = "redfish/subscription/"
CURSOR_PREFIX: Final = "redfish/cursor/"


@dataclass(frozen=True, slots=True)
class Subscription:
    id: str
    destination: str
    context: str | None
    owner: str
    created_utc: str


class SubscriptionStore:
    """CRUD of subscriptions and delivery cursors (synchronous: call via ``asyncio.to_thread``)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def list(self) -> list[Subscription]:
        items = self._store.kv_items(SUB_PREFIX)
        subs = [Subscription(**json.loads(v)) for v in items.values()]
        return sorted(subs, key=lambda s: int(s.id) if s.id.isdigit() else 0)

    def get(self, sid: str) -> Subscription | None:
        raw = self._store.kv_get(SUB_PREFIX + sid)
        return None if raw is None else Subscription(**json.loads(raw))

    def create(
        self, destination: str, context: str | None, owner: str, created_utc: str
    ) -> Subscription:
        ids = [int(s.id) for s in self.list() if s.id.isdigit()]
        sub = Subscription(str(max(ids, default=0) + 1), destination, context, owner, created_utc)
        for pdu_id in self._store.event_pdu_ids():
            last = self._store.last_event(pdu_id)
            self.set_cursor(sub.id, pdu_id, 0 if last is None else last.sequence_id)
        self._store.kv_set(SUB_PREFIX + sub.id, json.dumps(asdict(sub)))
        return sub

    def update(self, sub: Subscription) -> None:
        self._store.kv_set(SUB_PREFIX + sub.id, json.dumps(asdict(sub)))

    def delete(self, sid: str) -> bool:
        for key in self._store.kv_items(f"{CURSOR_PREFIX}{sid}/"):
            self._store.kv_delete(key)
        return self._store.kv_delete(SUB_PREFIX + sid)

    def cursor(self, sid: str, pdu_id: str) -> int:
        raw = self._store.kv_get(f"{CURSOR_PREFIX}{sid}/{pdu_id}")
        return 0 if raw is None else int(raw)

    def set_cursor(self, sid: str, pdu_id: str, seq: int) -> None:
        self._store.kv_set(f"{CURSOR_PREFIX}{sid}/{pdu_id}", str(seq))
