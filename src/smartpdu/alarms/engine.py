"""The alarm engine: rules × entities × conditions, fed plain samples, no I/O and no clock.

The tick stage hands it a table of :class:`Sample` per (level, metric) — values with their
quality, ``None`` where the meter or sensor had no good value — plus the hardware time and the
UTC time text; it returns what changed (:class:`AlarmChange`) for the stage to log as events.
Acknowledgements come from users (REST, CLI) through :meth:`AlarmEngine.acknowledge`. The
active alarms, the id counter and a bounded history survive a restart through
:meth:`dump`/:meth:`load` (JSON-ready data the stage keeps in the store).
"""

from __future__ import annotations

import fnmatch
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, NamedTuple

from smartpdu.alarms.condition import (
    _NORMAL,
    Condition,
    ConditionKind,
    ConditionState,
    Transition,
    acknowledge,
    evaluate,
)
from smartpdu.alarms.rate import RateWindow
from smartpdu.alarms.rules import conditions_of
from smartpdu.config.alarms import AlarmRuleConfig, RuleLevel

__all__ = [
    "HISTORY_SIZE",
    "Alarm",
    "AlarmChange",
    "AlarmEngine",
    "AlarmError",
    "Sample",
    "SampleTable",
]

_RATE = ConditionKind.RATE
HISTORY_SIZE = 500
"""Closed alarms remembered (the event log keeps them all)."""


class AlarmError(ValueError):
    """An alarm request that cannot be honoured (unknown id, nothing to acknowledge)."""


class Sample(NamedTuple):
    """One entity's value of one metric in the latest window (a tuple: thousands per second)."""

    entity: str
    """``pdu-a/outlet/7``, ``pdu-a/inlet/L1``, ``rack/sensor/temp-top``, ``rack``."""
    pdu_id: str
    """The PDU whose event chain records this entity's alarms."""
    value: float | None
    """None: no good value (NaN, flagged sample, sensor fault) — never raises or clears."""
    unit: str
    quality: str = "ok"
    kind: str | None = None
    """Sensor kind (sensor samples only)."""
    position: str | None = None
    """Sensor mounting position (sensor samples only)."""


SampleTable = Mapping[tuple[RuleLevel, str], Sequence[Sample]]


@dataclass(frozen=True, slots=True)
class Alarm:
    """One occurrence of an alarm, from raise to clear (what REST and the events show)."""

    id: int
    key: str
    """Stable identity across occurrences: ``rule/entity/condition``."""
    rule: str
    condition: str
    severity: str
    entity: str
    pdu_id: str
    metric: str
    unit: str
    limit: float
    value: float | None
    peak: float | None
    state: str
    """``raised``, ``acknowledged`` or ``cleared``."""
    raised_utc: str
    event_code: str
    latched: bool = False
    returned: bool = False
    """Latched and back to normal, waiting for an acknowledgement."""
    stale: bool = False
    acknowledged_by: str | None = None
    ack_comment: str | None = None
    acknowledged_utc: str | None = None
    cleared_utc: str | None = None
    window_s: float = 0.0
    """How long the limit had to be exceeded (on-delay) or the rate window."""
    hysteresis: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class AlarmChange:
    alarm: Alarm
    transition: Transition
    actor: str | None = None
    comment: str | None = None
    reason: str = "BACK_TO_NORMAL"
    """Why a clear happened: ``BACK_TO_NORMAL``, ``LATCH_ACKNOWLEDGED`` or ``RULE_CHANGED``."""


@dataclass(slots=True)
class _Slot:
    rule: AlarmRuleConfig
    cond: Condition
    entity: str
    pdu_id: str
    unit: str
    state: ConditionState
    alarm: Alarm | None = None


