"""Rack environment and its sensors: air temperature, humidity, VOC, vibration, doors, smoke.

The physical quantities evolve deterministically (first-order exact steps, see ``thermal``);
only sensor measurement noise is random, drawn from one seeded generator per sensor so that a
fault injected on one sensor never shifts another sensor's stream.

Sensor faults model what the field sees: ``stuck`` (value frozen, status still OK — only
plausibility checks can find it), ``noisy`` (large noise, status OK) and ``open`` (broken wire:
no value, :attr:`SensorStatus.OPEN`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from smartpdu.config.models import RackConfig, SensorConfig, SensorKind
from smartpdu.hardware.samples import SensorReading, SensorStatus
from smartpdu.twin.thermal import RackAirModel

__all__ = ["SENSOR_FAULTS", "Environment", "SensorFault"]

SensorFault = str
SENSOR_FAULTS: tuple[str, ...] = ("stuck", "noisy", "open")

VOC_BASELINE_PPB = 120.0
"""Typical clean indoor TVOC level."""
VOC_RISE_TAU_S = 60.0
VOC_DECAY_TAU_S = 600.0
"""Ventilation clears a release over ~10 min."""
PLUME_RISE_TAU_S = 120.0
PLUME_DECAY_TAU_S = 300.0
HUMIDITY_TAU_S = 120.0
HUMIDITY_START_PCT = 45.0
VIBRATION_BASELINE_G = 0.02
"""Fans and disks: a few hundredths of a g."""
SMOKE_VOC_EXCESS_PPB = 2000.0
"""An optical smoke detector only fires on a well-developed smoulder (VOC far above baseline)."""

_UNITS = {
    SensorKind.TEMPERATURE: "degC",
    SensorKind.HUMIDITY: "pct",
    SensorKind.VOC: "ppb",
    SensorKind.VIBRATION: "g",
    SensorKind.DOOR: "bool",
    SensorKind.SMOKE: "bool",
}
# (normal measurement noise σ, noise σ of a "noisy" faulty sensor), in the sensor's unit
_NOISE = {
    SensorKind.TEMPERATURE: (0.05, 4.0),
    SensorKind.HUMIDITY: (0.2, 8.0),
    SensorKind.VOC: (3.0, 400.0),
    SensorKind.VIBRATION: (0.002, 0.3),
    SensorKind.DOOR: (0.0, 0.0),
    SensorKind.SMOKE: (0.0, 0.0),
}
_BINARY_CHATTER_P = 0.3
"""A noisy binary contact reports the wrong state this often."""


def _relax(value: float, target: float, dt_s: float, tau_s: float) -> float:
    return target + (value - target) * math.exp(-dt_s / tau_s)


@dataclass(slots=True)
class _Release:
    ppb: float
    remaining_s: float
    temp_rise_c: float


_DRAW_BATCH = 256
"""Noise numbers drawn per generator call: one call per sensor and step costs more than the
reading itself. Each step still consumes exactly one normal and one uniform per sensor."""


@dataclass(slots=True)
class _SensorState:
    config: SensorConfig
    rng: np.random.Generator
    fault: str | None = None
    last_value: float | None = None
    frozen: float | None = None
    gauss: list[float] = field(default_factory=list)
    uniform: list[float] = field(default_factory=list)
    # per-kind constants, looked up once (enum hashing and .value are slow per step)
    kind: str = field(init=False)
    unit: str = field(init=False)
    sigma: float = field(init=False)
    noisy_sigma: float = field(init=False)
    binary: bool = field(init=False)
    floor: float | None = field(init=False)
    ceiling: float | None = field(init=False)

    def __post_init__(self) -> None:
        kind = self.config.kind
        self.kind, self.unit = kind.value, _UNITS[kind]
        self.sigma, self.noisy_sigma = _NOISE[kind]
        self.binary = kind in (SensorKind.DOOR, SensorKind.SMOKE)
        bounded = kind in (SensorKind.HUMIDITY, SensorKind.VOC, SensorKind.VIBRATION)
        self.floor = 0.0 if bounded else None
        self.ceiling = 100.0 if kind is SensorKind.HUMIDITY else None

    def draw(self) -> tuple[float, float]:
        """This step's (standard normal, uniform) pair, taken in the generator's order."""
        if not self.gauss:
            self.gauss = self.rng.standard_normal(_DRAW_BATCH).tolist()[::-1]
            self.uniform = self.rng.random(_DRAW_BATCH).tolist()[::-1]
        return self.gauss.pop(), self.uniform.pop()


@dataclass(slots=True)
class _Physics:
    voc_excess_ppb: float = 0.0
    plume_c: float = 0.0
    humidity_pct: float = HUMIDITY_START_PCT
    humidity_target_pct: float = HUMIDITY_START_PCT
    releases: list[_Release] = field(default_factory=list)
    bursts: list[list[float]] = field(default_factory=list)  # [g, remaining_s]


class Environment:
    """Air, humidity, VOC, vibration and door state of one rack, read through its sensors."""

    def __init__(self, config: RackConfig, *, seed: int) -> None:
        self._air = RackAirModel(
            setpoint_c=config.rack.cooling_setpoint_c, capacity_w=config.rack.cooling_capacity_w
        )
        children = np.random.SeedSequence(seed).spawn(len(config.sensors))
        self._sensors = {
            s.id: _SensorState(s, np.random.default_rng(ss))
            for s, ss in zip(config.sensors, children, strict=True)
        }
        self._doors = {s.id: False for s in config.sensors if s.kind is SensorKind.DOOR}
        self._phys = _Physics()
        self._cooling_ok = True
        self._air_bottom = config.rack.cooling_setpoint_c
        self._air_top = config.rack.cooling_setpoint_c
        self._burst_g = 0.0

    # ---- state the twin reads -------------------------------------------------------------
    @property
    def humidity_pct(self) -> float:
        return self._phys.humidity_pct

    @property
    def ambient_c(self) -> float:
        """Air temperature at the (rear, vertically mounted) PDUs: mean of bottom and top air."""
        return 0.5 * (self._air_bottom + self._air_top)

    @property
    def voc_ppb(self) -> float:
        return VOC_BASELINE_PPB + self._phys.voc_excess_ppb

    @property
    def cooling_ok(self) -> bool:
        return self._cooling_ok

    # ---- injections ------------------------------------------------------------------------
    def set_humidity(self, rh_pct: float) -> None:
        """Move the room humidity toward ``rh_pct`` (first order, τ = 2 min)."""
        if not 0.0 <= rh_pct <= 100.0:
            raise ValueError(f"rh_pct must be within 0..100, got {rh_pct}")
        self._phys.humidity_target_pct = float(rh_pct)

    def voc_release(self, ppb: float, duration_s: float, *, temp_rise_c: float = 0.0) -> None:
        """Start an outgassing source adding ``ppb`` above baseline for ``duration_s``.

        ``temp_rise_c`` is the local warm plume of a smouldering part: it adds to the top, rear
        and (half of it) middle temperature sensors, which the fire detection correlates with VOC.
        """
        if ppb < 0 or duration_s <= 0:
            raise ValueError(f"need ppb >= 0 and duration_s > 0, got {ppb}, {duration_s}")
        self._phys.releases.append(_Release(float(ppb), float(duration_s), float(temp_rise_c)))

    def vibration_burst(self, g: float, duration_s: float) -> None:
        if g < 0 or duration_s <= 0:
            raise ValueError(f"need g >= 0 and duration_s > 0, got {g}, {duration_s}")
        self._phys.bursts.append([float(g), float(duration_s)])

    def door(self, sensor_id: str, open: bool) -> None:
        if sensor_id not in self._doors:
            raise KeyError(
                f"no door sensor {sensor_id!r}; door sensors: {sorted(self._doors) or 'none'}"
            )
        self._doors[sensor_id] = bool(open)

    def cooling_failure(self, failed: bool) -> None:
        self._cooling_ok = not failed

    def sensor_fault(self, sensor_id: str, fault: str | None) -> None:
        """Inject ``stuck``/``noisy``/``open`` on a sensor, or clear it with ``None``."""
        if sensor_id not in self._sensors:
            raise KeyError(f"no sensor {sensor_id!r}; sensors: {sorted(self._sensors) or 'none'}")
        if fault is not None and fault not in SENSOR_FAULTS:
            raise ValueError(f"unknown sensor fault {fault!r}; use one of {SENSOR_FAULTS} or None")
        state = self._sensors[sensor_id]
        state.fault = fault
        state.frozen = state.last_value if fault == "stuck" else None

    # ---- time ------------------------------------------------------------------------------
    def step(self, t_s: float, dt_s: float, it_power_w: float) -> tuple[SensorReading, ...]:
        """Advance the environment by ``dt_s`` at IT load ``it_power_w``; read every sensor.

        ``t_s`` is the start of the step; the physics depends only on elapsed time.
        """
        if dt_s < 0:
            raise ValueError(f"dt_s must be >= 0, got {dt_s}")
        air = self._air.step(it_power_w, dt_s, cooling_ok=self._cooling_ok)
        self._air_bottom, self._air_top = air.bottom_c, air.top_c
        self._advance_releases(dt_s)
        self._advance_bursts(dt_s)
        p = self._phys
        p.humidity_pct = _relax(p.humidity_pct, p.humidity_target_pct, dt_s, HUMIDITY_TAU_S)
        return tuple(self._read(state) for state in self._sensors.values())

    def _advance_releases(self, dt_s: float) -> None:
        """Exact piecewise step: inputs change only where a release ends inside the step."""
        p = self._phys
        left = dt_s
        while True:
            active = [r for r in p.releases if r.remaining_s > 0]
            chunk = min([left, *(r.remaining_s for r in active)])
            target_voc = sum(r.ppb for r in active)
            target_plume = sum(r.temp_rise_c for r in active)
            tau_v = VOC_RISE_TAU_S if target_voc >= p.voc_excess_ppb else VOC_DECAY_TAU_S
            tau_p = PLUME_RISE_TAU_S if target_plume >= p.plume_c else PLUME_DECAY_TAU_S
            p.voc_excess_ppb = _relax(p.voc_excess_ppb, target_voc, chunk, tau_v)
            p.plume_c = _relax(p.plume_c, target_plume, chunk, tau_p)
            for r in active:
                r.remaining_s -= chunk
            left -= chunk
            if left <= 0 or not active:
                if left > 0:  # nothing active any more: decay for the rest of the step
                    p.voc_excess_ppb = _relax(p.voc_excess_ppb, 0.0, left, VOC_DECAY_TAU_S)
                    p.plume_c = _relax(p.plume_c, 0.0, left, PLUME_DECAY_TAU_S)
                break
        p.releases = [r for r in p.releases if r.remaining_s > 1e-12]

    def _advance_bursts(self, dt_s: float) -> None:
        for burst in self._phys.bursts:
            burst[1] -= dt_s
        # a burst shorter than the step still shows in the reading of that step
        self._burst_g = sum(g for g, rem in self._phys.bursts if rem > -dt_s)
        self._phys.bursts = [b for b in self._phys.bursts if b[1] > 1e-12]

    def _true_value(self, cfg: SensorConfig) -> float:
        p = self._phys
        match cfg.kind:
            case SensorKind.TEMPERATURE:
                if cfg.position in ("top", "rear", "outlet"):
                    return self._air_top + p.plume_c
                if cfg.position in ("bottom", "front", "inlet"):
                    return self._air_bottom
                return self.ambient_c + 0.5 * p.plume_c
            case SensorKind.HUMIDITY:
                return p.humidity_pct
            case SensorKind.VOC:
                return VOC_BASELINE_PPB + p.voc_excess_ppb
            case SensorKind.VIBRATION:
                return VIBRATION_BASELINE_G + self._burst_g
            case SensorKind.DOOR:
                return 1.0 if self._doors[cfg.id] else 0.0
            case SensorKind.SMOKE:
                return 1.0 if p.voc_excess_ppb >= SMOKE_VOC_EXCESS_PPB else 0.0
        raise AssertionError(f"unhandled sensor kind {cfg.kind}")  # pragma: no cover

    def _read(self, state: _SensorState) -> SensorReading:
        cfg = state.config
        # Always draw the same numbers per step so a fault never shifts later noise.
        gauss, u = state.draw()
        value = self._true_value(cfg)
        binary = state.binary
        if state.fault == "noisy":
            flip = u < _BINARY_CHATTER_P
            value = (
                (1.0 - value if flip else value) if binary else value + state.noisy_sigma * gauss
            )
        elif not binary:
            value += state.sigma * gauss
        if state.floor is not None:
            value = max(value, state.floor)
        if state.ceiling is not None:
            value = min(value, state.ceiling)
        if state.fault == "open":
            return SensorReading(cfg.id, state.kind, None, state.unit, SensorStatus.OPEN)
        if state.fault == "stuck":
            if state.frozen is None:
                state.frozen = value
            value = state.frozen
        state.last_value = value
        return SensorReading(cfg.id, state.kind, value, state.unit, SensorStatus.OK)
