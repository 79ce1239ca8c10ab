"""The SMARTPDU-MIB object tree as plain data: tables, their columns and where each value comes from.

One definition drives both the MIB text (:mod:`.mib_text`) and the agent (:mod:`.instrum`), so
the published module and what the agent serves cannot drift apart. Measurement columns are
generated from the metric catalogue: every row of :data:`~smartpdu.model.metrics.CATALOGUE` at
a level becomes a column of that level's table, numbered by the row's stable ``number``.
Descriptive columns (ids, names, states) take the numbers below 10.

Values are scaled integers: a metric with ``precision`` p is served as ``round(x·10^p)``, typed
by a textual convention whose ``DISPLAY-HINT`` is ``d-p`` and with the unit in ``UNITS``, so a
monitoring template never guesses. Energy registers are 64-bit (``Counter64`` for monotonic
totals, a ``Counter64``-based gauge for the resettable register). A value the snapshot does not
have (NaN, null) is served as an absent instance, never as a fake zero.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from smartpdu.model.metrics import CATALOGUE, Kind, Level, Metric
from smartpdu.model.snapshot import ChannelReading, PduSnapshot, RackSnapshot
from smartpdu.model.states import BreakerState, LeverState, OutletState

__all__ = [
    "OBJECTS",
    "SCALARS",
    "TABLES",
    "AlarmRow",
    "Column",
    "RackView",
    "Scalar",
    "Table",
    "column",
    "metric_column_name",
    "syntax_of",
    "table",
    "used_fixed_syntaxes",
]

OBJECTS: Final = (1,)
"""Branch of the module holding readable objects (``smartpdu.1``)."""


@dataclass(frozen=True, slots=True)
class AlarmRow:
    """An active alarm as the alarm table shows it (from ``RackPort.active_alarms``)."""

    id: int
    event_code: str
    severity: str
    entity: str
    pdu_id: str
    metric: str
    unit: str
    state: str
    raised_utc: str
    value: float | None
    limit: float


@dataclass(frozen=True, slots=True)
class RackView:
    """Everything one SNMP request reads: one snapshot, so a walk never mixes two ticks."""

    snapshot: RackSnapshot
    devices: dict[tuple[str, str], str] = field(default_factory=dict)
    """(pdu id, outlet id) → device names plugged into it (from the configuration)."""
    alarms: tuple[AlarmRow, ...] = ()


@dataclass(frozen=True, slots=True)
class Column:
    sub: int
    name: str
    syntax: str
    """``DisplayString``, ``Integer32``, ``Unsigned32``, ``TruthValue``, ``Counter64``, ``enum``
    or a fixed-point textual convention from :func:`syntax_of`."""
    description: str
    get: Callable[[Any], object] | None
    """Row object → raw value (None: absent instance); None for the index column."""
    access: str = "read-only"
    units: str | None = None
    decimals: int = 0
    enum: tuple[str, ...] = ()
    """Enumeration labels, numbered from 1 in this order (append-only)."""
    metric: Metric | None = None
    range: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Table:
    sub: int
    name: str
    """Prefix of every object name (``outlet`` → ``outletTable``, ``outletEntry``)."""
    description: str
    index: tuple[str, ...]
    """Index objects, outermost first (``pduIndex`` is the PDU table's own index)."""
    columns: tuple[Column, ...]
    rows: Callable[[RackView], Iterator[tuple[tuple[int, ...], Any]]]
    """Rows in index order: (index, row object)."""


@dataclass(frozen=True, slots=True)
class Scalar:
    sub: int
    name: str
    syntax: str
    description: str
    get: Callable[[RackView], object]
    units: str | None = None


def _camel(key: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in key.split("_"))


def metric_column_name(prefix: str, metric: Metric) -> str:
    """``outlet`` + ``power_w`` → ``outletPowerW`` (stable: the key never changes)."""
    return prefix + _camel(metric.key)


def syntax_of(metric: Metric) -> str:
    """The SMI type of a metric column: a fixed-point TC per (base, decimals)."""
    wide = metric.unit in ("Wh", "varh", "VAh") or metric.kind is Kind.COUNTER
    if wide:
        base = "Counter" if metric.kind is Kind.COUNTER else "Gauge"
        return f"Smartpdu{base}64Fixed{metric.precision}"
    return f"SmartpduFixed{metric.precision}"


def _metric_columns(prefix: str, level: Level) -> tuple[Column, ...]:
    out: list[Column] = []
    for m in CATALOGUE:
        if level not in m.levels:
            continue
        units = None if m.unit in ("1", "sensor unit") else m.unit
        get = _metric_getter(m)
        out.append(
            Column(m.number, metric_column_name(prefix, m), syntax_of(m), m.description, get,
                   units=units, decimals=m.precision, metric=m)
        )  # fmt: skip
    return tuple(out)


def _metric_getter(m: Metric) -> Callable[[Any], object]:
    source, name = m.source, m.field

    def get(row: Any) -> object:
        entity = row[1]
        obj = entity if isinstance(entity, source) else entity.reading
        return getattr(obj, name)

    return get


def _pdus(view: RackView) -> Iterator[tuple[int, PduSnapshot]]:
    return enumerate(view.snapshot.pdus.values(), start=1)


def _pdu_rows(view: RackView) -> Iterator[tuple[tuple[int, ...], Any]]:
    for i, pdu in _pdus(view):
        yield (i,), (pdu, pdu)


def _inlet_rows(view: RackView) -> Iterator[tuple[tuple[int, ...], Any]]:
    for i, pdu in _pdus(view):
        yield (i,), (pdu, pdu.inlet)


@dataclass(frozen=True, slots=True)
class _Phase:
    name: str
    reading: ChannelReading


def _phase_rows(view: RackView) -> Iterator[tuple[tuple[int, ...], Any]]:
    for i, pdu in _pdus(view):
        for j, (name, reading) in enumerate(pdu.inlet.phases.items(), start=1):
            yield (i, j), (pdu, _Phase(name, reading))


def _branch_rows(view: RackView) -> Iterator[tuple[tuple[int, ...], Any]]:
    for i, pdu in _pdus(view):
        for j, branch in enumerate(pdu.branches.values(), start=1):
            yield (i, j), (pdu, branch)


def _outlet_rows(view: RackView) -> Iterator[tuple[tuple[int, ...], Any]]:
    for i, pdu in _pdus(view):
        for j, outlet in enumerate(pdu.outlets.values(), start=1):
            yield (i, j), (pdu, outlet, view.devices.get((pdu.id, outlet.id), ""))


def _sensor_rows(view: RackView) -> Iterator[tuple[tuple[int, ...], Any]]:
    for i, sensor in enumerate(view.snapshot.sensors.values(), start=1):
        yield (i,), (None, sensor)


def _alarm_rows(view: RackView) -> Iterator[tuple[tuple[int, ...], Any]]:
    for alarm in sorted(view.alarms, key=lambda a: a.id):
        yield (alarm.id,), alarm


def _lever_rows(view: RackView) -> Iterator[tuple[tuple[int, ...], Any]]:
    for i, lever in enumerate(view.snapshot.levers.values(), start=1):
        yield (i,), lever


def _index(sub: int, name: str, description: str, hi: int = 65535) -> Column:
    return Column(sub, name, "Integer32", description, None, "not-accessible", range=(1, hi))


def _s(sub: int, name: str, description: str, get: Callable[[Any], object]) -> Column:
    return Column(sub, name, "DisplayString", description, get)


def _float_text(x: float | None) -> str:
    return "" if x is None or x != x else repr(float(x))


_BREAKER: Final = tuple(s.value for s in BreakerState)
_OUTLET_STATE: Final = tuple(s.value for s in OutletState)
_CONTROL: Final = ("on", "off", "cycle")
_LEVER: Final = tuple(s.value for s in LeverState)

TABLES: Final[tuple[Table, ...]] = (
    Table(2, "pdu", "The PDUs of the rack, in configuration order.", ("pduIndex",), (
        _index(1, "pduIndex", "Position of the PDU in the rack configuration (1-based).", 8),
        _s(2, "pduId", "Stable PDU id used by every interface.", lambda r: r[1].id),
        _s(3, "pduName", "Display name of the PDU.", lambda r: r[1].name),
        _s(4, "pduFeed", "Feed (A or B) supplying the PDU.", lambda r: r[1].feed),
        Column(5, "pduPhases", "Integer32", "Number of phases (1 or 3).", lambda r: r[1].phases),
        Column(6, "pduNominalVoltage", "SmartpduFixed1", "Nominal line-to-neutral voltage.",
               lambda r: r[1].nominal_voltage_v, units="V", decimals=1),
        Column(7, "pduNominalFrequency", "Integer32", "Nominal frequency.",
               lambda r: r[1].nominal_frequency_hz, units="Hz"),
    ), _pdu_rows),
    Table(3, "inlet", "The inlet of each PDU (one per PDU): totals over its phases.",
          ("pduIndex",), (
        Column(1, "inletFeedPresent", "TruthValue", "Whether the feed supplies voltage.",
               lambda r: r[1].feed_present),
        Column(2, "inletBreakerState", "enum", "Inlet breaker state.",
               lambda r: r[1].breaker_state.value, enum=_BREAKER),
        Column(3, "inletRatingA", "SmartpduFixed1", "Inlet current rating.",
               lambda r: r[1].rating_a, units="A", decimals=1),
        *_metric_columns("inlet", Level.INLET),
    ), _inlet_rows),
    Table(4, "phase", "The inlet phases of each PDU (L1..L3).", ("pduIndex", "phaseIndex"), (
        _index(1, "phaseIndex", "Phase number (1 = L1).", 3),
        _s(2, "phaseName", "Phase name (L1, L2, L3).", lambda r: r[1].name),
        *_metric_columns("phase", Level.PHASE),
    ), _phase_rows),
    Table(5, "branch", "The branch circuits (breakers) of each PDU.",
          ("pduIndex", "branchIndex"), (
        _index(1, "branchIndex", "Position of the branch in the PDU configuration."),
        _s(2, "branchId", "Stable branch id.", lambda r: r[1].id),
        _s(3, "branchName", "Display name of the branch.", lambda r: r[1].name),
        _s(4, "branchLine", "Phase the branch is connected to.", lambda r: r[1].line),
        Column(5, "branchBreakerState", "enum", "Branch breaker state.",
               lambda r: r[1].breaker_state.value, enum=_BREAKER),
        Column(6, "branchRatingA", "SmartpduFixed1", "Breaker rating.",
               lambda r: r[1].rating_a, units="A", decimals=1),
        _s(7, "branchBreakerKind", "Breaker kind (MCB, RCBO).", lambda r: r[1].breaker_kind),
        _s(8, "branchCurve", "Breaker trip curve (B, C, D).", lambda r: r[1].curve),
        *_metric_columns("branch", Level.BRANCH),
    ), _branch_rows),
    Table(6, "outlet", "The outlets of each PDU.", ("pduIndex", "outletIndex"), (
        _index(1, "outletIndex", "Position of the outlet in the PDU configuration."),
        _s(2, "outletId", "Stable outlet id.", lambda r: r[1].id),
        Column(3, "outletName", "DisplayString",
               "Outlet name; writable by operators (audited like the REST rename).",
               lambda r: r[1].name, access="read-write", range=(0, 64)),
        _s(4, "outletBranch", "Branch id feeding the outlet.", lambda r: r[1].branch),
        Column(5, "outletState", "enum", "Outlet state as sensed by relay feedback.",
               lambda r: r[1].state.value, enum=_OUTLET_STATE),
        Column(6, "outletControl", "enum",
               "Reads the commanded state; writing on, off or cycle switches the outlet "
               "(operators only, audited, the same command as REST).",
               lambda r: "on" if r[1].commanded_on else "off", access="read-write",
               enum=_CONTROL),
        Column(7, "outletRatingA", "SmartpduFixed1", "Outlet current rating.",
               lambda r: r[1].rating_a, units="A", decimals=1),
        _s(8, "outletDevice", "Device(s) plugged into the outlet, comma separated.",
           lambda r: r[2]),
        Column(9, "outletLockedOut", "TruthValue",
               "Protection holds the outlet off until acknowledged.",
               lambda r: r[1].locked_out),
        *_metric_columns("outlet", Level.OUTLET),
    ), _outlet_rows),
    Table(7, "sensor", "Environment sensors (value in the unit of sensorUnit).",
          ("sensorIndex",), (
        _index(1, "sensorIndex", "Position of the sensor in the snapshot."),
        _s(2, "sensorId", "Stable sensor id.", lambda r: r[1].id),
        _s(3, "sensorKind", "Sensor kind (temperature, humidity, ...).", lambda r: r[1].kind),
        _s(4, "sensorName", "Display name.", lambda r: r[1].name),
        _s(5, "sensorUnit", "Unit of sensorValue (UCUM).", lambda r: r[1].unit),
        _s(6, "sensorStatus", "Sensor status (ok, fault, ...).", lambda r: r[1].status),
        _s(7, "sensorPdu", "PDU the probe is plugged into (empty: rack controller).",
           lambda r: r[1].pdu or ""),
        *_metric_columns("sensor", Level.SENSOR),
    ), _sensor_rows),
    Table(8, "alarm", "Active alarms (raised or acknowledged, not yet cleared).",
          ("alarmIndex",), (
        _index(1, "alarmIndex", "Alarm id (as in REST /alarms).", 2147483647),
        _s(2, "alarmEventCode", "Event code of the alarm.", lambda a: a.event_code),
        _s(3, "alarmSeverity", "warning or critical.", lambda a: a.severity),
        _s(4, "alarmEntity", "Entity (outlet/7, branch/B1, ...).", lambda a: a.entity),
        _s(5, "alarmPdu", "PDU id.", lambda a: a.pdu_id),
        _s(6, "alarmMetric", "Metric key from the catalogue.", lambda a: a.metric),
        _s(7, "alarmState", "raised or acknowledged.", lambda a: a.state),
        _s(8, "alarmRaisedTime", "RFC 3339 UTC time the alarm was raised.",
           lambda a: a.raised_utc),
        _s(9, "alarmValue", "Last value as a decimal string (float), empty if none.",
           lambda a: _float_text(a.value)),
        _s(10, "alarmLimit", "Limit crossed, as a decimal string (float).",
           lambda a: _float_text(a.limit)),
        _s(11, "alarmUnit", "Unit of alarmValue and alarmLimit.", lambda a: a.unit),
    ), _alarm_rows),
    Table(9, "lever", "Locking levers of the rack doors.", ("leverIndex",), (
        _index(1, "leverIndex", "Position of the lever in the snapshot."),
        _s(2, "leverId", "Stable lever id.", lambda v: v.id),
        _s(3, "leverName", "Display name.", lambda v: v.name),
        _s(4, "leverPosition", "front or rear.", lambda v: v.position),
        Column(5, "leverState", "enum", "Lever state (forced: handle open while locked).",
               lambda v: v.state.value, enum=_LEVER),
    ), _lever_rows),
)  # fmt: skip

SCALARS: Final[tuple[Scalar, ...]] = (
    Scalar(1, "rackName", "DisplayString", "Rack name.", lambda v: v.snapshot.rack_name),
    Scalar(2, "rackTick", "Counter64", "Tick (measurement window) of the served snapshot.",
           lambda v: v.snapshot.tick),
    Scalar(3, "rackTimestamp", "DisplayString", "RFC 3339 UTC end of the served window.",
           lambda v: v.snapshot.timestamp_utc),
    Scalar(4, "rackControllerPower", "DisplayString", "What powers the controller.",
           lambda v: v.snapshot.controller_power),
    Scalar(5, "rackPduCount", "Integer32", "Number of PDUs.", lambda v: len(v.snapshot.pdus)),
)  # fmt: skip
"""Scalars of ``smartpduRack`` (``smartpdu.1.1``), served at instance ``.0``."""


def table(name: str) -> Table:
    for t in TABLES:
        if t.name == name:
            return t
    raise KeyError(name)


def column(tbl: Table, name: str) -> Column:
    for c in tbl.columns:
        if c.name == name:
            return c
    raise KeyError(name)


def used_fixed_syntaxes() -> Sequence[str]:
    """Every fixed-point textual convention a column uses, sorted (the MIB defines each)."""
    names = {c.syntax for t in TABLES for c in t.columns if c.syntax.startswith("Smartpdu")}
    return sorted(names)
