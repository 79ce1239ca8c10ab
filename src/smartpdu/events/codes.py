"""Catalogue of event codes: every event names one of these, with a default severity.

Producers write ``NewEvent(event_code=EventCode.OUTLET_ON, ...)``; an unknown code is rejected
when the event is created, so a typo never reaches the tamper-evident log.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class Severity(StrEnum):
    """How urgently a person should look at an event."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class EventCode(StrEnum):
    """Every event code the controller may log (UPPER_SNAKE, stable across releases)."""

    SYSTEM_START = "SYSTEM_START"
    SYSTEM_STOP = "SYSTEM_STOP"
    CONFIG_CHANGED = "CONFIG_CHANGED"
    CONFIG_ROLLBACK = "CONFIG_ROLLBACK"
    USER_LOGIN = "USER_LOGIN"
    USER_LOGOUT = "USER_LOGOUT"
    USER_LOGIN_FAILED = "USER_LOGIN_FAILED"
    USER_CREATED = "USER_CREATED"
    USER_UPDATED = "USER_UPDATED"
    USER_DELETED = "USER_DELETED"
    PASSWORD_CHANGED = "PASSWORD_CHANGED"
    OUTLET_ON = "OUTLET_ON"
    OUTLET_OFF = "OUTLET_OFF"
    OUTLET_CYCLE = "OUTLET_CYCLE"
    OUTLET_STUCK_ON = "OUTLET_STUCK_ON"
    OUTLET_STUCK_OFF = "OUTLET_STUCK_OFF"
    OUTLET_COMMAND_DENIED = "OUTLET_COMMAND_DENIED"
    OUTLET_COMMAND_ACCEPTED = "OUTLET_COMMAND_ACCEPTED"
    OUTLET_RELAY_DRIVEN = "OUTLET_RELAY_DRIVEN"
    OUTLET_COMMAND_INTERRUPTED = "OUTLET_COMMAND_INTERRUPTED"
    OUTLET_LOCKED_OUT = "OUTLET_LOCKED_OUT"
    OUTLET_SHED = "OUTLET_SHED"
    OUTLET_RESTORED = "OUTLET_RESTORED"
    OUTLET_OVERLOAD = "OUTLET_OVERLOAD"
    OUTLET_INRUSH = "OUTLET_INRUSH"
    BRANCH_OVERLOAD = "BRANCH_OVERLOAD"
    BREAKER_TRIP_RISK = "BREAKER_TRIP_RISK"
    BREAKER_TRIPPED = "BREAKER_TRIPPED"
    BREAKER_CLOSED = "BREAKER_CLOSED"
    FEED_LOST = "FEED_LOST"
    FEED_RESTORED = "FEED_RESTORED"
    PHASE_OVERLOAD = "PHASE_OVERLOAD"
    FEED_OVERLOAD = "FEED_OVERLOAD"
    REDUNDANCY_MISWIRED = "REDUNDANCY_MISWIRED"
    N_REDUNDANCY_COMPROMISED = "N_REDUNDANCY_COMPROMISED"
    PSU_PAIR_MISMATCH = "PSU_PAIR_MISMATCH"
    VOLTAGE_SAG = "VOLTAGE_SAG"
    VOLTAGE_SWELL = "VOLTAGE_SWELL"
    LOST_NEUTRAL = "LOST_NEUTRAL"
    RESIDUAL_CURRENT_HIGH = "RESIDUAL_CURRENT_HIGH"
    RESIDUAL_CURRENT_TREND = "RESIDUAL_CURRENT_TREND"
    ENERGY_REGISTER_RESET = "ENERGY_REGISTER_RESET"
    CALIBRATION_CHANGED = "CALIBRATION_CHANGED"
    CALIBRATION_DEGRADED = "CALIBRATION_DEGRADED"
    METERING_MISMATCH = "METERING_MISMATCH"
    GHOST_POWER = "GHOST_POWER"
    SENSOR_FAULT = "SENSOR_FAULT"
    TEMPERATURE_HIGH = "TEMPERATURE_HIGH"
    CONTACT_RESISTANCE_SUSPECTED = "CONTACT_RESISTANCE_SUSPECTED"
    SURGE_DETECTED = "SURGE_DETECTED"
    SPD_END_OF_LIFE = "SPD_END_OF_LIFE"
    ARC_FAULT_SUSPECTED = "ARC_FAULT_SUSPECTED"
    HUMIDITY_HIGH = "HUMIDITY_HIGH"
    DEW_POINT_RISK = "DEW_POINT_RISK"
    VOC_HIGH = "VOC_HIGH"
    VIBRATION_DETECTED = "VIBRATION_DETECTED"
    TAMPER_SUSPECTED = "TAMPER_SUSPECTED"
    ACCESS_FORCED = "ACCESS_FORCED"
    FIRE_PRE_ALARM = "FIRE_PRE_ALARM"
    FIRE_ALARM = "FIRE_ALARM"
    FIRE_RESPONSE = "FIRE_RESPONSE"
    DOOR_OPEN = "DOOR_OPEN"
    DOOR_CLOSED = "DOOR_CLOSED"
    LEVER_UNLOCKED = "LEVER_UNLOCKED"
    LEVER_LOCKED = "LEVER_LOCKED"
    ACCESS_DENIED = "ACCESS_DENIED"
    ACCESS_GRANTED = "ACCESS_GRANTED"
    ACCESS_PENDING = "ACCESS_PENDING"
    DOOR_OPEN_TOO_LONG = "DOOR_OPEN_TOO_LONG"
    KEYPAD_LOCKED_OUT = "KEYPAD_LOCKED_OUT"
    ACCESS_LOCKDOWN = "ACCESS_LOCKDOWN"
    ACCESS_LOCKDOWN_LIFTED = "ACCESS_LOCKDOWN_LIFTED"
    ACCESS_CREDENTIALS_CHANGED = "ACCESS_CREDENTIALS_CHANGED"
    ALARM_RAISED = "ALARM_RAISED"
    ALARM_ACKNOWLEDGED = "ALARM_ACKNOWLEDGED"
    ALARM_CLEARED = "ALARM_CLEARED"
    SUBSCRIBER_LAGGING = "SUBSCRIBER_LAGGING"
    SUBSCRIPTION_CREATED = "SUBSCRIPTION_CREATED"
    SUBSCRIPTION_DELETED = "SUBSCRIPTION_DELETED"
    WEBHOOK_CREATED = "WEBHOOK_CREATED"
    WEBHOOK_UPDATED = "WEBHOOK_UPDATED"
    WEBHOOK_DELETED = "WEBHOOK_DELETED"
    WEBHOOK_SECRET_ROTATED = "WEBHOOK_SECRET_ROTATED"
    WEBHOOK_DISABLED = "WEBHOOK_DISABLED"
    WEBHOOK_REDELIVERED = "WEBHOOK_REDELIVERED"
    AUDIT_CHECKPOINT = "AUDIT_CHECKPOINT"
    EVENTS_SUPPRESSED = "EVENTS_SUPPRESSED"
    AUDIT_CHAIN_BROKEN = "AUDIT_CHAIN_BROKEN"
    POWER_SOURCE_CHANGED = "POWER_SOURCE_CHANGED"
    TICK_OVERRUN = "TICK_OVERRUN"


