"""Persistence of the outbox: per-destination cursors and a bounded delivery log.

All of it sits behind :class:`OutboxRepository`, over the :class:`OutboxTables` the store
carries (``Store.outbox``: tables ``outbox_cursors`` and ``outbox_log``, migration 7; earlier
releases kept both in the key/value table).

A cursor's ``pending_last`` pins the range of a batch that was handed to the sender but not yet
acknowledged: a retry (even after a restart) resends exactly that range under the same
delivery id. Synchronous: call through ``asyncio.to_thread``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Protocol

from smartpdu.events.outbox_plan import check_destination_id

__all__ = [
    "DeliveryCursor",
    "DeliveryRecord",
    "OutboxBackend",
    "OutboxRepository",
    "OutboxTables",
]

DEFAULT_LOG_SIZE: Final = 64


@dataclass(frozen=True, slots=True)
class DeliveryCursor:
    """Last sequence id delivered from one PDU's chain, and the pinned in-flight range end."""

    delivered: int = 0
    pending_last: int | None = None


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


class OutboxTables(Protocol):
    """Cursors per (destination, PDU) and delivery records per destination, in the store."""

    def cursors(self, dest_id: str) -> dict[str, DeliveryCursor]: ...
    def cursor(self, dest_id: str, pdu_id: str) -> DeliveryCursor | None: ...
    def set_cursor(self, dest_id: str, pdu_id: str, cursor: DeliveryCursor) -> None: ...
    def append_log(self, dest_id: str, record: DeliveryRecord, keep: int) -> None:
        """Store ``record``; drop the destination's records numbered ``<= record.n - keep``."""
        ...

    def log(self, dest_id: str) -> list[DeliveryRecord]:
        """The destination's records, oldest (lowest ``n``) first."""
        ...

    def advance(
        self, dest_id: str, pdu_id: str, cursor: DeliveryCursor, record: DeliveryRecord, keep: int
    ) -> None:
        """``append_log`` and ``set_cursor`` in one transaction (a delivered batch)."""
        ...

    def forget(self, dest_id: str) -> int:
        """Delete every cursor and record of ``dest_id``; return how many rows went."""
        ...


class OutboxBackend(Protocol):
    """What :class:`OutboxRepository` needs of :class:`smartpdu.storage.Store`."""

    @property
    def outbox(self) -> OutboxTables: ...


class OutboxRepository:
    """Cursors and delivery log of every destination (destination ids checked here)."""

    def __init__(self, store: OutboxBackend, *, log_size: int = DEFAULT_LOG_SIZE) -> None:
        if log_size < 1:
            raise ValueError(f"log_size must be >= 1, got {log_size}")
        self._tables = store.outbox
        self.log_size = log_size

    def cursors(self, dest_id: str) -> dict[str, DeliveryCursor]:
        """Every PDU cursor of ``dest_id`` (empty for a destination never seeded or delivered)."""
        return self._tables.cursors(check_destination_id(dest_id))

    def cursor(self, dest_id: str, pdu_id: str) -> DeliveryCursor:
        found = self._tables.cursor(check_destination_id(dest_id), pdu_id)
        return DeliveryCursor() if found is None else found

    def set_cursor(self, dest_id: str, pdu_id: str, cursor: DeliveryCursor) -> None:
        self._tables.set_cursor(check_destination_id(dest_id), pdu_id, cursor)

    def append_log(self, dest_id: str, record: DeliveryRecord) -> None:
        """Keep ``record`` and the ``log_size - 1`` records before it (the oldest go)."""
        self._tables.append_log(check_destination_id(dest_id), record, self.log_size)

    def log(self, dest_id: str) -> list[DeliveryRecord]:
        """The kept delivery records of ``dest_id``, oldest first."""
        return self._tables.log(check_destination_id(dest_id))[-self.log_size :]

    def advance(
        self, dest_id: str, pdu_id: str, cursor: DeliveryCursor, record: DeliveryRecord
    ) -> None:
        """Log a delivered batch and move the cursor past it, atomically (one commit)."""
        self._tables.advance(check_destination_id(dest_id), pdu_id, cursor, record, self.log_size)

    def last_log_n(self, dest_id: str) -> int:
        """Number of the newest kept record (0 when the log is empty)."""
        return max((r.n for r in self.log(dest_id)), default=0)

    def forget(self, dest_id: str) -> int:
        """Delete every cursor and log record of ``dest_id``; return how many went."""
        return self._tables.forget(check_destination_id(dest_id))
