"""The metric catalogue: one declarative row per metric drives every interface.

A row says where the value lives in the snapshot (``source`` dataclass and ``field``), its unit,
kind and the entity levels it describes, how precisely it is shown, and how each interface names
it: the REST field, the stored 1-s history key (``<entity>/<key>``, written every second at the
levels in ``stored``), the Redfish sensor/property, the Prometheus name and the Home Assistant
device class. REST views and response schemas, history keys and Redfish sensors are generated
from :data:`CATALOGUE`; a test fails when a snapshot measurement has no row or a row names no
field. Each row has a stable ``number`` (append-only) from which the SNMP column, the Modbus
register slot and the OPC UA node id are derived; further interface columns are added here.

``levels`` tells which entity a value describes, so a sum over one level never double counts:
the phases of an inlet, the branches of a phase and the outlets of a branch carry the same
energy, summed at one level only.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Final

from smartpdu.model.snapshot import (
    BranchSnapshot,
    ChannelReading,
    InletSnapshot,
    OutletSnapshot,
    SensorSnapshot,
)

__all__ = [
    "CATALOGUE",
    "CHANNEL_LEVELS",
    "NOT_METRICS",
    "OVERLAID_CHANNEL_FIELDS",
    "Kind",
    "Level",
    "Metric",
    "RedfishProperty",
    "display",
    "metrics_for",
    "stored_metrics",
]


class Kind(StrEnum):
    GAUGE = "gauge"
    COUNTER = "counter"
    """Monotonic total (energy registers, relay cycles)."""


class Level(StrEnum):
    INLET = "inlet"
    """Inlet totals: the sum of the phases."""
    PHASE = "phase"
    BRANCH = "branch"
    OUTLET = "outlet"
    SENSOR = "sensor"


CHANNEL_LEVELS: Final = (Level.PHASE, Level.BRANCH, Level.OUTLET)
"""Levels whose values come from a metered current channel (a ``ChannelReading``)."""


@dataclass(frozen=True, slots=True)
class RedfishProperty:
    """Where a metric appears in Redfish.

    ``sensor`` is appended to the entity's sensor prefix (``Outlet7`` + ``Power``); ``prop`` is
    ``Reading`` for the sensor's own reading (then ``reading_type``/``units`` describe it) or an
    extra property of that sensor (``ApparentVA`` of the power sensor). ``excerpt`` names the
    Outlet/Circuit property that carries the sensor excerpt (``PowerWatts``); extra properties
    with ``in_excerpt`` are copied into it.
    """

    sensor: str
    prop: str = "Reading"
    reading_type: str | None = None
    units: str | None = None
    scale: float = 1.0
    excerpt: str | None = None
    in_excerpt: bool = False
    digits: int = 3
    """Decimals of the scaled Redfish value (mA shown in A needs 5 to keep 0.01 mA)."""
    optional: bool = False
    """The sensor exists only where the hardware measures the value (residual current: inlet,
    RCBO branches, outlets of PDUs with per-outlet monitors); elsewhere it is not listed."""


@dataclass(frozen=True, slots=True)
class Metric:
    key: str
    """Metric name: the REST field and the last segment of the history key (``power_w``)."""
    source: type
    """Snapshot dataclass holding the value (``ChannelReading``, ``InletSnapshot``, …)."""
    field: str
    """Attribute of ``source`` holding the value."""
    unit: str
    """UCUM-style unit: ``V``, ``A``, ``W``, ``VA``, ``var``, ``Wh``, ``Hz``, ``%``, ``1``."""
    kind: Kind
    levels: tuple[Level, ...]
    precision: int
    """Decimals shown by interfaces; the snapshot keeps full precision."""
    description: str
    rest: str | None = None
    """REST field name; None keeps it off the native API."""
    stored: tuple[Level, ...] = ()
    """Levels at which the 1-s history stores it (flash budget: only what trends need)."""
    noise: float = 0.0
    """Negative values above ``-noise`` are measurement noise and display as 0."""
    redfish: RedfishProperty | None = None
    prometheus: str | None = None
    ha_device_class: str | None = None
    number: int = 0
    """Stable metric number, never reused or renumbered (append new rows with the next one):
    the column of the SNMP table of each level (``SMARTPDU-MIB``), the slot of the Modbus
    register block, the numeric OPC UA node. Descriptive columns take numbers below 10."""


def _row(number: int, *args: Any, **kwargs: Any) -> Metric:
    """A catalogue row with its stable :attr:`Metric.number` written first, where it is seen."""
    return replace(Metric(*args, **kwargs), number=number)


def _ch(
    number: int,
    key: str,
    field: str,
    unit: str,
    precision: int,
    description: str,
    *,
    kind: Kind = Kind.GAUGE,
    stored: tuple[Level, ...] = (),
    noise: float = 0.0,
    redfish: RedfishProperty | None = None,
    prometheus: str | None = None,
    ha: str | None = None,
) -> Metric:
    return Metric(
        key,
        ChannelReading,
        field,
        unit,
        kind,
        CHANNEL_LEVELS,
        precision,
        description,
        rest=key,
        stored=stored,
        noise=noise,
        redfish=redfish,
        prometheus=prometheus,
        ha_device_class=ha,
        number=number,
    )


_ALL_CH: Final = CHANNEL_LEVELS
_BUCKETS: Final = ("minor", "major", "severe")
# Stable numbers of the surge counters: three buckets from each base (phase 44-46, inlet 47-49,
# branch 50-52).
_SURGE_NO: Final = {"phase": 44, "inlet": 47, "branch": 50}
"""Surge severity buckets (``protection/surge.py``)."""
OVERLAID_CHANNEL_FIELDS: Final = frozenset(f"surges_{b}" for b in _BUCKETS)
"""``ChannelReading`` fields neither metered nor energy totals: a stage fills them in on the
snapshot (the surge counters of a phase); the assembly leaves them at their default."""
_POWER = "Power"
_RESIDUAL: Final = RedfishProperty(
    "ResidualCurrent", reading_type="Current", units="A", scale=1e-3, digits=5, optional=True
)
"""DMTF has no residual-current reading type: a Current sensor in A (ReadingUnits of Current)."""

CATALOGUE: Final[tuple[Metric, ...]] = (
    # -- every metered channel (inlet phase, branch, outlet) ------------------------------------
    _ch(10, "voltage_v", "v_rms_v", "V", 2, "RMS line-to-neutral voltage over the window",
        stored=(Level.PHASE,), prometheus="smartpdu_voltage_volts", ha="voltage",
        redfish=RedfishProperty("Voltage", reading_type="Voltage", units="V", excerpt="Voltage")),
    _ch(11, "current_a", "i_rms_a", "A", 3, "RMS current over the window",
        stored=_ALL_CH, prometheus="smartpdu_current_amperes", ha="current",
        redfish=RedfishProperty("Current", reading_type="Current", units="A",
                                excerpt="CurrentAmps")),
    _ch(12, "power_w", "p_w", "W", 1, "Active power P = mean(v·i)",
        stored=_ALL_CH, noise=0.5, prometheus="smartpdu_power_watts", ha="power",
        redfish=RedfishProperty(_POWER, reading_type="Power", units="W", excerpt="PowerWatts")),
    _ch(13, "apparent_va", "s_va", "VA", 1, "Apparent power S = Vrms·Irms",
        prometheus="smartpdu_apparent_power_voltamperes", ha="apparent_power",
        redfish=RedfishProperty(_POWER, "ApparentVA", in_excerpt=True)),
    _ch(14, "reactive_var", "q1_var", "var", 1, "Fundamental reactive power Q1 (IEEE 1459)",
        noise=0.5, prometheus="smartpdu_reactive_power_vars", ha="reactive_power",
        redfish=RedfishProperty(_POWER, "ReactiveVAR", in_excerpt=True)),
    _ch(15, "pf", "pf", "1", 3, "True power factor P/S; null without enough signal",
        prometheus="smartpdu_power_factor", ha="power_factor",
        redfish=RedfishProperty(_POWER, "PowerFactor", in_excerpt=True)),
    _ch(16, "cos_phi", "cos_phi", "1", 3,
        "Displacement factor cos φ of the fundamentals; null without enough signal",
        prometheus="smartpdu_displacement_power_factor", ha="power_factor"),
    _ch(17, "thd_u_pct", "thd_u_pct", "%", 2, "Voltage THD, harmonic groups 2–50 (IEC 61000-4-7)",
        stored=(Level.PHASE,), prometheus="smartpdu_voltage_thd_percent",
        redfish=RedfishProperty("Voltage", "THDPercent")),
    _ch(18, "thd_i_pct", "thd_i_pct", "%", 2, "Current THD, harmonic groups 2–50; null at no load",
        stored=(Level.PHASE,), prometheus="smartpdu_current_thd_percent",
        redfish=RedfishProperty("Current", "THDPercent")),
    _ch(19, "crest_factor", "crest_factor", "1", 3, "Current peak / rms; null at no load",
        prometheus="smartpdu_current_crest_factor",
        redfish=RedfishProperty("Current", "CrestFactor")),
    _ch(20, "peak_current_a", "i_peak_a", "A", 3, "Highest absolute current sample in the window",
        prometheus="smartpdu_peak_current_amperes", ha="current"),
    _ch(21, "frequency_hz", "frequency_hz", "Hz", 3, "Fundamental frequency; null if not measurable",
        prometheus="smartpdu_frequency_hertz", ha="frequency",
        redfish=RedfishProperty("Frequency", reading_type="Frequency", units="Hz",
                                excerpt="FrequencyHz")),
    *(_row(_SURGE_NO["phase"] + i, f"surges_{b}", ChannelReading, f"surges_{b}", "1",
           Kind.COUNTER, (Level.PHASE,),
             0, f"Surge bursts on the phase in the {b} severity bucket", rest=f"surges_{b}",
             prometheus=f"smartpdu_surges_{b}_total") for i, b in enumerate(_BUCKETS)),
    # Redfish energy sensors: Reading is the resettable register (ResetMetrics zeroes it),
    # LifetimeReading the total that never resets (DMTF Sensor semantics).
    _ch(22, "energy_wh", "energy_wh", "Wh", 3, "Active energy import, non-resettable total",
        kind=Kind.COUNTER, stored=_ALL_CH, prometheus="smartpdu_energy_watt_hours_total",
        ha="energy",
        redfish=RedfishProperty("Energy", "LifetimeReading", scale=1e-3, in_excerpt=True)),
    _ch(23, "energy_export_wh", "energy_export_wh", "Wh", 3, "Active energy export total",
        kind=Kind.COUNTER, prometheus="smartpdu_energy_export_watt_hours_total", ha="energy"),
    _ch(24, "energy_varh", "energy_varh", "varh", 3, "Reactive energy total",
        kind=Kind.COUNTER, prometheus="smartpdu_reactive_energy_var_hours_total"),
    _ch(25, "energy_vah", "energy_vah", "VAh", 3, "Apparent energy total",
        kind=Kind.COUNTER, prometheus="smartpdu_apparent_energy_voltampere_hours_total"),
    _ch(26, "energy_resettable_wh", "energy_resettable_wh", "Wh", 3,
        "Active energy import since the last reset of the resettable register (audited reset)",
        prometheus="smartpdu_energy_since_reset_watt_hours",
        redfish=RedfishProperty("Energy", reading_type="EnergykWh", units="kW.h", scale=1e-3,
                                excerpt="EnergykWh")),
    # -- inlet totals ---------------------------------------------------------------------------
    _row(27, "power_w", InletSnapshot, "power_w", "W", Kind.GAUGE, (Level.INLET,), 1,
           "Inlet active power, sum of the phases", rest="power_w", stored=(Level.INLET,),
           noise=0.5, prometheus="smartpdu_power_watts", ha_device_class="power",
           redfish=RedfishProperty("TotalPower", reading_type="Power", units="W",
                                   excerpt="PowerWatts")),
    _row(28, "apparent_va", InletSnapshot, "apparent_va", "VA", Kind.GAUGE, (Level.INLET,), 1,
           "Inlet apparent power, sum of the phases", rest="apparent_va", stored=(Level.INLET,),
           prometheus="smartpdu_apparent_power_voltamperes", ha_device_class="apparent_power",
           redfish=RedfishProperty("TotalPower", "ApparentVA", in_excerpt=True)),
    _row(29, "reactive_var", InletSnapshot, "reactive_var", "var", Kind.GAUGE, (Level.INLET,), 1,
           "Inlet fundamental reactive power, sum of the phases", rest="reactive_var", noise=0.5,
           prometheus="smartpdu_reactive_power_vars", ha_device_class="reactive_power",
           redfish=RedfishProperty("TotalPower", "ReactiveVAR", in_excerpt=True)),
    _row(30, "pf", InletSnapshot, "pf", "1", Kind.GAUGE, (Level.INLET,), 3,
           "Inlet power factor ΣP/ΣS; null without load", rest="pf",
           prometheus="smartpdu_power_factor", ha_device_class="power_factor",
           redfish=RedfishProperty("TotalPower", "PowerFactor", in_excerpt=True)),
    _row(31, "energy_wh", InletSnapshot, "energy_wh", "Wh", Kind.COUNTER, (Level.INLET,), 3,
           "Inlet active energy import, non-resettable total", rest="energy_wh",
           stored=(Level.INLET,), prometheus="smartpdu_energy_watt_hours_total",
           ha_device_class="energy",
           redfish=RedfishProperty("TotalEnergy", "LifetimeReading", scale=1e-3, in_excerpt=True)),
    _row(32, "energy_resettable_wh", InletSnapshot, "energy_resettable_wh", "Wh", Kind.GAUGE,
           (Level.INLET,), 3,
           "Inlet active energy import since the last reset of the resettable register",
           rest="energy_resettable_wh", prometheus="smartpdu_energy_since_reset_watt_hours",
           redfish=RedfishProperty("TotalEnergy", reading_type="EnergykWh", units="kW.h",
                                   scale=1e-3, excerpt="EnergykWh")),
    _row(33, "frequency_hz", InletSnapshot, "frequency_hz", "Hz", Kind.GAUGE, (Level.INLET,), 3,
           "Supply frequency (first phase with a measurable fundamental)", rest="frequency_hz",
           stored=(Level.INLET,), prometheus="smartpdu_frequency_hertz",
           ha_device_class="frequency"),
    _row(34, "neutral_a", InletSnapshot, "neutral_a", "A", Kind.GAUGE, (Level.INLET,), 3,
           "Neutral current (measured or the instantaneous sum)", rest="neutral_a",
           stored=(Level.INLET,), prometheus="smartpdu_neutral_current_amperes",
           ha_device_class="current",
           redfish=RedfishProperty("NeutralCurrent", reading_type="Current", units="A")),
    _row(35, "residual_ma", InletSnapshot, "residual_ma", "mA", Kind.GAUGE, (Level.INLET,), 2,
           "Residual (RCM) current; null without a residual-current monitor", rest="residual_ma",
           stored=(Level.INLET,), prometheus="smartpdu_residual_current_milliamperes",
           redfish=_RESIDUAL),
    *(_row(_SURGE_NO["inlet"] + i, f"surges_{b}", InletSnapshot, f"surges_{b}", "1",
           Kind.COUNTER, (Level.INLET,),
             0, f"Surge bursts at the inlet in the {b} severity bucket", rest=f"surges_{b}",
             prometheus=f"smartpdu_surges_{b}_total") for i, b in enumerate(_BUCKETS)),
    _row(53, "spd_energy_j", InletSnapshot, "spd_energy_j", "J", Kind.COUNTER, (Level.INLET,), 1,
           "Energy absorbed by the surge protective device, cumulative estimate",
           rest="spd_energy_j", prometheus="smartpdu_spd_energy_joules_total"),
    _row(54, "spd_life_used_pct", InletSnapshot, "spd_life_used_pct", "%", Kind.GAUGE,
           (Level.INLET,), 1, "SPD energy in percent of its configured budget",
           rest="spd_life_used_pct", prometheus="smartpdu_spd_life_used_percent"),
    _row(36, "demand_power_w", InletSnapshot, "demand_power_w", "W", Kind.GAUGE, (Level.INLET,),
           1, "15-min sliding average of the inlet power", rest="demand_power_w",
           stored=(Level.INLET,), prometheus="smartpdu_demand_power_watts",
           ha_device_class="power"),
    _row(37, "max_demand_power_w", InletSnapshot, "max_demand_power_w", "W", Kind.GAUGE,
           (Level.INLET,), 1, "Maximum full-window demand since start",
           rest="max_demand_power_w", prometheus="smartpdu_max_demand_power_watts",
           ha_device_class="power"),
    # -- branch circuits ------------------------------------------------------------------------
    _row(38, "residual_ma", BranchSnapshot, "residual_ma", "mA", Kind.GAUGE, (Level.BRANCH,), 2,
           "Residual (RCM) current of the branch; null without a monitor", rest="residual_ma",
           stored=(Level.BRANCH,), prometheus="smartpdu_residual_current_milliamperes",
           redfish=_RESIDUAL),
    _row(39, "trip_risk_pct", BranchSnapshot, "trip_risk_pct", "%", Kind.GAUGE,
           (Level.BRANCH,), 1, "Position on the breaker's thermal trip curve (100 = trips)",
           rest="trip_risk_pct", prometheus="smartpdu_breaker_trip_risk_percent"),
    *(_row(_SURGE_NO["branch"] + i, f"surges_{b}", BranchSnapshot, f"surges_{b}", "1",
           Kind.COUNTER, (Level.BRANCH,),
             0, f"Surge bursts seen by the branch in the {b} severity bucket",
             rest=f"surges_{b}", prometheus=f"smartpdu_surges_{b}_total")
      for i, b in enumerate(_BUCKETS)),
    # -- outlets --------------------------------------------------------------------------------
    _row(40, "terminal_temp_c", OutletSnapshot, "terminal_temp_c", "Cel", Kind.GAUGE,
           (Level.OUTLET,), 1, "Outlet terminal temperature; null without a sensor",
           rest="terminal_temp_c", stored=(Level.OUTLET,),
           prometheus="smartpdu_terminal_temperature_celsius", ha_device_class="temperature"),
    _row(41, "relay_cycles", OutletSnapshot, "relay_cycles", "1", Kind.COUNTER, (Level.OUTLET,),
           0, "Relay switching cycles (wear)", rest="relay_cycles",
           prometheus="smartpdu_relay_cycles_total"),
    _row(55, "arc_score", OutletSnapshot, "arc_score", "1", Kind.GAUGE, (Level.OUTLET,), 2,
           "Share of the last arc-detection windows with a series-arc signature (0–1)",
           rest="arc_score", prometheus="smartpdu_arc_score"),
    _row(43, "residual_ma", OutletSnapshot, "residual_ma", "mA", Kind.GAUGE, (Level.OUTLET,), 2,
           "Residual current of the outlet (its PSUs' protective-conductor current); null "
           "unless the PDU monitors each outlet", rest="residual_ma", stored=(Level.OUTLET,),
           prometheus="smartpdu_residual_current_milliamperes", redfish=_RESIDUAL),
    # -- environment sensors (and the derived dew point) ----------------------------------------
    _row(42, "value", SensorSnapshot, "value", "sensor unit", Kind.GAUGE, (Level.SENSOR,), 2,
           "Sensor reading in the sensor's unit; null when disconnected", rest="value",
           stored=(Level.SENSOR,), prometheus="smartpdu_sensor_value"),
)  # fmt: skip

NOT_METRICS: Final[dict[type, frozenset[str]]] = {
    ChannelReading: frozenset({"flags"}),
    InletSnapshot: frozenset(
        {"feed", "feed_present", "rating_a", "breaker_state", "phases"}
        | {"demand_current_a", "max_demand_current_a"}  # per-phase mappings, served as-is
    ),
    BranchSnapshot: frozenset(
        {"id", "name", "line", "breaker_kind", "curve", "rating_a", "breaker_state", "reading"}
    ),
    OutletSnapshot: frozenset(
        {"id", "name", "branch", "line", "connector", "rating_a", "priority", "group", "state"}
        | {"commanded_on", "relay_closed", "locked_out", "reading"}
    ),
    SensorSnapshot: frozenset({"id", "kind", "name", "unit", "status", "pdu"}),
}
"""Snapshot fields that are descriptions, states or containers, not metrics (checked by a test)."""


def metrics_for(level: Level) -> Iterator[Metric]:
    """The rows describing one level, in catalogue order."""
    return (m for m in CATALOGUE if level in m.levels)


def stored_metrics(level: Level) -> tuple[Metric, ...]:
    """The rows written to the 1-s history at one level."""
    return tuple(m for m in CATALOGUE if level in m.stored)


def display(metric: Metric, value: float | None) -> float | None:
    """The value an interface shows: null for "no value", noise-level negatives as 0, rounded.

    The snapshot keeps NaN and full precision; only this step turns them into what people read.
    """
    if value is None:
        return None
    x = float(value)
    if not math.isfinite(x):
        return None
    if -metric.noise < x < 0.0:
        return 0.0
    return round(x, metric.precision) + 0.0  # + 0.0 turns -0.0 into 0.0
