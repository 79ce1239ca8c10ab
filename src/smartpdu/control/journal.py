"""The command journal: every accepted command's intent and relay steps, durable before they act.

A command that is in flight when the controller dies (``kill -9``, power loss) must not vanish:
its intent is written when it is accepted, each relay it drives is written before the relay
moves, and the record is closed when the command's result is filed. What is still open at the
next start is an unfinished command; the control plane reconciles it (marks it ``interrupted``
with the relay state found) before anything is served, so a retry of its key gets that outcome
and never a second execution.

Stored in the key/value map (no schema change): ``command/open`` holds the JSON list of open
keys, ``command/open/<key>`` one :class:`OpenIntent` as JSON. Every call that changes a record
returns once it is written (the map is the store's committed key/value table).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from smartpdu.control.types import KeyValue

__all__ = ["CommandJournal", "JournalStep", "OpenIntent"]

_INDEX = "command/open"


@dataclass(frozen=True, slots=True)
class JournalStep:
    """One relay driven for a command: which outlet, which way, when (hardware time, tick)."""

    outlet_id: str
    on: bool
    t_s: float
    tick: int

    def describe(self) -> str:
        return f"{self.outlet_id}:{'on' if self.on else 'off'}@{self.t_s:.1f}s"


@dataclass(slots=True)
class OpenIntent:
    """A command accepted and not yet finished, as the journal keeps it."""

    key: str
    """The ledger key (actor + client key)."""
    fingerprint: str
    pdu_id: str
    outlet_ids: tuple[str, ...]
    action: str
    actor: str
    interface: str
    off_period_s: float
    steps: list[JournalStep] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(
            {
                "key": self.key,
                "fingerprint": self.fingerprint,
                "pdu_id": self.pdu_id,
                "outlet_ids": list(self.outlet_ids),
                "action": self.action,
                "actor": self.actor,
                "interface": self.interface,
                "off_period_s": self.off_period_s,
                "steps": [[s.outlet_id, s.on, s.t_s, s.tick] for s in self.steps],
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> OpenIntent:
        d = json.loads(text)
        return cls(
            key=str(d["key"]),
            fingerprint=str(d["fingerprint"]),
            pdu_id=str(d["pdu_id"]),
            outlet_ids=tuple(str(o) for o in d["outlet_ids"]),
            action=str(d["action"]),
            actor=str(d["actor"]),
            interface=str(d["interface"]),
            off_period_s=float(d["off_period_s"]),
            steps=[JournalStep(str(o), bool(on), float(t), int(k)) for o, on, t, k in d["steps"]],
        )


class CommandJournal:
    """Open command intents over a key/value map; steps are batched per tick (:meth:`flush`).

    Intents a previous run left open are read once at construction (:meth:`unfinished`) and
    stay listed until :meth:`close` reconciles them."""

    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv
        self._open: dict[str, OpenIntent] = {}
        self._dirty: set[str] = set()
        raw = kv.get(_INDEX)
        self._stale: dict[str, OpenIntent] = {}
        for key in json.loads(raw) if raw else []:
            text = kv.get(f"{_INDEX}/{key}")
            if text:
                self._stale[key] = OpenIntent.from_json(text)

    def _write_index(self) -> None:
        self._kv.set(_INDEX, json.dumps(sorted({*self._open, *self._stale})))

    def open(self, intent: OpenIntent) -> None:
        """Record an accepted command (written before this returns)."""
        self._open[intent.key] = intent
        self._kv.set(f"{_INDEX}/{intent.key}", intent.to_json())
        self._write_index()

    def step(self, key: str, step: JournalStep) -> None:
        """Note a relay driven for ``key``; written by the next :meth:`flush` (same tick, before
        the relay moves)."""
        intent = self._open.get(key)
        if intent is not None:
            intent.steps.append(step)
            self._dirty.add(key)

    def flush(self) -> None:
        """Write every intent whose steps changed since the last flush."""
        for key in sorted(self._dirty):
            intent = self._open.get(key)
            if intent is not None:
                self._kv.set(f"{_INDEX}/{key}", intent.to_json())
        self._dirty.clear()

    def close(self, key: str) -> None:
        """The command's result is filed (or a previous run's intent reconciled): forget it."""
        if self._open.pop(key, None) is None and self._stale.pop(key, None) is None:
            return
        self._dirty.discard(key)
        self._kv.delete(f"{_INDEX}/{key}")
        self._write_index()

    def unfinished(self) -> list[OpenIntent]:
        """Intents a previous run left open, in key order."""
        return [self._stale[k] for k in sorted(self._stale)]
