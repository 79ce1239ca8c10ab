"""Command bookkeeping: idempotency ledger, per-outlet progress of a command, final result.

A command fans out into one :class:`OutletOp` per outlet; each op walks
``queued → verify_on → done`` (on), ``verify_off → done`` (off) or
``verify_off → off_wait → queued → verify_on → done`` (cycle), or ends ``failed`` / ``locked_out``.
The command completes when every op has ended; its status is the worst outcome.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable

from smartpdu.control.types import KeyValue
from smartpdu.model.commands import (
    CommandResult,
    CommandStatus,
    OutletAction,
    OutletCommand,
    OutletOutcome,
)

__all__ = [
    "CommandLedger",
    "CommandResults",
    "KvCommandResults",
    "OpPhase",
    "OutletOp",
    "PendingCommand",
    "aggregate",
    "result_from_json",
    "result_to_json",
]


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


def result_to_json(result: CommandResult) -> str:
    return json.dumps(
        {
            "command_id": result.command_id,
            "status": str(result.status),
            "detail": result.detail,
            "outlets": [
                [o.outlet_id, str(o.status), o.detail, o.event_code] for o in result.outlets
            ],
            "event_sequence_ids": list(result.event_sequence_ids),
        },
        separators=(",", ":"),
    )


def result_from_json(text: str) -> CommandResult:
    d = json.loads(text)
    return CommandResult(
        command_id=d["command_id"],
        status=CommandStatus(d["status"]),
        outlets=tuple(
            OutletOutcome(oid, CommandStatus(st), detail, code)
            for oid, st, detail, code in d["outlets"]
        ),
        detail=d["detail"],
        event_sequence_ids=tuple(d["event_sequence_ids"]),
    )


@runtime_checkable
class CommandResults(Protocol):
    """Repository of finished command results, so a retried command id survives a restart."""

    def load(self, command_id: str) -> CommandResult | None: ...

    def save(self, result: CommandResult, capacity: int) -> None:
        """Store ``result``, keeping at most the newest ``capacity`` results."""
        ...


class KvCommandResults:
    """:class:`CommandResults` over a key/value map: a ring of ``capacity`` slots,
    ``command/id/<id>`` → result, ``command/slot/<n>`` → id (the release-3 layout)."""

    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv

    def load(self, command_id: str) -> CommandResult | None:
        text = self._kv.get(f"command/id/{command_id}")
        return None if text is None else result_from_json(text)

    def save(self, result: CommandResult, capacity: int) -> None:
        kv = self._kv
        slot = int(kv.get("command/next") or 0) % capacity
        old = kv.get(f"command/slot/{slot}")
        if old is not None and old != result.command_id:
            kv.delete(f"command/id/{old}")
        kv.set(f"command/id/{result.command_id}", result_to_json(result))
        kv.set(f"command/slot/{slot}", result.command_id)
        kv.set("command/next", str(slot + 1))


@dataclass(slots=True)
class CommandLedger:
    """Remember command ids (bounded): a repeated id returns the first command's result.

    With a ``repo`` (or a ``kv`` map, wrapped in :class:`KvCommandResults`) the last
    ``capacity`` results also survive a restart: a client that retries after the controller
    rebooted still gets the first result, not a second execution.
    """

    capacity: int = 4096
    kv: KeyValue | None = None
    results: OrderedDict[str, CommandResult] = field(default_factory=OrderedDict)
    pending: dict[str, PendingCommand] = field(default_factory=dict)
    repo: CommandResults | None = None

    def __post_init__(self) -> None:
        if self.repo is None and self.kv is not None:
            self.repo = KvCommandResults(self.kv)

    def known(self, command_id: str) -> bool:
        return self.result(command_id) is not None or command_id in self.pending

    def result(self, command_id: str) -> CommandResult | None:
        found = self.results.get(command_id)
        if found is None and self.repo is not None:
            found = self.repo.load(command_id)
        return found

    def finish(self, result: CommandResult) -> None:
        self.pending.pop(result.command_id, None)
        self.results[result.command_id] = result
        while len(self.results) > self.capacity:
            self.results.popitem(last=False)
        if self.repo is not None:
            self.repo.save(result, self.capacity)
