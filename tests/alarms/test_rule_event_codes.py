"""Event codes a rule may raise, and the renamed vibration code."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from smartpdu.config.alarms import ALARM_EVENT_CODES, AlarmRuleConfig
from smartpdu.events import CATALOGUE, EventCode, NewEvent


def _rule(code: str) -> AlarmRuleConfig:
    return AlarmRuleConfig.model_validate(
        {"id": "vib", "level": "sensor", "metric": "value", "sensor_kind": "vibration",
         "high_warning": 0.5, "event_code": code}
    )  # fmt: skip


def test_every_code_a_rule_may_raise_is_catalogued() -> None:
    assert set(ALARM_EVENT_CODES) <= {str(c) for c in CATALOGUE}


def test_vibration_is_vibration_detected() -> None:
    assert "VIBRATION_DETECTED" in {str(c) for c in EventCode}
    assert "VIBRATION" not in {str(c) for c in EventCode}
    with pytest.raises(ValueError, match="unknown event code 'VIBRATION'"):
        NewEvent(pdu_id="p", source="sensor/vib-1", event_code="VIBRATION", message="x")


def test_a_stored_rule_with_the_former_code_loads_with_the_new_one() -> None:
    assert _rule("VIBRATION_DETECTED").event_code == "VIBRATION_DETECTED"
    assert _rule("VIBRATION").event_code == "VIBRATION_DETECTED"
    with pytest.raises(ValidationError, match="event_code"):
        _rule("VIBRATING")
