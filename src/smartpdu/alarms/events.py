"""Alarm changes as events: raise (the rule's code), ALARM_ACKNOWLEDGED, ALARM_CLEARED.

Every event names the alarm (``alarm_id``, ``rule``, ``condition``) and carries the evidence a
person needs: value, limit, unit, peak, the window the limit had to be exceeded, hysteresis.
"""

from __future__ import annotations

from smartpdu.alarms.condition import Transition
from smartpdu.alarms.engine import Alarm, AlarmChange
from smartpdu.events import NewEvent
from smartpdu.events.codes import Severity
from smartpdu.events.model import Action, JsonScalar

__all__ = ["alarm_event", "alarm_source"]


def alarm_source(alarm: Alarm) -> str:
    """The event source: the entity without its PDU scope (``outlet/7``, ``sensor/temp-top``)."""
    head, _, rest = alarm.entity.partition("/")
    return rest if rest and head in (alarm.pdu_id, "rack") else alarm.entity


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.4g}"


def alarm_event(change: AlarmChange) -> NewEvent:
    """The event of one alarm change."""
    a = change.alarm
    evidence: dict[str, JsonScalar] = {
        "alarm_id": a.id,
        "rule": a.rule,
        "condition": a.condition,
        "level": a.severity,
        "entity": a.entity,
        "metric": a.metric,
        "value": a.value,
        "limit": a.limit,
        "unit": a.unit,
        "peak": a.peak,
        "window_s": a.window_s,
        "hysteresis": a.hysteresis,
        "latched": a.latched,
    }
    what = f"{a.rule} {a.condition.replace('_', ' ')} on {a.entity}"
    if change.transition is Transition.RAISED:
        return NewEvent(
            pdu_id=a.pdu_id,
            source=alarm_source(a),
            event_code=a.event_code,
            message=f"alarm #{a.id} raised: {what} ({_fmt(a.value)} {a.unit} vs limit "
            f"{_fmt(a.limit)} {a.unit})",
            severity=Severity(a.severity),
            action_taken=Action.ALARM,
            reason_code=a.condition.upper(),
            evidence=evidence,
        )
    if change.transition is Transition.ACKNOWLEDGED:
        evidence["comment"] = change.comment or ""
        return NewEvent(
            pdu_id=a.pdu_id,
            source=alarm_source(a),
            event_code="ALARM_ACKNOWLEDGED",
            message=f"alarm #{a.id} acknowledged by {change.actor}: {what}"
            + (f" — {change.comment}" if change.comment else ""),
            action_taken=Action.ACK,
            reason_code="USER_ACKNOWLEDGED",
            evidence=evidence,
            actor=change.actor,
        )
    return NewEvent(
        pdu_id=a.pdu_id,
        source=alarm_source(a),
        event_code="ALARM_CLEARED",
        message=f"alarm #{a.id} cleared: {what} ({_fmt(a.value)} {a.unit}, peak {_fmt(a.peak)})",
        action_taken=Action.CLEAR,
        reason_code=change.reason,
        evidence=evidence,
        actor=change.actor,
    )
