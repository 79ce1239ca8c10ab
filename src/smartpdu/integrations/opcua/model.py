"""The OPC UA information model as plain data, generated from the metric catalogue.

Rack → PDU → Inlet / Phases / Branches / Outlets (and Rack → Sensors): one object per entity,
one ``AnalogItemType`` variable per catalogue metric of the entity's level, with
``EngineeringUnits`` (UNECE code per the OPC UA specification) and an ``EURange`` derived from
the entity's ratings. Node ids are strings that never change across restarts
(``pdu-a/outlet/7/power_w``), so clients can bookmark them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from smartpdu.config import RackConfig
from smartpdu.model.metrics import CATALOGUE, Level, Metric, display
from smartpdu.model.snapshot import RackSnapshot

__all__ = ["UNECE", "Entity", "Variable", "entities", "eu_range", "unit_id", "values"]

UNECE: Final = {
    "V": ("VLT", "V"), "A": ("AMP", "A"), "mA": ("4K", "mA"), "W": ("WTT", "W"),
    "VA": ("D46", "VA"), "var": ("D44", "var"), "Wh": ("WHR", "Wh"), "varh": ("", "varh"),
    "VAh": ("", "VAh"), "Hz": ("HTZ", "Hz"), "%": ("P1", "%"), "Cel": ("CEL", "°C"),
    "1": ("C62", "1"),
}  # fmt: skip
"""Catalogue unit → (UNECE common code, display name); no code: UnitId −1."""


def unit_id(code: str) -> int:
    """OPC UA Part 8 UnitId of a UNECE common code (three ASCII letters packed)."""
    if not code:
        return -1
    out = 0
    for ch in code[:3]:
        out = (out << 8) | ord(ch)
    return out


@dataclass(frozen=True, slots=True)
class Variable:
    node: str
    """String node id (``pdu-a/outlet/7/power_w``)."""
    name: str
    metric: Metric | None
    unit: str
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class Entity:
    node: str
    name: str
    parent: str | None
    """Parent entity node id (None: the rack object)."""
    variables: tuple[Variable, ...]
    kind: str
    """``pdu``, ``group``, ``inlet``, ``phase``, ``branch``, ``outlet``, ``sensor``."""


def eu_range(metric: Metric, volts: float, amps: float, hz: float) -> tuple[float, float]:
    """A physical range for a metric of an entity rated ``amps`` at ``volts``."""
    power = volts * amps
    unit = metric.unit
    if unit == "V":
        return 0.0, 1.5 * volts
    if unit == "A":
        return 0.0, max(amps, 1.0) * (3.0 if "peak" in metric.key else 1.0)
    if unit in ("W", "VA", "var"):
        return (-power if unit == "var" else 0.0), power
    if unit == "Hz":
        return 0.0, 2.0 * hz
    if unit == "%":
        return 0.0, 100.0
    if unit == "mA":
        return 0.0, 1000.0
    if unit == "Cel":
        return -40.0, 150.0
    if unit in ("Wh", "varh", "VAh"):
        return 0.0, 1e12
    if metric.key in ("pf", "cos_phi"):
        return -1.0, 1.0
    if metric.key == "crest_factor":
        return 0.0, 10.0
    return 0.0, 1e9  # counters (relay cycles), sensor values in their own units


def _vars(node: str, level: Level, volts: float, amps: float, hz: float) -> tuple[Variable, ...]:
    out = []
    for m in CATALOGUE:
        if level in m.levels:
            lo, hi = eu_range(m, volts, amps, hz)
            out.append(Variable(f"{node}/{m.key}", m.key, m, m.unit, lo, hi))
    return tuple(out)


def entities(cfg: RackConfig, snap: RackSnapshot) -> Iterator[Entity]:
    """Every object of the model, parents before children."""
    for pdu in snap.pdus.values():
        pc = cfg.pdu(pdu.id)
        v, hz = pc.nominal_voltage_v, float(pc.nominal_frequency_hz)
        yield Entity(pdu.id, pdu.name or pdu.id, None, (), "pdu")
        yield Entity(f"{pdu.id}/inlet", "Inlet", pdu.id,
                     _vars(f"{pdu.id}/inlet", Level.INLET, v, pc.inlet_rating_a * pc.phases, hz),
                     "inlet")  # fmt: skip
        for group in ("phases", "branches", "outlets"):
            yield Entity(f"{pdu.id}/{group}", group.title(), pdu.id, (), "group")
        for line in pdu.inlet.phases:
            node = f"{pdu.id}/phase/{line}"
            yield Entity(node, line, f"{pdu.id}/phases",
                         _vars(node, Level.PHASE, v, pc.inlet_rating_a, hz), "phase")  # fmt: skip
        for b in pdu.branches.values():
            node = f"{pdu.id}/branch/{b.id}"
            yield Entity(node, b.name or b.id, f"{pdu.id}/branches",
                         _vars(node, Level.BRANCH, v, b.rating_a, hz), "branch")  # fmt: skip
        for o in pdu.outlets.values():
            node = f"{pdu.id}/outlet/{o.id}"
            yield Entity(node, o.name or o.id, f"{pdu.id}/outlets",
                         _vars(node, Level.OUTLET, v, o.rating_a, hz), "outlet")  # fmt: skip
    yield Entity("sensors", "Sensors", None, (), "group")
    for s in snap.sensors.values():
        node = f"sensor/{s.id}"
        yield Entity(node, s.name or s.id, "sensors", _vars(node, Level.SENSOR, 0, 0, 0), "sensor")


def values(snap: RackSnapshot) -> Iterator[tuple[str, float | None]]:
    """(variable node id, displayed value or None) for every variable of the model."""
    for pdu in snap.pdus.values():
        yield from _entity_values(f"{pdu.id}/inlet", Level.INLET, pdu.inlet)
        for line, reading in pdu.inlet.phases.items():
            yield from _entity_values(f"{pdu.id}/phase/{line}", Level.PHASE, reading)
        for b in pdu.branches.values():
            yield from _entity_values(f"{pdu.id}/branch/{b.id}", Level.BRANCH, b)
        for o in pdu.outlets.values():
            yield from _entity_values(f"{pdu.id}/outlet/{o.id}", Level.OUTLET, o)
    for s in snap.sensors.values():
        yield from _entity_values(f"sensor/{s.id}", Level.SENSOR, s)


def _entity_values(node: str, level: Level, entity: Any) -> Iterator[tuple[str, float | None]]:
    for m in CATALOGUE:
        if level in m.levels:
            obj = entity if isinstance(entity, m.source) else getattr(entity, "reading", entity)
            raw = getattr(obj, m.field)
            yield f"{node}/{m.key}", display(m, None if raw is None else float(raw))
