"""Event code catalogue."""

from __future__ import annotations

import re

import pytest

from smartpdu.events import (
    CATALOGUE,
    EventCode,
    NewEvent,
    Severity,
    UnknownEventCodeError,
    code_info,
)

REQUIRED = [
    "SYSTEM_START",
    "SYSTEM_STOP",
    "CONFIG_CHANGED",
    "CONFIG_ROLLBACK",
    "USER_LOGIN",
    "USER_LOGIN_FAILED",
    "USER_CREATED",
    "USER_DELETED",
    "PASSWORD_CHANGED",
    "OUTLET_ON",
    "OUTLET_OFF",
    "OUTLET_CYCLE",
    "OUTLET_STUCK_ON",
    "OUTLET_STUCK_OFF",
    "OUTLET_COMMAND_DENIED",
    "OUTLET_LOCKED_OUT",
    "OUTLET_SHED",
    "OUTLET_RESTORED",
    "OUTLET_OVERLOAD",
    "OUTLET_INRUSH",
    "BRANCH_OVERLOAD",
    "BREAKER_TRIP_RISK",
    "BREAKER_TRIPPED",
    "BREAKER_CLOSED",
    "FEED_LOST",
    "FEED_RESTORED",
    "PHASE_OVERLOAD",
    "FEED_OVERLOAD",
    "VOLTAGE_SAG",
    "LOST_NEUTRAL",
    "RESIDUAL_CURRENT_HIGH",
    "ENERGY_REGISTER_RESET",
    "CALIBRATION_CHANGED",
    "CALIBRATION_DEGRADED",
    "METERING_MISMATCH",
    "GHOST_POWER",
    "SENSOR_FAULT",
    "TEMPERATURE_HIGH",
    "HUMIDITY_HIGH",
    "DEW_POINT_RISK",
    "VOC_HIGH",
    "VIBRATION_DETECTED",
    "DOOR_OPEN",
    "DOOR_CLOSED",
    "LEVER_UNLOCKED",
    "LEVER_LOCKED",
    "ACCESS_DENIED",
    "ALARM_RAISED",
    "ALARM_ACKNOWLEDGED",
    "ALARM_CLEARED",
    "SUBSCRIBER_LAGGING",
    "AUDIT_CHECKPOINT",
    "POWER_SOURCE_CHANGED",
]


def test_every_required_code_is_catalogued() -> None:
    assert set(REQUIRED) <= {str(c) for c in CATALOGUE}


def test_catalogue_covers_the_enum_with_one_line_descriptions() -> None:
    assert set(CATALOGUE) == set(EventCode)
    for code, info in CATALOGUE.items():
        assert re.fullmatch(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)*", code)
        assert info.code is code and isinstance(info.severity, Severity)
        assert info.description and "\n" not in info.description and len(info.description) < 100


@pytest.mark.parametrize(
    ("code", "severity"),
    [
        ("BREAKER_TRIPPED", Severity.CRITICAL),
        ("OUTLET_ON", Severity.INFO),
        ("TEMPERATURE_HIGH", Severity.WARNING),
        ("FEED_LOST", Severity.CRITICAL),
    ],
)
def test_default_severities(code: str, severity: Severity) -> None:
    assert code_info(code).severity is severity


def test_unknown_codes_are_rejected_on_creation() -> None:
    with pytest.raises(UnknownEventCodeError, match="OUTLET_EXPLODED"):
        NewEvent(pdu_id="p", source="outlet/1", event_code="OUTLET_EXPLODED", message="x")
    with pytest.raises(ValueError):  # lower case is not a code either
        NewEvent(pdu_id="p", source="outlet/1", event_code="outlet_on", message="x")
