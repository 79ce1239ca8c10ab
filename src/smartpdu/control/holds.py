"""What the control plane remembers per outlet across restarts: protection holds, intents.

Both must survive a restart: a latched trip stays latched, and ``power_up_state: last``
restores what was last asked for. :class:`OutletMemory` is the narrow repository the control
plane depends on; the store implements it over real tables (``store.outlet_memory``), and
:class:`KvOutletMemory` over any key/value map (tests, benchmarks) with keys
``control/<pdu>/outlet/<id>/hold`` (JSON, empty when released) and
``control/<pdu>/outlet/<id>/commanded`` (``on`` / ``off``).
"""

from __future__ import annotations

import json
from typing import Protocol, runtime_checkable

from smartpdu.control.types import KeyValue
from smartpdu.protection.lockout import OutletHold

__all__ = [
    "KvOutletMemory",
    "OutletMemory",
    "hold_evidence",
    "hold_from_json",
    "hold_to_json",
]


def hold_to_json(h: OutletHold | None) -> str:
    """Serialise a hold; ``None`` (released) is the empty string."""
    if h is None:
        return ""
    return json.dumps(
        {
            "reason_code": h.reason_code,
            "since_s": h.since_s,
            "latched": h.latched,
            "cooldown_until_s": h.cooldown_until_s,
            "trips_s": list(h.trips_s),
            "acknowledged": h.acknowledged,
            "retried": h.retried,
        }
    )


def hold_from_json(raw: str | None) -> OutletHold | None:
    """Parse what :func:`hold_to_json` wrote (older records lack acknowledged/retried)."""
    if not raw:
        return None
    d = json.loads(raw)
    return OutletHold(
        d["reason_code"],
        d["since_s"],
        d["latched"],
        d["cooldown_until_s"],
        tuple(d["trips_s"]),
        d.get("acknowledged", False),
        d.get("retried", False),
    )


def hold_evidence(h: OutletHold, **more: object) -> dict[str, object]:
    """Event evidence of a hold; ``more`` goes after ``latched``."""
    return {
        "latched": h.latched,
        **more,
        "cooldown_until_s": h.cooldown_until_s,
        "trips": len(h.trips_s),
    }


@runtime_checkable
class OutletMemory(Protocol):
    """Repository of per-outlet holds and last commanded states (durable once a call returns)."""

    def load_hold(self, pdu_id: str, outlet_id: str) -> OutletHold | None: ...

    def save_hold(self, pdu_id: str, outlet_id: str, hold: OutletHold | None) -> None:
        """Store ``hold``; ``None`` releases it."""
        ...

    def save_intent(self, pdu_id: str, outlet_id: str, on: bool) -> None: ...

    def last_commanded(self, pdu_id: str, outlet_id: str) -> bool | None: ...


class KvOutletMemory:
    """:class:`OutletMemory` over a key/value map (the release-3 layout)."""

    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv

    @staticmethod
    def _key(pdu_id: str, outlet_id: str, what: str) -> str:
        return f"control/{pdu_id}/outlet/{outlet_id}/{what}"

    def load_hold(self, pdu_id: str, outlet_id: str) -> OutletHold | None:
        return hold_from_json(self._kv.get(self._key(pdu_id, outlet_id, "hold")))

    def save_hold(self, pdu_id: str, outlet_id: str, hold: OutletHold | None) -> None:
        self._kv.set(self._key(pdu_id, outlet_id, "hold"), hold_to_json(hold))

    def save_intent(self, pdu_id: str, outlet_id: str, on: bool) -> None:
        self._kv.set(self._key(pdu_id, outlet_id, "commanded"), "on" if on else "off")

    def last_commanded(self, pdu_id: str, outlet_id: str) -> bool | None:
        raw = self._kv.get(self._key(pdu_id, outlet_id, "commanded"))
        return None if raw is None else raw == "on"
