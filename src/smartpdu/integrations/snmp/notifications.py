"""Which events become SNMP notifications (SMARTPDU-MIB ``smartpduNotifications``).

A notification number is published in the MIB and never renumbered: new ones are appended.
The mapping is plain data; :func:`notification_for` picks the notification of an event (or None:
most events, e.g. logins, are not trapped; the event log and REST have them all).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

__all__ = ["EVENT_OBJECTS", "NOTIFICATIONS", "Notification", "notification_for"]


@dataclass(frozen=True, slots=True)
class Notification:
    sub: int
    name: str
    codes: tuple[str, ...]
    """Event codes sent as this notification."""
    description: str
    metrics: tuple[str, ...] = ()
    """For ``ALARM_RAISED`` events: the alarm metrics this notification stands for."""


NOTIFICATIONS: Final[tuple[Notification, ...]] = (
    Notification(1, "feedLost", ("FEED_LOST",), "A feed (inlet voltage) was lost."),
    Notification(2, "feedRestored", ("FEED_RESTORED",), "A lost feed is back."),
    Notification(3, "breakerTripped", ("BREAKER_TRIPPED",), "A breaker tripped."),
    Notification(4, "breakerTripRisk", ("BREAKER_TRIP_RISK",),
                 "A breaker approaches its thermal trip curve."),
    Notification(5, "residualCurrent", ("RESIDUAL_CURRENT_HIGH", "RESIDUAL_CURRENT_TREND"),
                 "Residual (RCM) current is high or rising."),
    Notification(6, "temperatureHigh", ("TEMPERATURE_HIGH", "CONTACT_RESISTANCE_SUSPECTED"),
                 "A temperature (air or outlet terminal) is high."),
    Notification(7, "dewPointRisk", ("DEW_POINT_RISK", "HUMIDITY_HIGH"),
                 "Condensation risk: dew point close to a surface temperature."),
    Notification(8, "thdHigh", (), "A voltage or current THD alarm was raised.",
                 metrics=("thd_u_pct", "thd_i_pct")),
    Notification(9, "redundancyLost", ("N_REDUNDANCY_COMPROMISED", "REDUNDANCY_MISWIRED"),
                 "The rack would not survive the loss of one feed, or a device is miswired."),
    Notification(10, "tamperSuspected", ("TAMPER_SUSPECTED", "ACCESS_FORCED"),
                 "Tamper or forced access (lever handle open while locked)."),
    Notification(11, "fireAlarm", ("FIRE_PRE_ALARM", "FIRE_ALARM", "FIRE_RESPONSE"),
                 "Early fire detection (VOC and temperature rise) alarmed."),
    Notification(12, "outletFault", ("OUTLET_STUCK_ON", "OUTLET_STUCK_OFF", "OUTLET_LOCKED_OUT"),
                 "An outlet relay did not reach its state, or protection holds it off."),
    Notification(13, "alarmRaised", ("ALARM_RAISED",), "A threshold alarm was raised."),
    Notification(14, "alarmCleared", ("ALARM_CLEARED",), "A threshold alarm cleared."),
)  # fmt: skip

EVENT_OBJECTS: Final = (
    (1, "smartpduEventSequence", "Unsigned32", "Sequence id of the event in its PDU's log."),
    (2, "smartpduEventTime", "DisplayString", "RFC 3339 UTC timestamp of the event."),
    (3, "smartpduEventPdu", "DisplayString", "PDU id of the event's log."),
    (4, "smartpduEventSource", "DisplayString", "Source (feed/A, outlet/7, sensor/t1, ...)."),
    (5, "smartpduEventCode", "DisplayString", "Event code (UPPER_SNAKE, catalogued)."),
    (6, "smartpduEventSeverity", "DisplayString", "info, warning or critical."),
    (7, "smartpduEventText", "DisplayString", "Reason and evidence (JSON), truncated to 255."),
)
"""Objects every notification carries (``smartpduObjects.10``, accessible-for-notify)."""

_BY_CODE: Final[Mapping[str, Notification]] = {
    code: n for n in NOTIFICATIONS for code in n.codes if code != "ALARM_RAISED"
}


def notification_for(event_code: str, evidence: Mapping[str, Any]) -> Notification | None:
    """The notification an event is sent as, or None when it is not trapped.

    A raised alarm on a THD metric is sent as ``thdHigh`` (the rule's metric is in the event's
    evidence); other raised alarms as ``alarmRaised``.
    """
    if event_code == "ALARM_RAISED":
        metric = str(evidence.get("metric", ""))
        for n in NOTIFICATIONS:
            if metric in n.metrics:
                return n
        return next(n for n in NOTIFICATIONS if n.name == "alarmRaised")
    return _BY_CODE.get(event_code)
