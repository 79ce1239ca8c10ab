"""First-order thermal models: outlet terminals (I²·R heating) and rack air top/bottom.

Both use the exact solution of ``dT/dt = (T∞ - T) / τ`` over a step with constant inputs,
``T(t+dt) = T∞ + (T - T∞)·exp(-dt/τ)``, so they are stable and dt-independent for any step size
(one 200 ms window or one hour give the same trajectory at the sample points).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "AirTemperatures",
    "RackAirModel",
    "air_steady_state",
    "terminal_steady_state",
    "terminal_temperature_step",
]

FloatArray = npt.NDArray[np.float64]


def _relax(value: npt.ArrayLike, target: npt.ArrayLike, dt_s: float, tau_s: float) -> FloatArray:
    if dt_s < 0:
        raise ValueError(f"dt_s must be >= 0, got {dt_s}")
    if tau_s <= 0:
        raise ValueError(f"tau_s must be > 0, got {tau_s}")
    decay = math.exp(-dt_s / tau_s)
    t_inf = np.asarray(target, dtype=np.float64)
    return t_inf + (np.asarray(value, dtype=np.float64) - t_inf) * decay


def terminal_steady_state(
    i_rms_a: npt.ArrayLike,
    r_contact_mohm: npt.ArrayLike,
    ambient_c: float,
    *,
    r_th_c_per_w: float = 8.0,
) -> FloatArray:
    """Terminal temperature after a long time at constant current: ambient + I²·R·r_th."""
    i = np.asarray(i_rms_a, dtype=np.float64)
    r_ohm = np.asarray(r_contact_mohm, dtype=np.float64) * 1e-3
    return ambient_c + i * i * r_ohm * r_th_c_per_w


def terminal_temperature_step(
    temp_c: npt.ArrayLike,
    i_rms_a: npt.ArrayLike,
    r_contact_mohm: npt.ArrayLike,
    ambient_c: float,
    dt_s: float,
    *,
    tau_s: float = 300.0,
    r_th_c_per_w: float = 8.0,
) -> FloatArray:
    """Advance outlet terminal temperatures by ``dt_s`` with the current held constant.

    Why: a worn contact (raised R) dissipates I²·R in the terminal; the hotspot shows up minutes
    later, which is what the safety layer must detect. Arrays broadcast (one entry per outlet).
    """
    t_inf = terminal_steady_state(i_rms_a, r_contact_mohm, ambient_c, r_th_c_per_w=r_th_c_per_w)
    return _relax(temp_c, t_inf, dt_s, tau_s)


@dataclass(frozen=True, slots=True)
class AirTemperatures:
    bottom_c: float
    """Cold-aisle intake air at the bottom of the rack."""
    top_c: float
    """Exhaust air at the top rear of the rack."""


def air_steady_state(
    it_power_w: float,
    setpoint_c: float,
    capacity_w: float,
    *,
    cooling_ok: bool = True,
    rise_at_capacity_c: float = 12.0,
    overload_c_per_w: float = 2.0e-3,
) -> AirTemperatures:
    """Steady rack air temperatures for a given IT load and cooling state.

    Intake air sits at the set-point while the cooling removes all the heat; any heat beyond the
    cooling capacity (all of it when cooling has failed) warms the intake by ``overload_c_per_w``.
    The exhaust is warmer than the intake by the airflow rise, which scales with the IT power
    (``rise_at_capacity_c`` at a load equal to the capacity: server fans size airflow for ~12 K).
    """
    power = max(it_power_w, 0.0)
    removed = min(power, capacity_w) if cooling_ok else 0.0
    bottom = setpoint_c + (power - removed) * overload_c_per_w
    top = bottom + rise_at_capacity_c * power / capacity_w
    return AirTemperatures(bottom_c=bottom, top_c=top)


@dataclass(slots=True)
class RackAirModel:
    """Rack air temperatures relaxing toward :func:`air_steady_state` with time constant tau_s."""

    setpoint_c: float
    capacity_w: float
    tau_s: float = 180.0
    bottom_c: float | None = None
    top_c: float | None = None

    def step(self, it_power_w: float, dt_s: float, *, cooling_ok: bool = True) -> AirTemperatures:
        target = air_steady_state(
            it_power_w, self.setpoint_c, self.capacity_w, cooling_ok=cooling_ok
        )
        if self.bottom_c is None or self.top_c is None:
            # A rack that was running before the simulation starts is already in equilibrium.
            self.bottom_c, self.top_c = target.bottom_c, target.top_c
        if dt_s < 0:
            raise ValueError(f"dt_s must be >= 0, got {dt_s}")
        decay = math.exp(-dt_s / self.tau_s)  # scalars: math, not numpy (per-window hot path)
        self.bottom_c = target.bottom_c + (self.bottom_c - target.bottom_c) * decay
        self.top_c = target.top_c + (self.top_c - target.top_c) * decay
        return AirTemperatures(bottom_c=self.bottom_c, top_c=self.top_c)
