"""Alarm engine: threshold / hysteresis / delay / rate / latch / acknowledge (pure, no I/O)."""

from smartpdu.alarms.condition import (
    Condition,
    ConditionKind,
    ConditionState,
    Transition,
    acknowledge,
    evaluate,
)
from smartpdu.alarms.defaults import DEFAULT_RULES
from smartpdu.alarms.engine import Alarm, AlarmChange, AlarmEngine, AlarmError, Sample, SampleTable
from smartpdu.alarms.events import alarm_event, alarm_source
from smartpdu.alarms.rate import RateWindow, slope_per_min
from smartpdu.alarms.rules import (
    conditions_of,
    effective_rules,
    entity_thresholds,
    sensor_thresholds,
)

__all__ = [
    "DEFAULT_RULES",
    "Alarm",
    "AlarmChange",
    "AlarmEngine",
    "AlarmError",
    "Condition",
    "ConditionKind",
    "ConditionState",
    "RateWindow",
    "Sample",
    "SampleTable",
    "Transition",
    "acknowledge",
    "alarm_event",
    "alarm_source",
    "conditions_of",
    "effective_rules",
    "entity_thresholds",
    "evaluate",
    "sensor_thresholds",
    "slope_per_min",
]
