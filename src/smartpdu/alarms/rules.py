"""From configuration to conditions: the effective rule set and each rule's conditions."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

from smartpdu.alarms.condition import Condition, ConditionKind
from smartpdu.alarms.defaults import DEFAULT_RULES
from smartpdu.config.alarms import AlarmRuleConfig, AlarmsConfig

__all__ = ["conditions_of", "effective_rules", "entity_thresholds", "sensor_thresholds"]


def effective_rules(
    cfg: AlarmsConfig, defaults: Iterable[AlarmRuleConfig] = DEFAULT_RULES
) -> list[AlarmRuleConfig]:
    """Defaults (unless switched off), replaced or extended by the configured rules, minus the
    disabled ids and rules with ``enabled: false``; in a stable order (defaults first)."""
    by_id: dict[str, AlarmRuleConfig] = {}
    if cfg.use_defaults:
        by_id.update((r.id, r) for r in defaults)
    by_id.update((r.id, r) for r in cfg.rules)
    off = set(cfg.disabled)
    return [r for r in by_id.values() if r.enabled and r.id not in off]


def conditions_of(rule: AlarmRuleConfig) -> list[Condition]:
    """The HIHI/HI/LO/LOLO/rate conditions a rule defines (critical before warning)."""
    out: list[Condition] = []
    for name, kind, severity, limit in (
        ("high_critical", ConditionKind.HIGH, "critical", rule.high_critical),
        ("high_warning", ConditionKind.HIGH, "warning", rule.high_warning),
        ("low_critical", ConditionKind.LOW, "critical", rule.low_critical),
        ("low_warning", ConditionKind.LOW, "warning", rule.low_warning),
    ):
        if limit is not None:
            out.append(
                Condition(
                    name,
                    kind,
                    severity,
                    float(limit),
                    rule.hysteresis,
                    rule.on_delay_s,
                    rule.off_delay_s,
                    rule.latch,
                )
            )
    if rule.rate_per_min is not None:
        out.append(
            Condition(
                "rate",
                ConditionKind.RATE,
                "warning",
                rule.rate_per_min,
                hysteresis=0.25 * rule.rate_per_min,
                on_delay_s=rule.on_delay_s,
                off_delay_s=rule.off_delay_s,
                latch=rule.latch,
            )
        )
    return out


_LIMITS = ("high_warning", "high_critical", "low_warning", "low_critical")


def entity_thresholds(
    rules: Iterable[AlarmRuleConfig], level: str, metric: str, entity: str
) -> dict[str, float]:
    """The limits the rules apply to ``metric`` of one entity of ``level`` (``inlet``,
    ``branch``, ``outlet``…), by name; the last matching rule wins per limit.

    Interfaces show them as thresholds (Redfish ``Thresholds``, REST levels) so a reading and
    the alarm it may raise agree."""
    out: dict[str, float] = {}
    for r in rules:
        if r.level.value != level or r.metric != metric:
            continue
        if not fnmatch.fnmatchcase(entity, r.match):
            continue
        for name in _LIMITS:
            v = getattr(r, name)
            if v is not None:
                out[name] = float(v)
    return out


def sensor_thresholds(
    rules: Iterable[AlarmRuleConfig], entity: str, kind: str, position: str | None
) -> dict[str, float]:
    """The limits the rules apply to one sensor's value, by name (``high_warning``, …); the last
    matching rule wins per limit (as in evaluation order, a later rule overrides)."""
    out: dict[str, float] = {}
    for r in rules:
        if r.level.value != "sensor" or r.metric != "value":
            continue
        if r.sensor_kind is not None and r.sensor_kind != kind:
            continue
        if r.positions and position not in r.positions:
            continue
        if not fnmatch.fnmatchcase(entity, r.match):
            continue
        for name in _LIMITS:
            v = getattr(r, name)
            if v is not None:
                out[name] = float(v)
    return out
