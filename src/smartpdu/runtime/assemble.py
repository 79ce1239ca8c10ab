"""Turn one window's raw states and measurements into the immutable snapshot (pure, no I/O)."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt

from smartpdu.config import PduConfig, RackConfig
from smartpdu.hardware import Acquisition, PduStatus, SampleBlock
from smartpdu.metering import WindowMetrics, flag_tuple
from smartpdu.model.harmonics import HarmonicSpectra
from smartpdu.model.ids import branch_id, outlet_id, phase_id
from smartpdu.model.metrics import CATALOGUE, OVERLAID_CHANNEL_FIELDS
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
    m.field
    for m in CATALOGUE
    if m.source is ChannelReading
    and m.field not in _ENERGY
    and m.field not in OVERLAID_CHANNEL_FIELDS
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


_TOTAL_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(EnergyTotals))


class EnergyColumns(Mapping[str, EnergyTotals]):
    """One PDU's energy totals as columns (rows in :class:`EnergyTotals` field order, one column
    per channel), readable by channel like a dict of ``EnergyTotals``.

    The snapshot reads whole columns (:meth:`column`); building 37 ``EnergyTotals`` per PDU per
    window only to read their fields back cost as much as adding the window to the registers.
    """

    __slots__ = ("_index", "_rows", "channels")

    def __init__(self, channels: tuple[str, ...], rows: npt.NDArray[np.float64]) -> None:
        n = len(channels)
        if rows.shape != (len(_TOTAL_FIELDS), n):
            raise ValueError(f"rows of shape {rows.shape} for {n} channels")
        self.channels = channels
        # one more column of zeros: what a channel without registers shows (EnergyTotals())
        self._rows = np.zeros((len(_TOTAL_FIELDS), n + 1))
        self._rows[:, :n] = rows
        self._index = _channel_index(channels)

    def __getitem__(self, channel: str) -> EnergyTotals:
        k = self._index[channel]
        return EnergyTotals(*self._rows[:, k].tolist())

    def __iter__(self) -> Iterator[str]:
        return iter(self.channels)

    def __len__(self) -> int:
        return len(self.channels)

    def column(self, name: str, channels: tuple[str, ...]) -> list[float]:
        """Field ``name`` of each of ``channels`` (0.0 for a channel without totals, as
        ``EnergyTotals()`` shows)."""
        key = (self.channels, channels)
        idx = _COLUMN_ROWS.get(key)
        if idx is None:
            if len(_COLUMN_ROWS) >= 64:
                _COLUMN_ROWS.clear()
            index, missing = self._index, len(self.channels)
            idx = _COLUMN_ROWS[key] = np.array(
                [index.get(c, missing) for c in channels], dtype=np.intp
            )
        values: list[float] = self._rows[_TOTAL_FIELDS.index(name)][idx].tolist()
        return values


_CHANNEL_INDEX: dict[tuple[str, ...], dict[str, int]] = {}
_COLUMN_ROWS: dict[tuple[tuple[str, ...], tuple[str, ...]], npt.NDArray[np.intp]] = {}


def _channel_index(channels: tuple[str, ...]) -> dict[str, int]:
    index = _CHANNEL_INDEX.get(channels)
    if index is None:
        if len(_CHANNEL_INDEX) >= 64:
            _CHANNEL_INDEX.clear()
        index = _CHANNEL_INDEX[channels] = {c: k for k, c in enumerate(channels)}
    return index


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


_READING_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ChannelReading))
"""ChannelReading's fields in constructor order: readings are built positionally (hot path)."""
_NO_ENERGY = EnergyTotals()


@dataclass(frozen=True, slots=True)
class _OutletPlan:
    """What never changes between ticks for one outlet: its static snapshot fields and keys."""

    id: str
    static: tuple[str, str, str, str, str, float, str, str | None]
    """id, name, branch, line, connector, rating_a, priority, group (OutletSnapshot order)."""
    channel: str
    terminal_key: str


@dataclass(frozen=True, slots=True)
class _BranchPlan:
    id: str
    name: str
    line: str
    kind: str
    curve: str
    rating_a: float
    channel: str
    risk_key: str


@dataclass(frozen=True, slots=True)
class _PduLayout:
    """The per-configuration part of a PDU snapshot, computed once per configuration.

    Entity ids are validated when built (``outlet_id``), so doing it per tick cost more than the
    rest of the assembly; a configuration is immutable, so the layout is cached by identity.
    """

    lines: tuple[str, ...]
    phase_channels: tuple[str, ...]
    neutral_channel: str
    branches: tuple[_BranchPlan, ...]
    outlets: tuple[_OutletPlan, ...]


