"""Turn one window's raw states and measurements into the immutable snapshot (pure, no I/O)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from smartpdu.config import PduConfig, RackConfig
from smartpdu.hardware import Acquisition, PduStatus, SampleBlock
from smartpdu.metering import WindowMetrics, flag_names
from smartpdu.model.harmonics import HarmonicSpectra
from smartpdu.model.ids import branch_id, outlet_id, phase_id
from smartpdu.model.metrics import CATALOGUE
from smartpdu.model.snapshot import (
    BranchSnapshot,
    ChannelReading,
    InletSnapshot,
    LeverSnapshot,
    OutletSnapshot,
    PduSnapshot,
    RackSnapshot,
    SensorSnapshot,
)
from smartpdu.model.states import BreakerState, OutletState
from smartpdu.safety import dew_point_sensor

__all__ = ["Demand", "EnergyTotals", "PduWindow", "build_rack_snapshot"]

_ENERGY: dict[str, str] = {
    "energy_wh": "active_import_wh",
    "energy_resettable_wh": "active_import_resettable_wh",
    "energy_export_wh": "active_export_wh",
    "energy_varh": "reactive_varh",
    "energy_vah": "apparent_vah",
}
"""ChannelReading field → EnergyTotals field: the register totals shown with a live reading."""
_MEASURED: tuple[str, ...] = tuple(
    m.field for m in CATALOGUE if m.source is ChannelReading and m.field not in _ENERGY
)
"""ChannelReading fields taken by name from the WindowMetrics field of the same name."""


@dataclass(frozen=True, slots=True)
class EnergyTotals:
    """Non-resettable totals of one channel, as shown next to its live reading."""

    active_import_wh: float = 0.0
    active_export_wh: float = 0.0
    reactive_varh: float = 0.0
    apparent_vah: float = 0.0
    active_import_resettable_wh: float = 0.0
    """The resettable ("trip") register of active import, since its last reset."""


@dataclass(frozen=True, slots=True)
class PduWindow:
    """What the runtime knows about one PDU after measuring a window."""

    config: PduConfig
    block: SampleBlock
    metrics: WindowMetrics
    channels: tuple[str, ...]
    """Names of the rows of ``metrics`` (the block's channels plus a computed ``inlet/N``)."""
    status: PduStatus
    energy: Mapping[str, EnergyTotals]
    """By channel name (``outlet/7``, ``inlet/L1``, ``inlet``)."""
    commanded_on: Mapping[str, bool]
    locked_out: frozenset[str] = frozenset()
    demand: Demand | None = None


@dataclass(frozen=True, slots=True)
class Demand:
    """Demand values of the inlet: per phase current and total power (value, maximum)."""

    current_a: Mapping[str, float]
    max_current_a: Mapping[str, float]
    power_w: float
    max_power_w: float


@lru_cache(maxsize=256)
def _flag_names(mask: int) -> tuple[str, ...]:
    return tuple(flag_names(mask)) if mask else ()


def _readings(win: PduWindow) -> dict[str, ChannelReading]:
    """One ChannelReading per measured channel, built by field name; NaN stays "no value"."""
    m = win.metrics
    columns = {name: np.asarray(getattr(m, name), dtype=np.float64).tolist() for name in _MEASURED}
    flags = [_flag_names(f) for f in np.asarray(m.flags).tolist()]
    none = EnergyTotals()
    out: dict[str, ChannelReading] = {}
    for k, channel in enumerate(win.channels):
        e = win.energy.get(channel, none)
        values = {name: col[k] for name, col in columns.items()}
        values.update({field: getattr(e, total) for field, total in _ENERGY.items()})
        out[channel] = ChannelReading(**values, flags=flags[k])
    return out


def _harmonics(win: PduWindow) -> HarmonicSpectra:
    h_i, h_v = win.metrics.harmonics_i, win.metrics.harmonics_v
    return HarmonicSpectra(
        win.channels, h_i.magnitude, h_v.magnitude, lambda: (h_i.phase_deg, h_v.phase_deg)
    )


def _inlet_pf(phases: Mapping[str, ChannelReading]) -> float:
    """ΣP/ΣS over the phases with a defined power factor; NaN if none has one (no load)."""
    live = [r for r in phases.values() if math.isfinite(r.pf)]
    s = sum(r.s_va for r in live)
    return sum(r.p_w for r in live) / s if live and s > 0.0 else math.nan


def _pdu_snapshot(
    win: PduWindow, terminal_temps: Mapping[str, float | None], trip_risk: Mapping[str, float]
) -> PduSnapshot:
    cfg, status = win.config, win.status
    readings = _readings(win)
    empty = ChannelReading()
    lines = ["L1"] if cfg.phases == 1 else ["L1", "L2", "L3"]
    residual = dict(zip(win.block.residual_channels, win.block.residual_ma.tolist(), strict=False))
    phases = {ln: readings.get(phase_id(ln).local, empty) for ln in lines}
    inlet_energy = win.energy.get("inlet", EnergyTotals())
    freq = next((p.frequency_hz for p in phases.values() if p.frequency_hz > 0), math.nan)
    d = win.demand
    inlet = InletSnapshot(
        feed=cfg.feed,
        feed_present=status.feed_present,
        rating_a=cfg.inlet_rating_a,
        breaker_state=BreakerState(status.breakers.get("inlet", BreakerState.CLOSED)),
        phases=phases,
        neutral_a=readings.get(phase_id("N").local, empty).i_rms_a,
        residual_ma=residual.get("inlet"),
        power_w=sum(p.p_w for p in phases.values()),
        apparent_va=sum(p.s_va for p in phases.values()),
        energy_wh=inlet_energy.active_import_wh,
        energy_resettable_wh=inlet_energy.active_import_resettable_wh,
        frequency_hz=freq,
        demand_current_a=dict(d.current_a) if d else {},
        max_demand_current_a=dict(d.max_current_a) if d else {},
        demand_power_w=d.power_w if d else 0.0,
        max_demand_power_w=d.max_power_w if d else 0.0,
        reactive_var=sum(p.q1_var for p in phases.values()),
        pf=_inlet_pf(phases),
    )
    branch_line = {b.id: b.line for b in cfg.branches}
    branches = {
        b.id: BranchSnapshot(
            id=b.id,
            name=b.name or f"Branch {b.id}",
            line=b.line,
            breaker_kind=b.breaker.kind,
            curve=b.breaker.curve,
            rating_a=b.breaker.rating_a,
            breaker_state=BreakerState(status.breakers.get(b.id, BreakerState.CLOSED)),
            reading=readings.get(branch_id(b.id).local, empty),
            residual_ma=residual.get(branch_id(b.id).local),
            trip_risk_pct=trip_risk.get(str(branch_id(b.id, cfg.id))),
        )
        for b in cfg.branches
    }
    outlets = {}
    for o in cfg.outlets:
        closed = bool(status.relay_closed.get(o.id, False))
        outlets[o.id] = OutletSnapshot(
            id=o.id,
            name=o.name or f"Outlet {o.id}",
            branch=o.branch,
            line=branch_line.get(o.branch, "L1"),
            connector=str(o.connector),
            rating_a=o.rating_a,
            priority=str(o.priority),
            group=o.group,
            state=OutletState.of(closed),
            commanded_on=bool(win.commanded_on.get(o.id, closed)),
            relay_closed=closed,
            locked_out=o.id in win.locked_out,
            reading=readings.get(outlet_id(o.id).local, empty),
            terminal_temp_c=terminal_temps.get(f"terminal/{cfg.id}/{o.id}"),
            relay_cycles=int(status.relay_cycles.get(o.id, 0)),
        )
    return PduSnapshot(
        id=cfg.id,
        name=cfg.name or cfg.id,
        feed=cfg.feed,
        phases=cfg.phases,
        nominal_voltage_v=cfg.nominal_voltage_v,
        nominal_frequency_hz=float(cfg.nominal_frequency_hz),
        inlet=inlet,
        branches=branches,
        outlets=outlets,
        harmonics=_harmonics(win),
    )


def build_rack_snapshot(
    config: RackConfig,
    tick: int,
    timestamp_utc: str,
    acquisition: Acquisition,
    windows: Sequence[PduWindow],
    trip_risk: Mapping[str, float] | None = None,
) -> RackSnapshot:
    """Assemble the rack snapshot of one tick from per-PDU windows, sensors and levers."""
    terminal: dict[str, float | None] = {}
    sensors: dict[str, SensorSnapshot] = {}
    sensor_cfg = {s.id: s for s in config.sensors}
    for r in acquisition.sensors:
        if r.kind == "terminal_temperature":
            terminal[r.sensor_id] = r.value
            continue
        sc = sensor_cfg.get(r.sensor_id)
        sensors[r.sensor_id] = SensorSnapshot(
            id=r.sensor_id,
            kind=r.kind,
            name=(sc.name if sc and sc.name else r.sensor_id),
            value=r.value,
            unit=r.unit,
            status=str(r.status),
            pdu=sc.pdu if sc else None,
        )
    dew = dew_point_sensor(sensors)
    if dew is not None:
        sensors[dew.id] = dew
    lever_cfg = {lv.id: lv for lv in config.levers}
    levers = {
        r.lever_id: LeverSnapshot(
            id=r.lever_id,
            name=lever_cfg[r.lever_id].name if r.lever_id in lever_cfg else r.lever_id,
            position=lever_cfg[r.lever_id].position if r.lever_id in lever_cfg else "front",
            locked=r.locked,
            handle_open=r.handle_open,
        )
        for r in acquisition.levers
    }
    risk = trip_risk or {}
    pdus = {w.config.id: _pdu_snapshot(w, terminal, risk) for w in windows}
    return RackSnapshot(
        tick=tick,
        timestamp_utc=timestamp_utc,
        t_s=acquisition.t0_s,
        rack_name=config.rack.name,
        pdus=pdus,
        sensors=sensors,
        levers=levers,
        controller_power=str(acquisition.controller_power),
    )