class AlarmEngine:
    """Evaluates the effective rules on every matching entity; one slot per condition."""

    def __init__(self, rules: Iterable[AlarmRuleConfig] = ()) -> None:
        self._rules: list[tuple[AlarmRuleConfig, list[Condition]]] = []
        self._slots: dict[tuple[str, str, str], _Slot] = {}
        self._rates: dict[tuple[str, str], RateWindow] = {}
        self._match: dict[tuple[str, str], bool] = {}
        self._history: deque[Alarm] = deque(maxlen=HISTORY_SIZE)
        self._next_id = 1
        self.set_rules(rules)

    # -- rules ------------------------------------------------------------------------------------
    def set_rules(self, rules: Iterable[AlarmRuleConfig], now_utc: str = "") -> list[AlarmChange]:
        """Replace the rule set. Slots of unchanged conditions keep their state; alarms of
        conditions that were removed or changed are cleared (returned, for the stage to log)."""
        self._rules = [(r, conditions_of(r)) for r in rules]
        by_id = {r.id: r for r, _ in self._rules}
        wanted = {(r.id, c) for r, conds in self._rules for c in conds}
        dropped: list[AlarmChange] = []
        for key, slot in list(self._slots.items()):
            if (slot.rule.id, slot.cond) in wanted:
                slot.rule = by_id[slot.rule.id]
                continue
            del self._slots[key]
            if slot.alarm is not None:
                dropped.append(self._close(slot.alarm, now_utc, "RULE_CHANGED"))
        self._rates.clear()
        self._match.clear()
        return dropped

    @property
    def rules(self) -> list[AlarmRuleConfig]:
        return [r for r, _ in self._rules]

    def metrics_needed(self) -> set[tuple[RuleLevel, str]]:
        """The (level, metric) columns the rules read: the stage extracts only these."""
        return {(r.level, r.metric) for r, _ in self._rules}

    def _matches(self, rule: AlarmRuleConfig, s: Sample) -> bool:
        key = (rule.id, s.entity)
        hit = self._match.get(key)
        if hit is None:
            hit = fnmatch.fnmatchcase(s.entity, rule.match)
            if rule.sensor_kind is not None:
                hit = hit and s.kind == rule.sensor_kind
            if rule.positions:
                hit = hit and s.position in rule.positions
            self._match[key] = hit
        return hit

    # -- evaluation -------------------------------------------------------------------------------
    def evaluate(self, table: SampleTable, t_s: float, now_utc: str) -> list[AlarmChange]:
        """Feed the latest samples; return the alarms raised and cleared."""
        changes: list[AlarmChange] = []
        for rule, conds in self._rules:
            for s in table.get((rule.level, rule.metric), ()):
                if not self._matches(rule, s):
                    continue
                slope: float | None = None
                if rule.rate_per_min is not None:
                    rk = (rule.id, s.entity)
                    window = self._rates.get(rk)
                    if window is None:
                        window = self._rates[rk] = RateWindow(rule.rate_window_s)
                    slope = window.add(t_s, s.value)
                for cond in conds:
                    value = s.value
                    if cond.kind is _RATE:
                        value = None if slope is None else abs(slope)
                    change = self._step(rule, cond, s, value, t_s, now_utc)
                    if change is not None:
                        changes.append(change)
        return changes

    def _step(
        self,
        rule: AlarmRuleConfig,
        cond: Condition,
        s: Sample,
        value: float | None,
        t_s: float,
        now_utc: str,
    ) -> AlarmChange | None:
        key = (rule.id, s.entity, cond.name)
        slot = self._slots.get(key)
        if slot is None:
            state, tr = evaluate(cond, _NORMAL, value, t_s)
            if state is _NORMAL or value is None:
                return None  # inside the limit (or unknown) and nothing pending: no slot needed
            slot = self._slots[key] = _Slot(rule, cond, s.entity, s.pdu_id, s.unit, state)
        else:
            state, tr = evaluate(cond, slot.state, value, t_s)
            slot.state = state
            if state is _NORMAL and slot.alarm is None and tr is None:
                del self._slots[key]
        if tr is Transition.RAISED:
            slot.alarm = self._new_alarm("/".join(key), slot, now_utc)
            return AlarmChange(slot.alarm, tr)
        if tr is Transition.CLEARED and slot.alarm is not None:
            alarm = replace(slot.alarm, value=value)
            slot.alarm = None
            del self._slots[key]
            return self._close(alarm, now_utc)
        if slot.alarm is not None:
            slot.alarm = replace(slot.alarm, value=state.value, peak=state.peak,
                                 stale=state.stale, returned=state.returned)  # fmt: skip
        return None

    def _new_alarm(self, key: str, slot: _Slot, now_utc: str) -> Alarm:
        rule, cond, st = slot.rule, slot.cond, slot.state
        alarm_id, self._next_id = self._next_id, self._next_id + 1
        return Alarm(
            id=alarm_id,
            key=key,
            rule=rule.id,
            condition=cond.name,
            severity=cond.severity,
            entity=slot.entity,
            pdu_id=slot.pdu_id,
            metric=rule.metric if cond.kind is not _RATE else f"{rule.metric}/min",
            unit=slot.unit if cond.kind is not _RATE else f"{slot.unit}/min",
            limit=cond.limit,
            value=st.value,
            peak=st.peak,
            state="raised",
            raised_utc=now_utc,
            event_code=rule.event_code,
            latched=cond.latch,
            window_s=rule.rate_window_s if cond.kind is _RATE else cond.on_delay_s,
            hysteresis=cond.hysteresis,
        )

    def _close(
        self, alarm: Alarm, now_utc: str, reason: str = "BACK_TO_NORMAL", actor: str | None = None
    ) -> AlarmChange:
        closed = replace(alarm, state="cleared", cleared_utc=now_utc or None, returned=False)
        self._history.append(closed)
        return AlarmChange(closed, Transition.CLEARED, actor, reason=reason)

    # -- people ----------------------------------------------------------------------------------
    def acknowledge(
        self, alarm_id: int, actor: str, comment: str, now_utc: str
    ) -> list[AlarmChange]:
        """Acknowledge an active alarm (``AlarmError`` if unknown or already acknowledged).

        Returns the acknowledgement and, for a latched alarm already back to normal, its clear."""
        key, slot = next(
            ((k, s) for k, s in self._slots.items() if s.alarm and s.alarm.id == alarm_id),
            (None, None),
        )
        if key is None or slot is None or slot.alarm is None:
            raise AlarmError(f"no active alarm {alarm_id}")
        if slot.alarm.state == "acknowledged":
            raise AlarmError(f"alarm {alarm_id} is already acknowledged")
        state, tr = acknowledge(slot.state)
        slot.state = state
        acked = replace(slot.alarm, state="acknowledged", acknowledged_by=actor,
                        ack_comment=comment, acknowledged_utc=now_utc)  # fmt: skip
        out = [AlarmChange(acked, Transition.ACKNOWLEDGED, actor, comment)]
        if tr is Transition.CLEARED:
            del self._slots[key]
            out.append(self._close(acked, now_utc, "LATCH_ACKNOWLEDGED", actor))
        else:
            slot.alarm = acked
        return out

    # -- views -----------------------------------------------------------------------------------
    def active(self) -> list[Alarm]:
        """Active alarms (raised or acknowledged), newest first."""
        found = [s.alarm for s in self._slots.values() if s.alarm is not None]
        return sorted(found, key=lambda a: a.id, reverse=True)

    def history(self) -> list[Alarm]:
        """Recently cleared alarms, newest first."""
        return list(reversed(self._history))

    def get(self, alarm_id: int) -> Alarm | None:
        for a in self.active():
            if a.id == alarm_id:
                return a
        return next((a for a in self._history if a.id == alarm_id), None)

    # -- persistence -----------------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        """JSON-ready state: the id counter, active alarms with their condition state, history."""
        return {
            "next_id": self._next_id,
            "active": [
                {"alarm": s.alarm.to_dict(), "acknowledged": s.state.acknowledged}
                for s in self._slots.values()
                if s.alarm is not None
            ],
            "history": [a.to_dict() for a in self._history],
        }

    def load(self, data: Mapping[str, Any]) -> list[Alarm]:
        """Restore a dump; alarms whose rule or condition no longer exists are returned (and
        not restored) so the caller can log that they ended with the restart."""
        self._next_id = max(self._next_id, int(data.get("next_id", 1)))
        self._history.extend(Alarm(**a) for a in data.get("history", ()))
        conds = {(r.id, c.name): (r, c) for r, cs in self._rules for c in cs}
        orphans: list[Alarm] = []
        for item in data.get("active", ()):
            alarm = Alarm(**item["alarm"])
            found = conds.get((alarm.rule, alarm.condition))
            if found is None:
                orphans.append(alarm)
                continue
            rule, cond = found
            state = ConditionState(active=True, acknowledged=bool(item.get("acknowledged")),
                                   returned=alarm.returned, value=alarm.value,
                                   peak=alarm.peak)  # fmt: skip
            key = (alarm.rule, alarm.entity, alarm.condition)
            self._slots[key] = _Slot(rule, cond, alarm.entity, alarm.pdu_id, alarm.unit, state,
                                     alarm)  # fmt: skip
        return orphans
