"""Event model of DESIGN §5: drafts that producers create and sealed, hash-chained events.

Producers build a :class:`NewEvent` (no sequence, time or hash); only the
:class:`~smartpdu.events.log.EventLog` turns it into an :class:`Event` by assigning
``sequence_id``, ``timestamp_utc``, ``prev_hash`` and ``hash``. The JSON form (``to_dict``)
is the wire form of the API and the store.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from smartpdu.events.codes import EventCode, Severity, code_info

JsonScalar = str | int | float | bool | None
"""Values allowed in ``evidence`` (flat, so canonical JSON and every backend agree)."""


class Action(StrEnum):
    """What the controller (or a person) did about the event."""

    NONE = "none"
    LIMIT = "limit"
    DERATE = "derate"
    TRIP = "trip"
    SHED = "shed"
    SWITCH = "switch"
    LOCK = "lock"
    UNLOCK = "unlock"
    RESTORE = "restore"
    ACK = "ack"
    RESET = "reset"
    CONFIG = "config"
    LOGIN = "login"
    LOGOUT = "logout"
    DENY = "deny"
    ALARM = "alarm"
    CLEAR = "clear"
    NOTIFY = "notify"
    CHECKPOINT = "checkpoint"


def canonical_json(obj: Any) -> bytes:
    """Encode ``obj`` as canonical JSON: sorted keys, no spaces, UTF-8, no NaN/Infinity."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def format_timestamp(ts: datetime) -> str:
    """Format an aware datetime as RFC 3339 UTC with µs: ``2026-01-02T03:04:05.000006Z``."""
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError(f"timestamp {ts!r} is naive; pass a timezone-aware UTC datetime")
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(text: str) -> datetime:
    """Parse an RFC 3339 timestamp (``Z`` or offset) into an aware UTC datetime."""
    ts = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if ts.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no UTC offset; use RFC 3339 with 'Z'")
    return ts.astimezone(UTC)


def _check_evidence(evidence: Mapping[str, Any]) -> Mapping[str, JsonScalar]:
    for key, value in evidence.items():
        if not isinstance(key, str):
            raise ValueError(f"evidence key {key!r} must be a string")
        if value is not None and not isinstance(value, str | int | float | bool):
            raise ValueError(
                f"evidence[{key!r}] = {value!r} is not a JSON scalar (str, int, float, bool, None)"
            )
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"evidence[{key!r}] = {value!r} is not finite; JSON cannot hold it")
    return MappingProxyType(dict(evidence))


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event as a producer creates it; the log adds sequence, time and hashes.

    ``severity`` defaults to the catalogue's severity for ``event_code``; an unknown code raises
    :class:`~smartpdu.events.codes.UnknownEventCodeError` (a ``ValueError``).
    """

    pdu_id: str
    source: str
    event_code: str
    message: str
    severity: Severity | None = None
    action_taken: Action = Action.NONE
    reason_code: str | None = None
    evidence: Mapping[str, JsonScalar] = field(default_factory=dict)
    actor: str | None = None
    command_id: str | None = None

    def __post_init__(self) -> None:
        info = code_info(self.event_code)
        if not self.pdu_id:
            raise ValueError("pdu_id must not be empty")
        if not self.source:
            raise ValueError("source must not be empty (e.g. 'outlet/7', 'user/alice')")
        object.__setattr__(self, "event_code", str(EventCode(self.event_code)))
        sev = info.severity if self.severity is None else Severity(self.severity)
        object.__setattr__(self, "severity", sev)
        object.__setattr__(self, "action_taken", Action(self.action_taken))
        object.__setattr__(self, "evidence", _check_evidence(self.evidence))


@dataclass(frozen=True, slots=True)
class Event:
    """A sealed event: part of one PDU's hash chain, immutable once stored.

    ``from_dict`` accepts any code string (stored history must stay readable even if the
    catalogue changes); creation-time validation happens in :class:`NewEvent`.
    """

    sequence_id: int
    timestamp_utc: str
    pdu_id: str
    source: str
    event_code: str
    severity: Severity
    action_taken: str
    reason_code: str | None
    evidence: Mapping[str, JsonScalar]
    actor: str | None
    command_id: str | None
    message: str
    prev_hash: str
    hash: str

    @property
    def timestamp(self) -> datetime:
        """``timestamp_utc`` as an aware datetime."""
        return parse_timestamp(self.timestamp_utc)

    def body(self) -> dict[str, Any]:
        """Return the hashed fields (everything except ``hash``) as plain JSON data."""
        return {
            "sequence_id": self.sequence_id,
            "timestamp_utc": self.timestamp_utc,
            "pdu_id": self.pdu_id,
            "source": self.source,
            "event_code": self.event_code,
            "severity": str(self.severity),
            "action_taken": str(self.action_taken),
            "reason_code": self.reason_code,
            "evidence": dict(self.evidence),
            "actor": self.actor,
            "command_id": self.command_id,
            "message": self.message,
            "prev_hash": self.prev_hash,
        }

    def canonical_body(self) -> bytes:
        """Canonical JSON of :meth:`body` — the bytes the chain hash covers."""
        return canonical_json(self.body())

    def to_dict(self) -> dict[str, Any]:
        """Return the full JSON form (the API and export shape)."""
        out = self.body()
        out["hash"] = self.hash
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Event:
        """Build an event from its JSON form; raise ``ValueError`` naming a missing/bad field."""
        try:
            return cls(
                sequence_id=int(data["sequence_id"]),
                timestamp_utc=str(data["timestamp_utc"]),
                pdu_id=str(data["pdu_id"]),
                source=str(data["source"]),
                event_code=str(data["event_code"]),
                severity=Severity(data["severity"]),
                action_taken=str(data["action_taken"]),
                reason_code=data.get("reason_code"),
                evidence=MappingProxyType(dict(data.get("evidence") or {})),
                actor=data.get("actor"),
                command_id=data.get("command_id"),
                message=str(data["message"]),
                prev_hash=str(data["prev_hash"]),
                hash=str(data["hash"]),
            )
        except KeyError as exc:
            raise ValueError(f"event JSON lacks field {exc.args[0]!r}") from None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Event):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash((self.pdu_id, self.sequence_id, self.hash))
