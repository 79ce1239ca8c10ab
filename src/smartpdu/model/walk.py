"""Every catalogue value of a snapshot, one row each: what push/pull exporters iterate.

Prometheus, MQTT telemetry and Home Assistant discovery all need "each metric of each entity
with its level"; walking the snapshot here, driven by :data:`~smartpdu.model.metrics.CATALOGUE`,
keeps them from growing their own per-level code (and their own idea of which metric exists).
Values are raw (NaN kept): each exporter applies :func:`~smartpdu.model.metrics.display`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from smartpdu.model.metrics import CATALOGUE, Level, Metric
from smartpdu.model.snapshot import ChannelReading, RackSnapshot

__all__ = ["MetricValue", "catalogue_values", "entity_key"]

_BY_LEVEL: dict[Level, tuple[Metric, ...]] = {
    level: tuple(m for m in CATALOGUE if level in m.levels) for level in Level
}


@dataclass(frozen=True, slots=True)
class MetricValue:
    """One value: catalogue row, level, owning PDU (``""`` for a rack sensor), entity id/name."""

    metric: Metric
    level: Level
    pdu_id: str
    entity_id: str
    name: str
    value: float | None
    device: str = ""
    """The rack device an outlet feeds (``""`` when none or not an outlet)."""
    unit: str = ""
    """The value's unit (the sensor's own unit for sensors, else the catalogue's)."""


def entity_key(level: Level, entity_id: str) -> str:
    """Topic/label-friendly entity path: ``outlet/7``, ``phase/L1``, ``inlet``."""
    return "inlet" if level is Level.INLET else f"{level.value}/{entity_id}"


def _value(m: Metric, reading: ChannelReading | None, entity: object) -> float | None:
    holder = reading if m.source is ChannelReading else entity
    v = getattr(holder, m.field)
    return None if v is None else float(v)


def catalogue_values(
    snap: RackSnapshot, devices: Mapping[tuple[str, str], str] | None = None
) -> Iterator[MetricValue]:
    """Every catalogue value of ``snap``; ``devices`` maps ``(pdu_id, outlet_id)`` to a device."""
    devices = devices or {}
    for pdu in snap.pdus.values():
        inlet = pdu.inlet
        for m in _BY_LEVEL[Level.INLET]:
            yield MetricValue(m, Level.INLET, pdu.id, "inlet", inlet.feed, _value(m, None, inlet),
                              unit=m.unit)  # fmt: skip
        for line, reading in inlet.phases.items():
            for m in _BY_LEVEL[Level.PHASE]:
                yield MetricValue(m, Level.PHASE, pdu.id, line, line, _value(m, reading, inlet),
                                  unit=m.unit)  # fmt: skip
        for bid, branch in pdu.branches.items():
            for m in _BY_LEVEL[Level.BRANCH]:
                v = _value(m, branch.reading, branch)
                yield MetricValue(m, Level.BRANCH, pdu.id, bid, branch.name, v, unit=m.unit)
        for oid, outlet in pdu.outlets.items():
            dev = devices.get((pdu.id, oid), "")
            for m in _BY_LEVEL[Level.OUTLET]:
                v = _value(m, outlet.reading, outlet)
                yield MetricValue(m, Level.OUTLET, pdu.id, oid, outlet.name, v, dev, m.unit)
    for sid, sensor in snap.sensors.items():
        for m in _BY_LEVEL[Level.SENSOR]:
            v = _value(m, None, sensor)
            yield MetricValue(m, Level.SENSOR, sensor.pdu or "", sid, sensor.name or sid, v,
                              unit=sensor.unit)  # fmt: skip
