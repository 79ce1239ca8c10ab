"""Persistence of the outbox: per-destination cursors and a bounded delivery log.

All of it sits behind :class:`OutboxRepository`. Cursors are rows of the store's
``outbox_cursors`` table (through the :class:`CursorRepository` it carries, migration 7); the
delivery log is still in the key/value table::

    outbox/<dest>/log/<slot>     one DeliveryRecord (slot = n mod log_size: a ring)

``pending_last`` pins the range of a batch that was handed to the sender but not yet
acknowledged: a retry (even after a restart) resends exactly that range under the same
delivery id. Synchronous: call through ``asyncio.to_thread``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Final, Protocol

from smartpdu.events.outbox_plan import check_destination_id

__all__ = [
    "CursorRepository",
    "DeliveryCursor",
    "DeliveryRecord",
    "KeyValueStore",
    "OutboxBackend",
    "OutboxRepository",
]

PREFIX: Final = "outbox/"
DEFAULT_LOG_SIZE: Final = 64


class KeyValueStore(Protocol):
    """The key/value part of :class:`smartpdu.storage.Store` the repository uses."""

    def kv_get(self, key: str) -> str | None: ...
    def kv_set(self, key: str, value: str) -> None: ...
    def kv_delete(self, key: str) -> bool: ...
    def kv_items(self, prefix: str = "") -> dict[str, str]: ...


@dataclass(frozen=True, slots=True)
class DeliveryCursor:
    """Last sequence id delivered from one PDU's chain, and the pinned in-flight range end."""

    delivered: int = 0
    pending_last: int | None = None


class CursorRepository(Protocol):
    """Delivery cursors per (destination, PDU), implemented by the store."""

    def cursors(self, dest_id: str) -> dict[str, DeliveryCursor]: ...
    def cursor(self, dest_id: str, pdu_id: str) -> DeliveryCursor | None: ...
    def set_cursor(self, dest_id: str, pdu_id: str, cursor: DeliveryCursor) -> None: ...
    def forget(self, dest_id: str) -> int:
        """Delete every cursor of ``dest_id``; return how many went."""
        ...


class OutboxBackend(KeyValueStore, Protocol):
    """What :class:`OutboxRepository` needs of :class:`smartpdu.storage.Store`."""

    @property
    def outbox_cursors(self) -> CursorRepository: ...


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One delivery attempt, as the delivery log keeps it."""

    n: int
    delivery_id: str
    pdu_id: str
    first_seq: int
    last_seq: int
    events: int
    attempt: int
    ok: bool
    detail: str
    latency_s: float
    at_utc: str


class OutboxRepository:
    """Cursors (their own table) and delivery log (key/value) of every destination."""

    def __init__(self, store: OutboxBackend, *, log_size: int = DEFAULT_LOG_SIZE) -> None:
        if log_size < 1:
            raise ValueError(f"log_size must be >= 1, got {log_size}")
        self._kv = store
        self._cursors = store.outbox_cursors
        self.log_size = log_size

    @staticmethod
    def _key(dest_id: str, *parts: str) -> str:
        return "/".join((PREFIX + check_destination_id(dest_id), *parts))

    def cursors(self, dest_id: str) -> dict[str, DeliveryCursor]:
        """Every PDU cursor of ``dest_id`` (empty for a destination never seeded or delivered)."""
        return self._cursors.cursors(check_destination_id(dest_id))

    def cursor(self, dest_id: str, pdu_id: str) -> DeliveryCursor:
        found = self._cursors.cursor(check_destination_id(dest_id), pdu_id)
        return DeliveryCursor() if found is None else found

    def set_cursor(self, dest_id: str, pdu_id: str, cursor: DeliveryCursor) -> None:
        self._cursors.set_cursor(check_destination_id(dest_id), pdu_id, cursor)

    def append_log(self, dest_id: str, record: DeliveryRecord) -> None:
        """Keep ``record`` in the ring slot ``n mod log_size`` (overwrites the oldest)."""
        slot = f"{record.n % self.log_size:05d}"
        self._kv.kv_set(self._key(dest_id, "log", slot), json.dumps(asdict(record)))

    def log(self, dest_id: str) -> list[DeliveryRecord]:
        """The kept delivery records of ``dest_id``, oldest first."""
        items = self._kv.kv_items(self._key(dest_id, "log", ""))
        records = [DeliveryRecord(**json.loads(raw)) for raw in items.values()]
        return sorted(records, key=lambda r: r.n)[-self.log_size :]

    def last_log_n(self, dest_id: str) -> int:
        """Number of the newest kept record (0 when the log is empty)."""
        return max((r.n for r in self.log(dest_id)), default=0)

    def forget(self, dest_id: str) -> int:
        """Delete every cursor and log record of ``dest_id``; return how many went."""
        keys = list(self._kv.kv_items(self._key(dest_id, "")))
        return self._cursors.forget(check_destination_id(dest_id)) + sum(
            self._kv.kv_delete(k) for k in keys
        )