def _build_layout(cfg: PduConfig) -> _PduLayout:
    lines = ("L1",) if cfg.phases == 1 else ("L1", "L2", "L3")
    branch_line = {b.id: b.line for b in cfg.branches}
    return _PduLayout(
        lines=lines,
        phase_channels=tuple(phase_id(ln).local for ln in lines),
        neutral_channel=phase_id("N").local,
        branches=tuple(
            _BranchPlan(
                id=b.id,
                name=b.name or f"Branch {b.id}",
                line=b.line,
                kind=b.breaker.kind,
                curve=b.breaker.curve,
                rating_a=b.breaker.rating_a,
                channel=branch_id(b.id).local,
                risk_key=str(branch_id(b.id, cfg.id)),
            )
            for b in cfg.branches
        ),
        outlets=tuple(
            _OutletPlan(
                id=o.id,
                static=(
                    o.id,
                    o.name or f"Outlet {o.id}",
                    o.branch,
                    branch_line.get(o.branch, "L1"),
                    str(o.connector),
                    o.rating_a,
                    str(o.priority),
                    o.group,
                ),
                channel=outlet_id(o.id).local,
                terminal_key=f"terminal/{cfg.id}/{o.id}",
            )
            for o in cfg.outlets
        ),
    )


_LAYOUTS: dict[int, tuple[PduConfig, _PduLayout]] = {}
_MAX_LAYOUTS = 64


def _layout(cfg: PduConfig) -> _PduLayout:
    """The cached layout of ``cfg`` (keyed by identity; the entry keeps ``cfg`` alive)."""
    hit = _LAYOUTS.get(id(cfg))
    if hit is not None and hit[0] is cfg:
        return hit[1]
    if len(_LAYOUTS) >= _MAX_LAYOUTS:  # configurations replaced many times: start afresh
        _LAYOUTS.clear()
    layout = _build_layout(cfg)
    _LAYOUTS[id(cfg)] = (cfg, layout)
    return layout


def _readings(win: PduWindow) -> dict[str, ChannelReading]:
    """One ChannelReading per measured channel, built by field name; NaN stays "no value".

    Columns are laid out in ChannelReading's field order once per window (metrics by field name,
    energy totals by channel) and each reading is built from one row of them.
    """
    m = win.metrics
    channels = win.channels
    n = len(channels)
    energy = win.energy
    energies: list[EnergyTotals] | None = None
    columns: list[list[Any]] = []
    for name in _READING_FIELDS:
        if name in _MEASURED_SET:
            columns.append(np.asarray(getattr(m, name), dtype=np.float64).tolist())
        elif name in _ENERGY:
            total = _ENERGY[name]
            column = energy.column(total, channels) if isinstance(energy, EnergyColumns) else None
            if column is None:
                if energies is None:
                    energies = [energy.get(ch, _NO_ENERGY) for ch in channels]
                column = [getattr(e, total) for e in energies]
            columns.append(column)
        elif name == "flags":
            columns.append([flag_tuple(f) for f in np.asarray(m.flags).tolist()])
        else:  # a field neither measured nor an energy total keeps its default
            columns.append([getattr(_EMPTY_READING, name)] * n)
    return dict(zip(channels, map(ChannelReading, *columns), strict=True))


_MEASURED_SET = frozenset(_MEASURED)
_EMPTY_READING = ChannelReading()


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
    layout = _layout(cfg)
    readings = _readings(win)
    empty = _EMPTY_READING
    residual = dict(zip(win.block.residual_channels, win.block.residual_ma.tolist(), strict=False))
    phases = {
        ln: readings.get(ch, empty)
        for ln, ch in zip(layout.lines, layout.phase_channels, strict=True)
    }
    inlet_energy = win.energy.get("inlet", _NO_ENERGY)
    freq = next((p.frequency_hz for p in phases.values() if p.frequency_hz > 0), math.nan)
    d = win.demand
    inlet = InletSnapshot(
        feed=cfg.feed,
        feed_present=status.feed_present,
        rating_a=cfg.inlet_rating_a,
        breaker_state=BreakerState(status.breakers.get("inlet", BreakerState.CLOSED)),
        phases=phases,
        neutral_a=readings.get(layout.neutral_channel, empty).i_rms_a,
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
    breakers = status.breakers
    branches = {
        b.id: BranchSnapshot(
            id=b.id,
            name=b.name,
            line=b.line,
            breaker_kind=b.kind,
            curve=b.curve,
            rating_a=b.rating_a,
            breaker_state=BreakerState(breakers.get(b.id, BreakerState.CLOSED)),
            reading=readings.get(b.channel, empty),
            residual_ma=residual.get(b.channel),
            trip_risk_pct=trip_risk.get(b.risk_key),
        )
        for b in layout.branches
    }
    relay_closed, relay_cycles = status.relay_closed, status.relay_cycles
    commanded, locked = win.commanded_on, win.locked_out
    outlets = {}
    for o in layout.outlets:
        oid = o.id
        closed = bool(relay_closed.get(oid, False))
        # positional: the static fields of _OutletPlan, then OutletSnapshot's per-tick fields
        outlets[oid] = OutletSnapshot(
            *o.static,
            OutletState.of(closed),
            bool(commanded.get(oid, closed)),
            closed,
            oid in locked,
            readings.get(o.channel, empty),
            terminal_temps.get(o.terminal_key),
            int(relay_cycles.get(oid, 0)),
            residual.get(o.channel),
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
