"""Command bookkeeping: idempotency ledger, per-outlet progress of a command, final result.

A command fans out into one :class:`OutletOp` per outlet; each op walks
``queued → verify_on → done`` (on), ``verify_off → done`` (off) or
``verify_off → off_wait → queued → verify_on → done`` (cycle), or ends ``failed`` / ``locked_out``.
The command completes when every op has ended; its status is the worst outcome.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from enum import StrEnum

from smartpdu.runtime.services import (
    CommandResult,
    CommandStatus,
    OutletAction,
    OutletCommand,
    OutletOutcome,
)

__all__ = ["CommandLedger", "OpPhase", "OutletOp", "PendingCommand", "aggregate"]


class OpPhase(StrEnum):
    QUEUED = "queued"
    VERIFY_ON = "verify_on"
    VERIFY_OFF = "verify_off"
    OFF_WAIT = "off_wait"
    DONE = "done"
    FAILED = "failed"
    LOCKED_OUT = "locked_out"


_FINAL = {OpPhase.DONE, OpPhase.FAILED, OpPhase.LOCKED_OUT}
_SEVERITY = [CommandStatus.DONE, CommandStatus.LOCKED_OUT, CommandStatus.FAILED]


@dataclass(slots=True)
class OutletOp:
    outlet_id: str
    action: OutletAction
    phase: OpPhase
    off_until_s: float = 0.0
    outcome: OutletOutcome | None = None

    @property
    def final(self) -> bool:
        return self.phase in _FINAL

    def finish(self, phase: OpPhase, detail: str = "", event_code: str | None = None) -> None:
        status = {
            OpPhase.DONE: CommandStatus.DONE,
            OpPhase.FAILED: CommandStatus.FAILED,
            OpPhase.LOCKED_OUT: CommandStatus.LOCKED_OUT,
        }[phase]
        self.phase = phase
        self.outcome = OutletOutcome(self.outlet_id, status, detail, event_code)


@dataclass(slots=True)
class PendingCommand:
    command: OutletCommand
    command_id: str
    ops: dict[str, OutletOp]
    off_period_s: float

    @property
    def done(self) -> bool:
        return all(op.final for op in self.ops.values())


def aggregate(command_id: str, outcomes: list[OutletOutcome]) -> CommandResult:
    """Combine per-outlet outcomes: the worst status wins (failed > locked out > done)."""
    worst = CommandStatus.DONE
    for o in outcomes:
        if o.status in _SEVERITY and _SEVERITY.index(o.status) > _SEVERITY.index(worst):
            worst = o.status
    bad = [o for o in outcomes if o.status is not CommandStatus.DONE]
    detail = "; ".join(f"outlet {o.outlet_id}: {o.detail or o.status}" for o in bad)
    return CommandResult(command_id, worst, tuple(outcomes), detail or "all outlets verified")


@dataclass(slots=True)
class CommandLedger:
    """Remember command ids (bounded): a repeated id returns the first command's result."""

    capacity: int = 4096
    results: OrderedDict[str, CommandResult] = field(default_factory=OrderedDict)
    pending: dict[str, PendingCommand] = field(default_factory=dict)

    def known(self, command_id: str) -> bool:
        return command_id in self.results or command_id in self.pending

    def result(self, command_id: str) -> CommandResult | None:
        return self.results.get(command_id)

    def finish(self, result: CommandResult) -> None:
        self.pending.pop(result.command_id, None)
        self.results[result.command_id] = result
        while len(self.results) > self.capacity:
            self.results.popitem(last=False)
