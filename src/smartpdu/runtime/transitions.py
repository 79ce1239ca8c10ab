"""Events for discrete state changes seen between two snapshots (feeds, controller power, doors,
sensor faults). Pure bookkeeping: compare, emit drafts, remember."""

from __future__ import annotations

from dataclasses import dataclass, field

from smartpdu.events import Action, NewEvent
from smartpdu.model.snapshot import RackSnapshot

__all__ = ["TransitionWatcher"]


@dataclass(slots=True)
class TransitionWatcher:
    _feed: dict[str, bool] = field(default_factory=dict)
    _power: str | None = None
    _door: dict[str, bool] = field(default_factory=dict)
    _sensor_status: dict[str, str] = field(default_factory=dict)

    def observe(
        self, snap: RackSnapshot, *, first: bool = False, window_s: float
    ) -> list[NewEvent]:
        """Drafts for what changed since the last snapshot (``window_s``: the evidence window)."""
        out: list[NewEvent] = []
        any_pdu = next(iter(snap.pdus), "rack")
        for pdu in snap.pdus.values():
            present = pdu.inlet.feed_present
            before = self._feed.get(pdu.id)
            self._feed[pdu.id] = present
            if before is None and present and first:
                continue
            if before is None and not first:
                before = True
            if before != present:
                phase_v = {k: round(r.v_rms_v, 1) for k, r in pdu.inlet.phases.items()}
                out.append(
                    NewEvent(
                        pdu_id=pdu.id,
                        source=f"feed/{pdu.feed}",
                        event_code="FEED_RESTORED" if present else "FEED_LOST",
                        message=f"Feed {pdu.feed} {'restored' if present else 'lost'}",
                        action_taken=Action.NONE,
                        reason_code="FEED_VOLTAGE_PRESENT" if present else "FEED_VOLTAGE_ABSENT",
                        evidence={
                            "value": max(phase_v.values(), default=0.0),
                            "unit": "V",
                            "limit": round(0.5 * pdu.nominal_voltage_v, 1),
                            "window_s": window_s,
                        },
                    )
                )
        if self._power is not None and snap.controller_power != self._power:
            out.append(
                NewEvent(
                    pdu_id=any_pdu,
                    source="controller/power",
                    event_code="POWER_SOURCE_CHANGED",
                    message=f"Controller now powered from {snap.controller_power}",
                    reason_code="SOURCE_SWITCHOVER",
                    evidence={"from": self._power, "to": snap.controller_power},
                )
            )
        self._power = snap.controller_power
        for s in snap.sensors.values():
            pdu_id = s.pdu or any_pdu
            if s.kind == "door" and s.value is not None:
                is_open = s.value >= 0.5
                was = self._door.get(s.id)
                self._door[s.id] = is_open
                if was is not None and was != is_open:
                    out.append(
                        NewEvent(
                            pdu_id=pdu_id,
                            source=f"sensor/{s.id}",
                            event_code="DOOR_OPEN" if is_open else "DOOR_CLOSED",
                            message=f"{s.name} {'opened' if is_open else 'closed'}",
                            reason_code="DOOR_CONTACT",
                            evidence={"value": s.value, "unit": s.unit},
                        )
                    )
            was_status = self._sensor_status.get(s.id, "ok")
            self._sensor_status[s.id] = s.status
            if s.status != was_status and s.status != "ok":
                out.append(
                    NewEvent(
                        pdu_id=pdu_id,
                        source=f"sensor/{s.id}",
                        event_code="SENSOR_FAULT",
                        message=f"Sensor {s.name} reports {s.status}",
                        reason_code=f"SENSOR_{s.status.upper()}",
                        evidence={"status": s.status},
                    )
                )
        return out
