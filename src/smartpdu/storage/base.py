"""The storage interface every backend implements (SQLite, PostgreSQL), as narrow repositories.

A consumer types its dependency as the narrow protocol it uses (:class:`EventRepository`,
:class:`ReadingRepository`, :class:`EnergyRepository`, :class:`ConfigRepository`,
:class:`UserRepository`, :class:`KeyValueRepository`); :class:`Store` is all of them plus the
typed repositories it carries as attributes (``outlet_memory``, ``command_results``,
``calibrations``, ``redfish_subscriptions``, ``outbox``). All methods are synchronous
and thread-safe: the runtime calls them from its writer thread and async code through
``asyncio.to_thread``. Every write method returns only after its transaction is committed
(durable against ``kill -9``).
Timestamps are aware UTC datetimes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from smartpdu.control.commands import CommandResults
from smartpdu.control.holds import OutletMemory
from smartpdu.events.chain import Checkpoint
from smartpdu.events.model import Event
from smartpdu.events.outbox_store import OutboxTables
from smartpdu.events.webhook_store import WebhookTables
from smartpdu.model.access import AccessRepository
from smartpdu.model.accounts import UserRepository
from smartpdu.model.runtime_state import (
    AlarmStateRepository,
    MaxDemandRepository,
    ResidualTrendRepository,
)
from smartpdu.model.subscriptions import SubscriptionRepository
from smartpdu.storage.control_repos import CalibrationRecord
from smartpdu.storage.records import (
    ConfigVersion,
    ConfigVersionInfo,
    EnergyRegisterState,
    HistoryPoint,
    Reading,
    Resolution,
    RetentionPolicy,
)


class EventRepository(Protocol):
    """The hash-chained event log and its signed checkpoints."""

    def append_events(self, events: Sequence[Event]) -> None:
        """Insert sealed events in one transaction; raise ConflictError if a sequence_id exists."""
        ...

    def last_event(self, pdu_id: str) -> Event | None:
        """Newest event of ``pdu_id`` (highest sequence_id), the chain head after restart."""
        ...

    def events_since(self, pdu_id: str, since_seq: int = 0, limit: int = 1000) -> list[Event]:
        """Events with ``sequence_id > since_seq`` in ascending order, at most ``limit``."""
        ...

    def events_between(
        self, pdu_id: str | None, start: datetime, end: datetime, limit: int = 1000
    ) -> list[Event]:
        """Events with ``start <= timestamp < end``, oldest first; all PDUs if ``pdu_id`` None."""
        ...

    def event_pdu_ids(self) -> list[str]:
        """PDUs that have at least one event."""
        ...

    def append_checkpoint(self, checkpoint: Checkpoint) -> None:
        """Store a signed checkpoint (idempotent for the same pdu_id/sequence_id)."""
        ...

    def checkpoints(self, pdu_id: str) -> list[Checkpoint]:
        """All checkpoints of ``pdu_id`` in ascending sequence order."""
        ...


class ReadingRepository(Protocol):
    """Readings at 1 s, 1 min and 1 h with roll-up and retention."""

    def write_readings(self, readings: Sequence[Reading]) -> int:
        """Upsert 1 s readings (bulk); return the number written."""
        ...

    def rollup(self, now: datetime) -> None:
        """Compute 1 min buckets from 1 s and 1 h from 1 min for every complete bucket < now."""
        ...

    def purge(
        self, now: datetime, retention: RetentionPolicy | None = None
    ) -> dict[Resolution, int]:
        """Delete readings older than their retention; return rows deleted per resolution."""
        ...

    def history(
        self, pdu_id: str, key: str, start: datetime, end: datetime, step_s: int = 60
    ) -> list[HistoryPoint]:
        """Buckets of ``step_s`` seconds over ``[start, end)`` from the coarsest fitting table."""
        ...

    def reading_keys(self, pdu_id: str) -> list[str]:
        """Metric keys that have 1 min history for ``pdu_id``."""
        ...


class EnergyRepository(Protocol):
    """Energy register states per (PDU, channel)."""

    def save_energy(self, states: Sequence[EnergyRegisterState]) -> None:
        """Upsert the full register state of each (pdu_id, channel) in one transaction."""
        ...

    def load_energy(self, pdu_id: str | None = None) -> list[EnergyRegisterState]:
        """Every stored register state (of one PDU if given), ordered by pdu_id, channel."""
        ...


class ConfigRepository(Protocol):
    """Versioned rack configurations."""

    def add_config_version(
        self, yaml_text: str, author: str, comment: str, created_utc: datetime
    ) -> int:
        """Append a configuration version; return its number (1, 2, …)."""
        ...

    def list_config_versions(self) -> list[ConfigVersionInfo]:
        """All versions, oldest first, without YAML."""
        ...

    def get_config_version(self, version: int | None = None) -> ConfigVersion | None:
        """One version with YAML (the latest when ``version`` is None), or None."""
        ...


class KeyValueRepository(Protocol):
    """Small device state without a table of its own: the twin bench's calibration seeds, and
    rows an upgrade could not parse (kept, never dropped)."""

    def kv_get(self, key: str) -> str | None: ...

    def kv_set(self, key: str, value: str) -> None: ...

    def kv_delete(self, key: str) -> bool: ...

    def kv_items(self, prefix: str = "") -> dict[str, str]:
        """All pairs whose key starts with ``prefix``."""
        ...


class CalibrationRepository(Protocol):
    """Calibration sets per PDU (every version kept)."""

    def save(self, record: CalibrationRecord) -> None: ...

    def latest(self, pdu_id: str) -> CalibrationRecord | None: ...

    def history(self, pdu_id: str) -> list[CalibrationRecord]: ...


@runtime_checkable
class Store(
    EventRepository,
    ReadingRepository,
    EnergyRepository,
    ConfigRepository,
    UserRepository,
    KeyValueRepository,
    Protocol,
):
    """Persistent state of the controller; see module docstring for the contract."""

    @property
    def outlet_memory(self) -> OutletMemory:
        """Outlet holds and last commanded states."""
        ...

    @property
    def command_results(self) -> CommandResults:
        """The command idempotency ledger."""
        ...

    @property
    def calibrations(self) -> CalibrationRepository:
        """Calibration sets per PDU."""
        ...

    @property
    def redfish_subscriptions(self) -> SubscriptionRepository:
        """Redfish EventService subscriptions."""
        ...

    @property
    def outbox(self) -> OutboxTables:
        """The outbox's delivery cursors and delivery log per destination."""
        ...

    @property
    def alarm_state(self) -> AlarmStateRepository:
        """The alarm engine's id counter, active alarms and history."""
        ...

    @property
    def max_demand(self) -> MaxDemandRepository:
        """Maximum demand per PDU and channel."""
        ...

    @property
    def residual_trends(self) -> ResidualTrendRepository:
        """Residual-current trend points per channel."""
        ...

    @property
    def webhooks(self) -> WebhookTables:
        """Webhook subscriptions."""
        ...

    @property
    def access(self) -> AccessRepository:
        """Lever credentials and the access log."""
        ...

    @property
    def url(self) -> str:
        """The URL the store was opened with (no password)."""
        ...

    def close(self) -> None:
        """Release the connection; further calls raise."""
        ...

    def schema_version(self) -> int:
        """Highest applied migration version."""
        ...
