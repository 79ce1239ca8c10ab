"""Limits the effective rules apply to one electrical entity (shown as Redfish thresholds)."""

from __future__ import annotations

from smartpdu.alarms import effective_rules, entity_thresholds
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
