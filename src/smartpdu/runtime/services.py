"""What the interfaces (REST, Redfish, CLI, later SNMP/Modbus/MQTT) may ask of the running controller.

Interfaces read the latest :class:`~smartpdu.model.snapshot.RackSnapshot` and submit commands;
they never touch hardware or recompute metrics. :class:`smartpdu.runtime.engine.RackRuntime`
implements :class:`RuntimeServices`; tests of an interface may use the real runtime on the twin.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from smartpdu.config import RackConfig
from smartpdu.model.commands import (
    CommandResult,
    CommandStatus,
    OutletAction,
    OutletCommand,
    OutletOutcome,
)
from smartpdu.model.snapshot import RackSnapshot

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