@dataclass(frozen=True, slots=True)
class EventCodeInfo:
    """Catalogue entry: default severity and a one-line description for docs and UIs."""

    code: EventCode
    severity: Severity
    description: str


class UnknownEventCodeError(ValueError):
    """Raised when an event names a code that is not in the catalogue."""


_I, _W, _C = Severity.INFO, Severity.WARNING, Severity.CRITICAL
_E = EventCode

_ENTRIES: Final[tuple[tuple[EventCode, Severity, str], ...]] = (
    (_E.SYSTEM_START, _I, "Controller process started."),
    (_E.SYSTEM_STOP, _I, "Controller process stopped cleanly."),
    (_E.CONFIG_CHANGED, _I, "A new configuration version was accepted and applied."),
    (_E.CONFIG_ROLLBACK, _W, "Configuration was rolled back to an earlier version."),
    (_E.USER_LOGIN, _I, "A user logged in."),
    (_E.USER_LOGOUT, _I, "A user logged out or a session was revoked."),
    (_E.USER_LOGIN_FAILED, _W, "A login attempt failed (bad user or password)."),
    (_E.USER_CREATED, _I, "A user account was created."),
    (_E.USER_UPDATED, _I, "A user account's role or status was changed."),
    (_E.USER_DELETED, _I, "A user account was deleted."),
    (_E.PASSWORD_CHANGED, _I, "A user's password was changed."),
    (_E.OUTLET_ON, _I, "An outlet was switched on."),
    (_E.OUTLET_OFF, _I, "An outlet was switched off."),
    (_E.OUTLET_CYCLE, _I, "An outlet was power-cycled."),
    (_E.OUTLET_STUCK_ON, _C, "Relay feedback says on although the outlet was commanded off."),
    (_E.OUTLET_STUCK_OFF, _C, "Relay feedback says off although the outlet was commanded on."),
    (_E.OUTLET_COMMAND_DENIED, _W, "An outlet command was refused (lock, policy or role)."),
    (
        _E.OUTLET_COMMAND_ACCEPTED,
        _I,
        "An outlet command's intent, recorded before any relay moves.",
    ),
    (_E.OUTLET_RELAY_DRIVEN, _I, "A command drove a relay (recorded before the relay moves)."),
    (
        _E.OUTLET_COMMAND_INTERRUPTED,
        _W,
        "A restart cut a command short; the steps done and the relay state found are recorded.",
    ),
    (_E.OUTLET_LOCKED_OUT, _W, "An outlet is locked out and will not accept commands."),
    (_E.OUTLET_SHED, _W, "An outlet was switched off by load shedding."),
    (_E.OUTLET_RESTORED, _I, "An outlet switched back on after shedding or a fault."),
    (_E.OUTLET_OVERLOAD, _W, "Outlet current is above its rating."),
    (_E.OUTLET_INRUSH, _I, "An inrush current peak was measured at switch-on."),
    (_E.BRANCH_OVERLOAD, _W, "Branch current is above its limit."),
    (_E.BREAKER_TRIP_RISK, _W, "A breaker's trip-curve position approaches tripping."),
    (_E.BREAKER_TRIPPED, _C, "A breaker tripped (measured or auxiliary contact)."),
    (_E.BREAKER_CLOSED, _I, "A breaker was closed again."),
    (_E.FEED_LOST, _C, "An inlet feed lost voltage."),
    (_E.FEED_RESTORED, _I, "An inlet feed has voltage again."),
    (_E.PHASE_OVERLOAD, _W, "A phase current is above its limit."),
    (_E.FEED_OVERLOAD, _W, "A feed's total load is above its limit."),
    (_E.REDUNDANCY_MISWIRED, _W, "Every PSU of a multi-PSU device is on the same feed."),
    (_E.N_REDUNDANCY_COMPROMISED, _W, "If one feed failed, the other would be overloaded."),
    (_E.PSU_PAIR_MISMATCH, _W, "Outlet loads say two PSUs are one device; the configuration not."),
    (_E.VOLTAGE_SAG, _W, "Voltage dipped below the sag threshold."),
    (_E.VOLTAGE_SWELL, _W, "Voltage rose above the swell threshold."),
    (_E.LOST_NEUTRAL, _C, "Phase voltages show a lost or broken neutral."),
    (_E.RESIDUAL_CURRENT_HIGH, _C, "Residual (leakage) current is above its limit."),
    (
        _E.RESIDUAL_CURRENT_TREND,
        _W,
        "Residual current rising: the critical level is forecast soon.",
    ),
    (_E.ENERGY_REGISTER_RESET, _I, "A resettable energy register was reset."),
    (_E.CALIBRATION_CHANGED, _I, "Channel calibration data changed."),
    (_E.CALIBRATION_DEGRADED, _W, "Calibration data is invalid; the channel reports degraded."),
    (_E.METERING_MISMATCH, _W, "Sum of outlet readings disagrees with branch/inlet readings."),
    (_E.GHOST_POWER, _W, "Power measured on an outlet that is switched off."),
    (_E.SENSOR_FAULT, _W, "A sensor is stuck, noisy or disconnected."),
    (_E.TEMPERATURE_HIGH, _W, "A temperature is above its limit."),
    (
        _E.CONTACT_RESISTANCE_SUSPECTED,
        _W,
        "An outlet terminal heats more than its current explains.",
    ),
    (
        _E.SURGE_DETECTED,
        _W,
        "A surge burst on the inlet, counted by severity (peak, dv/dt, energy).",
    ),
    (
        _E.SPD_END_OF_LIFE,
        _W,
        "The surge protective device absorbed its energy budget: replace it.",
    ),
    (
        _E.ARC_FAULT_SUSPECTED,
        _C,
        "An outlet's current shows a series arc's signature (loose or burnt terminal).",
    ),
    (_E.HUMIDITY_HIGH, _W, "Relative humidity is above its limit."),
    (_E.DEW_POINT_RISK, _W, "Surface temperature is close to the dew point."),
    (_E.VOC_HIGH, _W, "VOC concentration is high (possible smouldering)."),
    (_E.VIBRATION_DETECTED, _W, "Vibration above threshold (tamper or seismic)."),
    (_E.TAMPER_SUSPECTED, _C, "Vibration while the rack is locked and nobody was let in."),
    (_E.ACCESS_FORCED, _C, "A lever handle or door was opened while its lever was locked."),
    (_E.FIRE_PRE_ALARM, _W, "VOC and a local temperature rise together: possible smouldering."),
    (_E.FIRE_ALARM, _C, "Strong VOC and temperature rise together: fire response started."),
    (_E.FIRE_RESPONSE, _C, "One step of the fire response plan was executed."),
    (_E.DOOR_OPEN, _I, "A rack door opened."),
    (_E.DOOR_CLOSED, _I, "A rack door closed."),
    (_E.LEVER_UNLOCKED, _I, "A locking lever was unlocked."),
    (_E.LEVER_LOCKED, _I, "A locking lever was locked."),
    (_E.ACCESS_DENIED, _W, "An access attempt (lever, door, API role) was denied."),
    (_E.ACCESS_GRANTED, _I, "A lever unlock was granted (who, how, for how long)."),
    (_E.ACCESS_PENDING, _I, "First credential of a two-person lever; waiting for the second."),
    (_E.DOOR_OPEN_TOO_LONG, _W, "A rack door (lever handle) stayed open longer than allowed."),
    (
        _E.KEYPAD_LOCKED_OUT,
        _W,
        "Too many wrong PINs or cards: a keypad refuses entries for a while.",
    ),
    (_E.ACCESS_LOCKDOWN, _C, "Rack locked down after tampering: unlocks refused until lifted."),
    (_E.ACCESS_LOCKDOWN_LIFTED, _I, "An administrator lifted the rack access lock-down."),
    (_E.ACCESS_CREDENTIALS_CHANGED, _I, "A user's lever PIN, card or schedule was changed."),
    (_E.ALARM_RAISED, _W, "An alarm was raised."),
    (_E.ALARM_ACKNOWLEDGED, _I, "An alarm was acknowledged by a user."),
    (_E.ALARM_CLEARED, _I, "An alarm condition cleared."),
    (_E.SUBSCRIBER_LAGGING, _W, "An event-bus subscriber fell behind and events were dropped."),
    (_E.SUBSCRIPTION_CREATED, _I, "An event subscription (push destination) was created."),
    (_E.SUBSCRIPTION_DELETED, _I, "An event subscription (push destination) was deleted."),
    (_E.WEBHOOK_CREATED, _I, "A webhook subscription was created (its secret shown once)."),
    (_E.WEBHOOK_UPDATED, _I, "A webhook's URL, filters, template or enabled state changed."),
    (_E.WEBHOOK_DELETED, _I, "A webhook subscription was deleted with its delivery state."),
    (_E.WEBHOOK_SECRET_ROTATED, _I, "A webhook got a new secret; the old one signs until expiry."),
    (_E.WEBHOOK_DISABLED, _W, "A webhook failed for too long and was disabled; re-enable it."),
    (_E.WEBHOOK_REDELIVERED, _I, "Events were sent again to a webhook on request."),
    (_E.AUDIT_CHECKPOINT, _I, "A signed audit checkpoint was written."),
    (_E.EVENTS_SUPPRESSED, _W, "Repeats of one event from one source were counted, not logged."),
    (_E.AUDIT_CHAIN_BROKEN, _C, "Started on an event chain that failed verification."),
    (_E.POWER_SOURCE_CHANGED, _I, "The controller's own power source changed (feed A/B, PoE)."),
    (_E.TICK_OVERRUN, _W, "The measurement loop fell behind and skipped windows."),
)

CATALOGUE: Final = MappingProxyType(
    {code: EventCodeInfo(code, severity, text) for code, severity, text in _ENTRIES}
)
"""Read-only map of every :class:`EventCode` to its :class:`EventCodeInfo`."""


def code_info(code: str) -> EventCodeInfo:
    """Return the catalogue entry for ``code``; raise :class:`UnknownEventCodeError` if absent."""
    try:
        return CATALOGUE[EventCode(code)]
    except ValueError:
        raise UnknownEventCodeError(
            f"unknown event code {code!r}: add it to smartpdu.events.codes.EventCode "
            "and the catalogue, or use an existing code"
        ) from None
