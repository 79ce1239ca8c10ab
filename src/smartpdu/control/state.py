"""Typed runtime state the control plane keeps per outlet and per PDU, and one tick's output.

Internal to the control plane: the concept modules (intake, actuation, power-on, shedding,
protection) read and update these; :class:`~smartpdu.control.plane.ControlPlane` owns them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from smartpdu.config import PduConfig
from smartpdu.config.models import OutletConfig
from smartpdu.control.sequencer import PowerOnSequencer
from smartpdu.control.settings import ControlSettings
from smartpdu.control.shedding import LoadShedder
from smartpdu.control.types import RelayCommand, TickOutput
from smartpdu.events.model import NewEvent
from smartpdu.model.commands import CommandResult
from smartpdu.protection.breaker_watch import BreakerWatch
from smartpdu.protection.classify import OutletProtectionState
from smartpdu.protection.classify_batch import QuietMask
from smartpdu.protection.from_config import branch_breaker_spec, pdu_inlet_spec
from smartpdu.protection.lockout import OutletHold

__all__ = ["Actuation", "OutletState", "PduState", "TickWork", "build_pdu"]


@dataclass(slots=True)
class Actuation:
    """A relay command still waiting for feedback and current to confirm it."""

    on: bool
    issued_tick: int
    reason_code: str
    command_id: str | None
    actor: str | None
    windows: int = 0


@dataclass(slots=True)
class OutletState:
    pdu_id: str
    cfg: OutletConfig
    line: str
    relay_on: bool | None = None
    last_load_a: float = 0.0
    protection: OutletProtectionState = field(default_factory=OutletProtectionState)
    hold: OutletHold | None = None
    actuation: Actuation | None = None
    owner: str | None = None
    """command_id of the command currently driving this outlet."""
    restore_after_feed: bool = False
    history: deque[tuple[float, float]] = field(default_factory=lambda: deque(maxlen=25))

    @property
    def source(self) -> str:
        return f"outlet/{self.cfg.id}"


@dataclass(slots=True)
class PduState:
    cfg: PduConfig
    sequencer: PowerOnSequencer
    shedder: LoadShedder
    branches: dict[str, BreakerWatch]
    inlet: BreakerWatch
    outlets: dict[str, OutletState]
    feed_present: bool | None = None
    quiet: QuietMask | None = None
    """Array mirror of the outlets' classifier states (built on the first classification)."""
    scope_members: (
        tuple[PduConfig, dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]] | None
    ) = None
    """Outlet ids per phase and per branch, for the configuration it was built from."""


@dataclass(slots=True)
class TickWork:
    """What one tick has decided so far: relay commands, events, completed commands.

    ``journal`` holds the events of command intents and command-driven relay steps: the runtime
    commits them durably *before* it drives this tick's relays (see :mod:`.journal`)."""

    tick: int
    t_s: float
    dt_s: float
    relays: dict[tuple[str, str], RelayCommand] = field(default_factory=dict)
    events: list[NewEvent] = field(default_factory=list)
    completed: list[CommandResult] = field(default_factory=list)
    journal: list[NewEvent] = field(default_factory=list)

    def output(self) -> TickOutput:
        return TickOutput(list(self.relays.values()), self.events, self.completed, self.journal)


def build_pdu(
    p: PduConfig,
    settings: ControlSettings,
    hold_of: Callable[[str, str], OutletHold | None],
) -> PduState:
    """Fresh state of one PDU; ``hold_of(pdu_id, outlet_id)`` gives each outlet's stored hold."""
    branch_line = {b.id: b.line for b in p.branches}
    return PduState(
        cfg=p,
        sequencer=PowerOnSequencer(p.sequencing.inrush_guard_delay_s),
        shedder=LoadShedder(settings.shedding),
        branches={
            b.id: BreakerWatch(
                branch_breaker_spec(b.breaker), b.breaker.rating_a, settings.trip_risk
            )
            for b in p.branches
        },
        inlet=BreakerWatch(pdu_inlet_spec(p), p.inlet_rating_a, settings.trip_risk),
        outlets={
            o.id: OutletState(p.id, o, branch_line[o.branch], hold=hold_of(p.id, o.id))
            for o in p.outlets
        },
    )
