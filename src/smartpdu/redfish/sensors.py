"""Sensor resources: one table maps every electrical reading and environment sensor to a Sensor.

Electrical sensors live in the PDU's chassis (``/Chassis/{pdu}/Sensors/Outlet7Power``), environment
sensors and the computed dew point in the rack chassis. ``DataSourceUri`` in Outlets, Circuits and
Metrics points here, so the two views always show the same snapshot value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from smartpdu.model.ids import EntityId, branch_id, inlet_id, outlet_id, phase_id, redfish_prefix
from smartpdu.model.metrics import CATALOGUE, Level, Metric, RedfishProperty, display
from smartpdu.model.snapshot import ChannelReading, PduSnapshot, RackSnapshot
from smartpdu.redfish.context import ROOT, Ctx
from smartpdu.redfish.errors import RedfishError
from smartpdu.safety import DEW_POINT_SENSOR_ID

__all__ = [
    "RACK_CHASSIS",
    "build_sensor",
    "channel_fields",
    "electrical_sensor_ids",
    "environment_sensor_ids",
    "rnd",
    "sensor_uri",
]

RACK_CHASSIS: Final = "rack"
DEW_POINT_ID: Final = "DewPoint"
RISK_ID: Final = "RiskScore"
G_TO_MS2: Final = 9.80665
_ENV_KINDS: Final = {
    "temperature": ("Temperature", "Cel", 1.0),
    "humidity": ("Humidity", "%", 1.0),
    "voc": (None, "ppb", 1.0),
    "vibration": ("LinearAcceleration", "m/s2", G_TO_MS2),
    "dew_point": ("Temperature", "Cel", 1.0),
}
_ENV_IDS: Final = {DEW_POINT_SENSOR_ID: DEW_POINT_ID}
"""Snapshot sensor id → Redfish sensor id where the two differ (derived rows)."""


def _rows(level: Level) -> tuple[tuple[Metric, RedfishProperty], ...]:
    return tuple((m, m.redfish) for m in CATALOGUE if m.redfish and level in m.levels)


_ROWS: Final = {lv: _rows(lv) for lv in (Level.INLET, *(Level.PHASE, Level.BRANCH, Level.OUTLET))}
_SENSORS: Final = {
    lv: tuple((m, rf) for m, rf in rows if rf.prop == "Reading") for lv, rows in _ROWS.items()
}


def rnd(value: float | None) -> float | None:
    """Round a reading for display (mV, mA, mW, Wh resolution); non-finite becomes null."""
    if value is None or not math.isfinite(value):
        return None
    return round(value, 3) + 0.0


def _shown(m: Metric, rf: RedfishProperty, raw: float | None) -> float | None:
    """The catalogue's display value (null, noise clamp, precision) in Redfish units (``digits``
    decimals, 3 unless the row says otherwise)."""
    v = display(m, raw)
    return None if v is None else round(v * rf.scale, rf.digits) + 0.0


def sensor_uri(chassis_id: str, sensor_id: str) -> str:
    return f"{ROOT}/Chassis/{chassis_id}/Sensors/{sensor_id}"


@dataclass(frozen=True, slots=True)
class _Channel:
    eid: EntityId
    level: Level
    name: str
    reading: ChannelReading | None
    entity: object

    def value(self, m: Metric) -> float | None:
        v = getattr(self.reading if m.source is ChannelReading else self.entity, m.field)
        return None if v is None else float(v)


def _channels(pdu: PduSnapshot) -> dict[str, _Channel]:
    """Sensor-id prefix → channel, for the inlet totals and every metered channel of a PDU."""
    chans = [_Channel(inlet_id(), Level.INLET, "Mains", None, pdu.inlet)]
    chans += [
        _Channel(phase_id(line), Level.PHASE, f"Mains {line}", r, None)
        for line, r in pdu.inlet.phases.items()
    ]
    chans += [
        _Channel(branch_id(bid), Level.BRANCH, f"Branch {bid}", b.reading, b)
        for bid, b in pdu.branches.items()
    ]
    chans += [
        _Channel(outlet_id(oid), Level.OUTLET, f"Outlet {oid}", o.reading, o)
        for oid, o in pdu.outlets.items()
    ]
    return {redfish_prefix(c.eid): c for c in chans}


def electrical_sensor_ids(pdu: PduSnapshot) -> list[str]:
    """Every electrical sensor of a PDU; optional ones (residual current) only where measured."""
    return [
        f"{prefix}{rf.sensor}"
        for prefix, c in _channels(pdu).items()
        for m, rf in _SENSORS[c.level]
        if not rf.optional or c.value(m) is not None
    ]


def _fields(pdu_id: str, prefix: str, c: _Channel) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m, rf in _ROWS[c.level]:
        if rf.excerpt:
            out[rf.excerpt] = {
                "DataSourceUri": sensor_uri(pdu_id, prefix + rf.sensor),
                "Reading": _shown(m, rf, c.value(m)),
            }
    for m, rf in _ROWS[c.level]:
        if rf.in_excerpt:
            excerpt = next(r.excerpt for _, r in _SENSORS[c.level] if r.sensor == rf.sensor)
            v = _shown(m, rf, c.value(m))
            if v is not None and excerpt is not None:
                out[excerpt][rf.prop] = v
    return out


def channel_fields(pdu: PduSnapshot, prefix: str) -> dict[str, Any]:
    """Outlet/Circuit sensor excerpts (``Voltage``, ``CurrentAmps``, ``PowerWatts``, …) of one
    channel, generated from the catalogue's Redfish column; ``prefix`` is ``Outlet7``, ``Mains``."""
    return _fields(pdu.id, prefix, _channels(pdu)[prefix])


