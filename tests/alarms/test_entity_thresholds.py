"""Limits the effective rules apply to one electrical entity (shown as Redfish thresholds)."""

from __future__ import annotations

import pytest

from smartpdu.alarms import AlarmEngine, effective_rules, entity_thresholds
from smartpdu.config.alarms import AlarmsConfig


def test_defaults_give_each_residual_level_its_own_limits() -> None:
    rules = effective_rules(AlarmsConfig())
    assert entity_thresholds(rules, "inlet", "residual_ma", "pdu-a/inlet") == {
        "high_warning": 10.0, "high_critical": 15.0}  # fmt: skip
    assert entity_thresholds(rules, "branch", "residual_ma", "pdu-b/branch/B6") == {
        "high_warning": 10.0, "high_critical": 15.0}  # fmt: skip
    assert entity_thresholds(rules, "outlet", "residual_ma", "pdu-b/outlet/21") == {
        "high_warning": 3.5, "high_critical": 10.0}  # fmt: skip
    assert entity_thresholds(rules, "outlet", "current_a", "pdu-b/outlet/21") == {}


def test_a_narrower_rule_added_later_overrides_per_limit_and_only_where_it_matches() -> None:
    cfg = AlarmsConfig.model_validate(
        {"rules": [{"id": "lab-leak", "level": "outlet", "metric": "residual_ma",
                    "match": "pdu-b/outlet/2?", "high_critical": 6}]}
    )  # fmt: skip
    rules = effective_rules(cfg)
    assert entity_thresholds(rules, "outlet", "residual_ma", "pdu-b/outlet/21") == {
        "high_warning": 3.5, "high_critical": 6.0}  # fmt: skip
    assert entity_thresholds(rules, "outlet", "residual_ma", "pdu-b/outlet/3") == {
        "high_warning": 3.5, "high_critical": 10.0}  # fmt: skip
    off = effective_rules(AlarmsConfig(disabled=["outlet-residual"]))
    assert entity_thresholds(off, "outlet", "residual_ma", "pdu-b/outlet/21") == {}


def _residual(entity: str, value: float) -> dict:
    from smartpdu.alarms import Sample
    from smartpdu.config.alarms import RuleLevel

    level = RuleLevel.OUTLET if "/outlet/" in entity else RuleLevel.BRANCH
    return {(level, "residual_ma"): [Sample(entity, entity.split("/")[0], value, "mA")]}


@pytest.mark.parametrize("entity", ["pdu-b/branch/B6", "pdu-b/outlet/21"])
def test_switching_transient_raises_nothing_sustained_leakage_does(entity: str) -> None:
    """A Y-capacitor charge at switch-on lasts a few windows: shorter than the 10 s on-delay of
    the shipped residual rules. The same level held past it is an alarm."""
    eng = AlarmEngine(effective_rules(AlarmsConfig()))
    t, changes = 0.0, []
    for k in range(100):  # 20 s of 0.2-s windows: 1 s at 25 mA at t = 5 s, else 1 mA
        v = 25.0 if 25 <= k < 30 else 1.0
        changes += eng.evaluate(_residual(entity, v), t, f"t{k}")
        t += 0.2
    assert changes == []
    for k in range(100, 160):  # 12 s at 25 mA
        changes += eng.evaluate(_residual(entity, 25.0), t, f"t{k}")
        t += 0.2
    raised = {(c.alarm.condition, c.transition) for c in changes}
    assert raised == {("high_critical", "raised"), ("high_warning", "raised")}
    first = min(float(c.alarm.raised_utc[1:]) for c in changes) * 0.2 - 100 * 0.2
    assert first >= 10.0 - 1e-9  # the on-delay, measured from the first window at 25 mA
