"""Sensor resources: one table maps every electrical reading and environment sensor to a Sensor.

Electrical sensors live in the PDU's chassis (``/Chassis/{pdu}/Sensors/Outlet7Power``), environment
sensors and the computed dew point in the rack chassis. ``DataSourceUri`` in Outlets, Circuits and
Metrics points here, so the two views always show the same snapshot value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from smartpdu.model.snapshot import ChannelReading, PduSnapshot, RackSnapshot
from smartpdu.redfish.context import ROOT, Ctx
from smartpdu.redfish.dewpoint import dew_point_c
from smartpdu.redfish.errors import RedfishError

__all__ = [
    "RACK_CHASSIS",
    "build_sensor",
    "channel_fields",
    "dew_point_reading",
    "electrical_sensor_ids",
    "environment_sensor_ids",
    "rnd",
    "sensor_uri",
]

RACK_CHASSIS: Final = "rack"
DEW_POINT_ID: Final = "DewPoint"
G_TO_MS2: Final = 9.80665


@dataclass(frozen=True, slots=True)
class _Quantity:
    suffix: str
    reading_type: str
    units: str
    get: Callable[[ChannelReading], float]


_QUANTITIES: Final = (
    _Quantity("Voltage", "Voltage", "V", lambda r: r.v_rms_v),
    _Quantity("Current", "Current", "A", lambda r: r.i_rms_a),
    _Quantity("Power", "Power", "W", lambda r: r.p_w),
    _Quantity("Energy", "EnergykWh", "kW.h", lambda r: r.energy_wh / 1000.0),
    _Quantity("Frequency", "Frequency", "Hz", lambda r: r.frequency_hz),
)
_BY_SUFFIX: Final = {q.suffix: q for q in _QUANTITIES}
_ENV_KINDS: Final = {
    "temperature": ("Temperature", "Cel", 1.0),
    "humidity": ("Humidity", "%", 1.0),
    "voc": (None, "ppb", 1.0),
    "vibration": ("LinearAcceleration", "m/s2", G_TO_MS2),
}


def rnd(value: float) -> float:
    """Round a reading for display (mV, mA, mW, Wh resolution); the snapshot keeps full precision."""
    return round(value, 3)


def sensor_uri(chassis_id: str, sensor_id: str) -> str:
    return f"{ROOT}/Chassis/{chassis_id}/Sensors/{sensor_id}"


def _channels(pdu: PduSnapshot) -> dict[str, tuple[str, ChannelReading]]:
    """Prefix → (human name, reading) for every electrical channel of a PDU."""
    out: dict[str, tuple[str, ChannelReading]] = {}
    for line, reading in pdu.inlet.phases.items():
        out[f"Mains{line}"] = (f"Mains {line}", reading)
    for bid, branch in pdu.branches.items():
        out[f"Branch{bid}"] = (f"Branch {bid}", branch.reading)
    for oid, outlet in pdu.outlets.items():
        out[f"Outlet{oid}"] = (f"Outlet {oid}", outlet.reading)
    return out


def electrical_sensor_ids(pdu: PduSnapshot) -> list[str]:
    ids = [f"{prefix}{q.suffix}" for prefix in _channels(pdu) for q in _QUANTITIES]
    return [*ids, "MainsTotalPower", "MainsTotalEnergy", "MainsNeutralCurrent"]


def channel_fields(pdu_id: str, prefix: str, reading: ChannelReading) -> dict[str, Any]:
    """Outlet/Circuit sensor excerpts (Voltage, CurrentAmps, PowerWatts, EnergykWh, FrequencyHz)."""

    def excerpt(suffix: str) -> dict[str, Any]:
        q = _BY_SUFFIX[suffix]
        return {
            "DataSourceUri": sensor_uri(pdu_id, prefix + suffix),
            "Reading": rnd(q.get(reading)),
        }

    power = excerpt("Power")
    power.update(
        ApparentVA=rnd(reading.s_va), ReactiveVAR=rnd(reading.q1_var), PowerFactor=rnd(reading.pf)
    )
    return {
        "Voltage": excerpt("Voltage"),
        "CurrentAmps": excerpt("Current"),
        "PowerWatts": power,
        "EnergykWh": excerpt("Energy"),
        "FrequencyHz": excerpt("Frequency"),
    }


def _status(ok: bool = True) -> dict[str, str]:
    return {"State": "Enabled", "Health": "OK" if ok else "Warning"}


def _sensor(chassis: str, sid: str, name: str, value: float | None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "@odata.type": "#Sensor.v1_12_0.Sensor",
        "@odata.id": sensor_uri(chassis, sid),
        "Id": sid,
        "Name": name,
        "Reading": None if value is None else rnd(value),
        "Status": _status(value is not None),
    }
    body.update(
        {k: rnd(v) if isinstance(v, float) else v for k, v in extra.items() if v is not None}
    )
    return body


def _electrical(pdu: PduSnapshot, sid: str) -> dict[str, Any] | None:
    inlet = pdu.inlet
    if sid == "MainsTotalPower":
        return _sensor(
            pdu.id,
            sid,
            "Mains total power",
            inlet.power_w,
            ReadingType="Power",
            ReadingUnits="W",
            ApparentVA=inlet.apparent_va,
            PhysicalContext="PowerSupply",
        )
    if sid == "MainsTotalEnergy":
        return _sensor(
            pdu.id,
            sid,
            "Mains total energy",
            inlet.energy_wh / 1000.0,
            ReadingType="EnergykWh",
            ReadingUnits="kW.h",
            PhysicalContext="PowerSupply",
        )
    if sid == "MainsNeutralCurrent":
        return _sensor(
            pdu.id,
            sid,
            "Mains neutral current",
            inlet.neutral_a,
            ReadingType="Current",
            ReadingUnits="A",
            PhysicalContext="PowerSupply",
        )
    for prefix, (name, reading) in _channels(pdu).items():
        if sid.startswith(prefix) and sid[len(prefix) :] in _BY_SUFFIX:
            q = _BY_SUFFIX[sid[len(prefix) :]]
            extra: dict[str, Any] = {}
            if q.suffix == "Power":
                extra = {
                    "ApparentVA": reading.s_va,
                    "ReactiveVAR": reading.q1_var,
                    "PowerFactor": reading.pf,
                }
            if q.suffix == "Current":
                extra = {"CrestFactor": reading.crest_factor, "THDPercent": reading.thd_i_pct}
            if q.suffix == "Voltage":
                extra = {"THDPercent": reading.thd_u_pct}
            return _sensor(
                pdu.id,
                sid,
                f"{name} {q.suffix.lower()}",
                q.get(reading),
                ReadingType=q.reading_type,
                ReadingUnits=q.units,
                PhysicalContext="PowerOutlet" if prefix.startswith("Outlet") else "PowerSupply",
                **extra,
            )
    return None


def environment_sensor_ids(snap: RackSnapshot) -> list[str]:
    ids = [s.id for s in snap.sensors.values() if s.kind in _ENV_KINDS]
    return [*ids, DEW_POINT_ID] if dew_point_reading(snap) is not None else ids


def dew_point_reading(snap: RackSnapshot) -> float | None:
    """Dew point of the rack air from the first humidity and temperature sensors with values."""
    temps = [
        s.value for s in snap.sensors.values() if s.kind == "temperature" and s.value is not None
    ]
    hums = [s.value for s in snap.sensors.values() if s.kind == "humidity" and s.value is not None]
    if not temps or not hums or not 0.0 < hums[0] <= 100.0:
        return None
    return dew_point_c(min(temps), hums[0])


def _environment(snap: RackSnapshot, sid: str) -> dict[str, Any] | None:
    if sid == DEW_POINT_ID:
        dp = dew_point_reading(snap)
        if dp is None:
            return None
        return _sensor(
            RACK_CHASSIS,
            sid,
            "Rack air dew point",
            dp,
            ReadingType="Temperature",
            ReadingUnits="Cel",
            PhysicalContext="Room",
        )
    s = snap.sensors.get(sid)
    if s is None or s.kind not in _ENV_KINDS:
        return None
    reading_type, units, scale = _ENV_KINDS[s.kind]
    value = None if s.value is None else s.value * scale
    body = _sensor(
        RACK_CHASSIS,
        sid,
        s.name or sid,
        value,
        ReadingType=reading_type,
        ReadingUnits=units,
        PhysicalContext="Chassis",
    )
    if s.status not in ("ok", "OK", "normal"):
        body["Status"] = {"State": "Enabled", "Health": "Warning"}
    return body


def build_sensor(ctx: Ctx, params: dict[str, str]) -> dict[str, Any]:
    chassis, sid = params["chassis"], params["sensor"]
    body = None
    if chassis == RACK_CHASSIS:
        body = _environment(ctx.snapshot, sid)
    elif chassis in ctx.snapshot.pdus:
        body = _electrical(ctx.snapshot.pdus[chassis], sid)
    if body is None:
        raise RedfishError(404, "ResourceNotFound", "Sensor", sid)
    return body
