"""Commands the interfaces send to the controller and the results they get back (plain data).

They live in the model floor so that control (which executes them) and every interface (which
submits them) share one definition without importing the runtime.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "CommandResult",
    "CommandStatus",
    "OutletAction",
    "OutletCommand",
    "OutletOutcome",
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
    INTERRUPTED = "interrupted"
    """A controller restart cut the command short; the result says which relay steps were done
    and the relay state found afterwards. It is never executed again for the same key."""


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
