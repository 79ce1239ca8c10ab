"""Command bookkeeping: idempotency ledger, per-outlet progress of a command, final result.

A command fans out into one :class:`OutletOp` per outlet; each op walks
``queued → verify_on → done`` (on), ``verify_off → done`` (off) or
``verify_off → off_wait → queued → verify_on → done`` (cycle), or ends ``failed`` / ``locked_out``.
The command completes when every op has ended; its status is the worst outcome.

Idempotency keys are scoped: the ledger files a result under :func:`scoped_key` (actor + the
client's key) together with the request's :func:`fingerprint`, so another actor's same key is
another command, and the same actor's key sent with a different request is a conflict
(:func:`key_conflict`), never a replay.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import NamedTuple, Protocol, runtime_checkable

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
    "StoredResult",
    "aggregate",
    "client_key",
    "fingerprint",
    "key_conflict",
    "result_from_json",
    "result_to_json",
    "scoped_key",
    "stored_from_json",
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
    """The ledger key (:func:`scoped_key`): what outlets' ``owner`` and actuations refer to."""
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


_SCOPE_SEP = "#"
"""Actors (``user/alice``, ``redfish/bob``) never contain it, so the first one splits a key."""


def scoped_key(actor: str, command_id: str) -> str:
    """Return the ledger key of ``command_id`` sent by ``actor`` (keys are per actor)."""
    return f"{actor}{_SCOPE_SEP}{command_id}"


def client_key(key: str) -> str:
    """Return the client's own command id from a :func:`scoped_key`."""
    return key.split(_SCOPE_SEP, 1)[1] if _SCOPE_SEP in key else key


def fingerprint(command: OutletCommand) -> str:
    """Describe what ``command`` asks for (what a key is bound to); readable in a conflict."""
    off = "" if command.off_period_s is None else f" off_period_s={command.off_period_s:g}"
    outlets = ",".join(command.outlet_ids)
    return f"{command.action} {command.pdu_id}/{outlets}{off} via {command.interface}"


def key_conflict(command_id: str, command: OutletCommand, first: str) -> CommandResult:
    """The REJECTED result for a key reused by its actor for a different request."""
    return CommandResult(
        command_id,
        CommandStatus.REJECTED,
        detail=(
            f"idempotency key {command_id!r} was already used by {command.actor} for a different "
            f"request ({first}); this one ({fingerprint(command)}) was not executed: "
            "send a new key for a new request"
        ),
    )


def result_to_json(result: CommandResult, fingerprint: str = "") -> str:
    return json.dumps(
        {
            "fingerprint": fingerprint,
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


class StoredResult(NamedTuple):
    """A finished result and the fingerprint of the request that produced it ("" if unknown)."""

    result: CommandResult
    fingerprint: str


@runtime_checkable
class CommandResults(Protocol):
    """Repository of finished command results, so a retried command key survives a restart."""

    def load(self, key: str) -> StoredResult | None: ...

    def save(self, key: str, result: CommandResult, fingerprint: str, capacity: int) -> None:
        """Store ``result`` under ``key``, keeping at most the newest ``capacity`` results."""
        ...


def stored_from_json(text: str) -> StoredResult:
    return StoredResult(result_from_json(text), str(json.loads(text).get("fingerprint", "")))


class KvCommandResults:
    """:class:`CommandResults` over a key/value map: a ring of ``capacity`` slots,
    ``command/id/<key>`` → result, ``command/slot/<n>`` → key (the release-3 layout)."""

    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv

    def load(self, key: str) -> StoredResult | None:
        text = self._kv.get(f"command/id/{key}")
        return None if text is None else stored_from_json(text)

    def save(self, key: str, result: CommandResult, fingerprint: str, capacity: int) -> None:
        kv = self._kv
        slot = int(kv.get("command/next") or 0) % capacity
        old = kv.get(f"command/slot/{slot}")
        if old is not None and old != key:
            kv.delete(f"command/id/{old}")
        kv.set(f"command/id/{key}", result_to_json(result, fingerprint))
        kv.set(f"command/slot/{slot}", key)
        kv.set("command/next", str(slot + 1))


@dataclass(slots=True)
class CommandLedger:
    """Remember command keys (bounded): a repeated key returns the first command's result.

    Keys are :func:`scoped_key` values; each remembers the :func:`fingerprint` of its request
    (:meth:`fingerprint_of`), so a key cannot be reused for another request. With a ``repo`` (or
    a ``kv`` map, wrapped in :class:`KvCommandResults`) the last ``capacity`` results also survive
    a restart: a client that retries after the controller rebooted still gets the first result,
    not a second execution.
    """

    capacity: int = 4096
    kv: KeyValue | None = None
    results: OrderedDict[str, CommandResult] = field(default_factory=OrderedDict)
    pending: dict[str, PendingCommand] = field(default_factory=dict)
    repo: CommandResults | None = None
    fingerprints: OrderedDict[str, str] = field(default_factory=OrderedDict)
    uncited: dict[str, list[str]] = field(default_factory=dict)
    """Keys of results finished under a command id, waiting for :meth:`cite`."""

    def __post_init__(self) -> None:
        if self.repo is None and self.kv is not None:
            self.repo = KvCommandResults(self.kv)

    def known(self, key: str) -> bool:
        return self.result(key) is not None or key in self.pending

    def result(self, key: str) -> CommandResult | None:
        found = self.results.get(key)
        if found is None and self.repo is not None:
            stored = self.repo.load(key)
            found = None if stored is None else stored.result
        return found

    def fingerprint_of(self, key: str) -> str | None:
        """The fingerprint the key was first used with ("" if unknown, None if unused)."""
        found = self.fingerprints.get(key)
        if found is None and self.repo is not None:
            stored = self.repo.load(key)
            found = None if stored is None else stored.fingerprint
        return found

    def claim(self, key: str, fingerprint: str) -> None:
        """Bind ``key`` to the request it was first used with."""
        self.fingerprints[key] = fingerprint
        while len(self.fingerprints) > self.capacity + len(self.pending):
            self.fingerprints.popitem(last=False)

    def finish(self, result: CommandResult, key: str | None = None) -> None:
        """File ``result`` under ``key`` (default: its command id)."""
        key = result.command_id if key is None else key
        self.pending.pop(key, None)
        self.results[key] = result
        self.uncited.setdefault(result.command_id, []).append(key)
        while len(self.uncited) > self.capacity:
            self.uncited.pop(next(iter(self.uncited)))
        while len(self.results) > self.capacity:
            self.results.popitem(last=False)
        if self.repo is not None:
            self.repo.save(key, result, self.fingerprints.get(key, ""), self.capacity)

    def cite(self, result: CommandResult) -> None:
        """Re-file a result just finished, now citing its events' sequence ids (the runtime learns
        them only after the control plane finished the command). Matched by key among the
        results finished under this command id and not yet cited (several actors may use one)."""
        keys = self.uncited.get(result.command_id)
        if not keys:
            return
        bare = replace(result, event_sequence_ids=())
        for key in keys:
            filed = self.results.get(key)
            if filed is None or replace(filed, event_sequence_ids=()) != bare:
                continue
            keys.remove(key)
            if not keys:
                del self.uncited[result.command_id]
            if filed != result:
                self.results[key] = result
                if self.repo is not None:
                    self.repo.save(key, result, self.fingerprints.get(key, ""), self.capacity)
            return
