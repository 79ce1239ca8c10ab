"""The engine on plain samples: matching, multi-level, acknowledge, persistence, rule changes."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from smartpdu.alarms import DEFAULT_RULES, AlarmEngine, AlarmError, Sample, alarm_event
from smartpdu.alarms.rules import effective_rules
from smartpdu.config.alarms import AlarmRuleConfig, AlarmsConfig, RuleLevel

RULE = AlarmRuleConfig(
    id="outlet-load", level="outlet", metric="load_pct", match="pdu-a/outlet/*",
    high_warning=80, high_critical=95, hysteresis=5,
)  # fmt: skip
KEY = (RuleLevel.OUTLET, "load_pct")


def table(**values: float | None):
    return {KEY: [Sample(f"{e.split('_')[0]}/outlet/{e.split('_')[1]}", e.split("_")[0], v, "%")
                  for e, v in values.items()]}  # fmt: skip


def test_warning_then_critical_on_matching_entities_only() -> None:
    eng = AlarmEngine([RULE])
    assert eng.evaluate(table(**{"pdu-a_1": 50, "pdu-b_1": 99}), 0.0, "t0") == []
    ch = eng.evaluate(table(**{"pdu-a_1": 97}), 1.0, "t1")
    assert [(c.alarm.condition, c.transition) for c in ch] == [
        ("high_critical", "raised"),
        ("high_warning", "raised"),
    ]
    assert {a.severity for a in eng.active()} == {"warning", "critical"}
    ch = eng.evaluate(table(**{"pdu-a_1": 85}), 2.0, "t2")
    assert [(c.alarm.condition, c.transition) for c in ch] == [("high_critical", "cleared")]
    assert ch[0].alarm.peak == 97 and ch[0].alarm.cleared_utc == "t2"
    assert [a.condition for a in eng.history()] == ["high_critical"]


def test_acknowledge_records_user_and_comment_and_refuses_twice() -> None:
    eng = AlarmEngine([RULE])
    ((raised, *_),) = [eng.evaluate(table(**{"pdu-a_3": 90}), 0.0, "t0")]
    out = eng.acknowledge(raised.alarm.id, "user/alice", "on it", "t1")
    assert [c.transition for c in out] == ["acknowledged"]
    a = eng.get(raised.alarm.id)
    assert a is not None and (a.state, a.acknowledged_by, a.ack_comment) == (
        "acknowledged",
        "user/alice",
        "on it",
    )
    with pytest.raises(AlarmError):
        eng.acknowledge(raised.alarm.id, "user/alice", "", "t2")
    with pytest.raises(AlarmError):
        eng.acknowledge(999, "user/alice", "", "t2")
    ev = alarm_event(out[0])
    assert ev.event_code == "ALARM_ACKNOWLEDGED" and ev.actor == "user/alice"
    assert ev.evidence["comment"] == "on it" and ev.source == "outlet/3"


def test_events_carry_rule_value_limit_and_window() -> None:
    rule = RULE.model_copy(update={"on_delay_s": 2.0})
    eng = AlarmEngine([rule])
    eng.evaluate(table(**{"pdu-a_2": 82}), 0.0, "t0")
    (c,) = eng.evaluate(table(**{"pdu-a_2": 83}), 2.0, "t2")
    ev = alarm_event(c)
    assert ev.event_code == "ALARM_RAISED" and ev.severity == "warning"
    assert ev.action_taken == "alarm" and ev.reason_code == "HIGH_WARNING"
    assert ev.evidence["rule"] == "outlet-load" and ev.evidence["value"] == 83
    assert ev.evidence["limit"] == 80 and ev.evidence["window_s"] == 2.0
    assert ev.pdu_id == "pdu-a"


def test_state_survives_a_dump_and_load_through_json() -> None:
    eng = AlarmEngine([RULE])
    eng.evaluate(table(**{"pdu-a_1": 90, "pdu-a_2": 99}), 0.0, "t0")
    first = eng.active()
    eng.acknowledge(first[0].id, "user/bob", "seen", "t1")
    eng.evaluate(table(**{"pdu-a_2": 10}), 1.0, "t1")
    data = json.loads(json.dumps(eng.dump()))
    again = AlarmEngine([RULE])
    assert again.load(data) == []
    assert [(a.id, a.state) for a in again.active()] == [(a.id, a.state) for a in eng.active()]
    assert [a.id for a in again.history()] == [a.id for a in eng.history()]
    # clearing continues from the restored state; new ids do not reuse old ones
    (c,) = again.evaluate(table(**{"pdu-a_1": 10}), 5.0, "t5")
    assert c.transition == "cleared"
    (n,) = again.evaluate(table(**{"pdu-a_3": 85}), 6.0, "t6")
    assert n.alarm.id > max(a.id for a in eng.active() + eng.history())


def test_removing_a_rule_clears_its_alarms_and_loading_reports_orphans() -> None:
    eng = AlarmEngine([RULE])
    eng.evaluate(table(**{"pdu-a_1": 90}), 0.0, "t0")
    dump = eng.dump()
    (c,) = eng.set_rules([], "t1")
    assert c.transition == "cleared" and c.reason == "RULE_CHANGED"
    assert not eng.active()
    assert [a.rule for a in AlarmEngine([]).load(dump)] == ["outlet-load"]


def test_defaults_are_valid_and_config_overrides_by_id() -> None:
    ids = [r.id for r in DEFAULT_RULES]
    assert len(ids) == len(set(ids))
    cfg = AlarmsConfig(rules=[RULE.model_copy(update={"high_warning": 70})], disabled=["voc"])
    rules = {r.id: r for r in effective_rules(cfg)}
    assert rules["outlet-load"].high_warning == 70 and "voc" not in rules
    assert effective_rules(AlarmsConfig(use_defaults=False)) == []


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"metric": "nope"}, "is not watched at level"),
        ({"high_warning": 90, "high_critical": 80}, "high_critical must be"),
        ({"high_warning": None, "high_critical": None}, "at least one limit"),
        ({"event_code": "OUTLET_ON"}, "event_code"),
        ({"sensor_kind": "voc"}, "only apply to level 'sensor'"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_rules_are_refused_naming_the_problem(patch: dict, message: str) -> None:
    data = {**RULE.model_dump(), **patch}
    with pytest.raises(ValidationError, match=message):
        AlarmRuleConfig.model_validate(data)
