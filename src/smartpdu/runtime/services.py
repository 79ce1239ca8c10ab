"""What the interfaces (REST, Redfish, CLI, later SNMP/Modbus/MQTT) may ask of the running controller.

Interfaces read the latest :class:`~smartpdu.runtime.snapshot.RackSnapshot` and submit commands;
they never touch hardware or recompute metrics. :class:`smartpdu.runtime.engine.RackRuntime`
implements :class:`RuntimeServices`; tests of an interface may use the real runtime on the twin.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from smartpdu.config import RackConfig
from smartpdu.runtime.snapshot import RackSnapshot

if TYPE_CHECKING:
    from smartpdu.events.bus import EventBus
    from smartpdu.events.log import EventLog
    from smartpdu.events.model import Event
    from smartpdu.storage.base import Store

__all__ = [
    "CommandResult",
    "CommandStatus",
    "OutletAction",
    "OutletCommand",
    "OutletOutcome",
    "RuntimeServices",
]


class OutletAction(StrEnum):
    ON = "on"
    OFF = "off"
    CYCLE = "cycle"


class CommandStatus(StrEnum):
    DONE = "done"
    """Every outlet reached the requested state (verified by relay feedback and current)."""
    ACCEPTED = "accepted"
    """Queued: sequencing (delays, inrush guard) runs it later; poll or watch the events."""
    FAILED = "failed"
    """At least one outlet did not reach its state (OUTLET_STUCK_ON / OUTLET_STUCK_OFF)."""
    DENIED = "denied"
    """The actor is not allowed to do this (authorisation)."""
    LOCKED_OUT = "locked_out"
    """Protection holds the outlet off (trip cause, cooldown) until acknowledged."""
    REJECTED = "rejected"
    """The request itself is wrong (unknown outlet, bad parameter)."""


@dataclass(frozen=True, slots=True)
class OutletCommand:
    pdu_id: str
    outlet_ids: tuple[str, ...]
    action: OutletAction
    actor: str
    """Who asks, e.g. ``user/alice`` or ``redfish/admin``: recorded in every resulting event."""
    command_id: str | None = None
    """Idempotency key: the same id submitted twice executes once and returns the first result."""
    off_period_s: float | None = None
    """For CYCLE: how long the outlet stays off (default from configuration)."""
    interface: str = "api"


@dataclass(frozen=True, slots=True)
class OutletOutcome:
    outlet_id: str
    status: CommandStatus
    detail: str = ""
    event_code: str | None = None


@dataclass(frozen=True, slots=True)
class CommandResult:
    command_id: str
    status: CommandStatus
    outlets: tuple[OutletOutcome, ...] = ()
    detail: str = ""
    event_sequence_ids: tuple[int, ...] = field(default_factory=tuple)


@runtime_checkable
class RuntimeServices(Protocol):
    @property
    def config(self) -> RackConfig: ...

    @property
    def snapshot(self) -> RackSnapshot:
        """The latest published snapshot (never None once the runtime has started)."""
        ...

    @property
    def store(self) -> Store: ...

    @property
    def events(self) -> EventLog:
        """The single event writer: ``events.append(NewEvent(...))`` seals, persists, publishes."""
        ...

    @property
    def bus(self) -> EventBus: ...

    def snapshots(self) -> AsyncIterator[RackSnapshot]:
        """Async iterator over new snapshots (one per tick; a slow reader skips, never blocks)."""
        ...

    def now_utc(self) -> datetime: ...

    async def outlet_command(self, command: OutletCommand) -> CommandResult: ...

    async def acknowledge_outlet(self, pdu_id: str, outlet_id: str, actor: str) -> Event:
        """Release a protection (trip-cause) hold of an outlet; audited; the outlet stays off."""
        ...

    async def reset_energy(self, pdu_id: str, channel: str | None, actor: str) -> int:
        """Reset resettable energy registers (one channel or all of a PDU); audited; returns count."""
        ...

    async def apply_config(self, yaml_text: str, actor: str, comment: str = "") -> int:
        """Validate (ConfigError on problems), store as a new version, apply, audit; return version."""
        ...

    async def rollback_config(self, version: int, actor: str) -> int:
        """Re-apply an earlier version as a new version; return the new version number."""
        ...