def _status(ok: bool = True) -> dict[str, str]:
    return {"State": "Enabled", "Health": "OK" if ok else "Warning"}


def _sensor(chassis: str, sid: str, name: str, value: float | None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "@odata.type": "#Sensor.v1_12_0.Sensor",
        "@odata.id": sensor_uri(chassis, sid),
        "Id": sid,
        "Name": name,
        "Reading": value,
        "Status": _status(value is not None),
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def _words(camel: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r" \1", camel).lower()


def _electrical(
    pdu: PduSnapshot, sid: str, limits: Callable[[Level, str, str], dict[str, float]] | None = None
) -> dict[str, Any] | None:
    for prefix, c in _channels(pdu).items():
        if not sid.startswith(prefix):
            continue
        suffix = sid[len(prefix) :]
        main = next(((m, rf) for m, rf in _SENSORS[c.level] if rf.sensor == suffix), None)
        if main is None:
            continue
        m, rf = main
        if rf.optional and c.value(m) is None:
            return None  # not measured here: no such sensor
        extra = {
            r.prop: _shown(x, r, c.value(x))
            for x, r in _ROWS[c.level]
            if r.sensor == suffix and r.prop != "Reading"
        }
        body = _sensor(
            pdu.id,
            sid,
            f"{c.name} {_words(suffix)}",
            _shown(m, rf, c.value(m)),
            ReadingType=rf.reading_type,
            ReadingUnits=rf.units,
            PhysicalContext="PowerOutlet" if c.level is Level.OUTLET else "PowerSupply",
            **extra,
        )
        found = limits(c.level, m.key, str(c.eid.in_scope(pdu.id))) if limits else {}
        if found:
            body["Thresholds"] = _thresholds(found, rf.scale, rf.digits)
        return body
    return None


def environment_sensor_ids(snap: RackSnapshot) -> list[str]:
    ids = [_ENV_IDS.get(s.id, s.id) for s in snap.sensors.values() if s.kind in _ENV_KINDS]
    return [*ids, RISK_ID] if snap.risk is not None else ids


def _risk(snap: RackSnapshot) -> dict[str, Any] | None:
    """The rack's risk score as a synthesized Percent sensor (the factors are on REST)."""
    if snap.risk is None:
        return None
    return _sensor(
        RACK_CHASSIS,
        RISK_ID,
        "Rack risk score",
        rnd(snap.risk.score),
        ReadingType="Percent",
        ReadingUnits="%",
        ReadingRangeMin=0,
        ReadingRangeMax=100,
        Implementation="Synthesized",
        PhysicalContext="Chassis",
        Description="Risk score 0-100 from alarms, residual-current trend, hotspot, redundancy, "
        "breaker trip risk, climate and fire (docs/safety.md); factors at /api/v1/risk",
    )


_REDFISH_THRESHOLDS = {
    "high_warning": "UpperCaution",
    "high_critical": "UpperCritical",
    "low_warning": "LowerCaution",
    "low_critical": "LowerCritical",
}


def _thresholds(limits: dict[str, float], scale: float, digits: int = 3) -> dict[str, Any]:
    """Redfish ``Thresholds`` from alarm-rule limits (scaled and rounded like the reading)."""
    return {
        _REDFISH_THRESHOLDS[name]: {"Reading": round(value * scale, digits) + 0.0}
        for name, value in limits.items()
    }


def _environment(
    snap: RackSnapshot, sid: str, limits: Callable[[str, str], dict[str, float]] | None = None
) -> dict[str, Any] | None:
    if sid in _ENV_IDS:  # derived rows are served under their Redfish id only
        return None
    snap_id = next((k for k, v in _ENV_IDS.items() if v == sid), sid)
    s = snap.sensors.get(snap_id)
    if s is None or s.kind not in _ENV_KINDS:
        return None
    reading_type, units, scale = _ENV_KINDS[s.kind]
    value = None if s.value is None else s.value * scale
    body = _sensor(
        RACK_CHASSIS,
        sid,
        s.name or sid,
        rnd(value),
        ReadingType=reading_type,
        ReadingUnits=units,
        PhysicalContext="Room" if snap_id in _ENV_IDS else "Chassis",
    )
    found = limits(snap_id, s.kind) if limits is not None else {}
    if found:
        body["Thresholds"] = _thresholds(found, scale)
    if s.status not in ("ok", "OK", "normal"):
        body["Status"] = {"State": "Enabled", "Health": "Warning"}
    return body


def build_sensor(ctx: Ctx, params: dict[str, str]) -> dict[str, Any]:
    chassis, sid = params["chassis"], params["sensor"]
    body = None
    if chassis == RACK_CHASSIS:
        if sid == RISK_ID:
            body = _risk(ctx.snapshot)
        else:
            body = _environment(ctx.snapshot, sid, _rule_limits(ctx))
    elif chassis in ctx.snapshot.pdus:
        body = _electrical(ctx.snapshot.pdus[chassis], sid, _entity_limits(ctx))
    if body is None:
        raise RedfishError(404, "ResourceNotFound", "Sensor", sid)
    return body


def _rule_limits(ctx: Ctx) -> Callable[[str, str], dict[str, float]]:
    """Per sensor: the limits of the effective alarm rules (docs/alarms.md)."""
    from smartpdu.alarms import sensor_thresholds

    rules = ctx.port.alarm_rules()
    position = {s.id: s.position for s in ctx.port.config.sensors}

    def limits(sensor_id: str, kind: str) -> dict[str, float]:
        return sensor_thresholds(rules, f"rack/sensor/{sensor_id}", kind, position.get(sensor_id))

    return limits


def _entity_limits(ctx: Ctx) -> Callable[[Level, str, str], dict[str, float]]:
    """Per electrical entity and metric: the limits of the effective alarm rules."""
    from smartpdu.alarms import entity_thresholds

    rules = ctx.port.alarm_rules()

    def limits(level: Level, metric: str, entity: str) -> dict[str, float]:
        return entity_thresholds(rules, level.value, metric, entity)

    return limits
