"""Step a breaker through time, by value: state in, state and an optional trip out.

The twin calls :func:`step_breaker` once per window (≈200 ms) per breaker to make it trip; the
controller's trip-risk estimator calls the same function on measured currents. Trips are exact
inside a step — the event says *when* in the step the release operated — so the window length
does not distort trip times.

Inputs per step: ``i_rms_a`` drives the thermal/long-time image and the definite-time short-time
release; ``i_peak_a`` (highest instantaneous current in the step) drives the magnetic /
instantaneous release through its equivalent rms ``i_peak_a / √2`` (a sinusoid reaching that
peak), compared with the threshold (``>=`` trips). For a multi-pole breaker pass the highest pole
current: electronic and thermal releases act on the most loaded pole.

After a trip the returned state is the state at the end of the step assuming the breaker opened
at the trip instant (no current afterwards), so the caller can keep stepping it while it cools.
A thermal image still at θ ≥ 1 trips again at once if current flows (a hot bimetal will not latch).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from smartpdu.protection.trip_curves import (
    MAGNETIC_RELEASE_S,
    BreakerSpec,
    Releases,
    thermal_trip_time_s,
)

__all__ = [
    "BreakerThermalState",
    "TripBand",
    "TripEvent",
    "step_breaker",
    "time_to_trip",
    "time_to_trip_s",
]

TripBand = Literal["thermal", "magnetic", "short_time", "instantaneous", "residual", "neutral"]

_SQRT2 = math.sqrt(2.0)


@dataclass(frozen=True, slots=True)
class BreakerThermalState:
    """What a breaker remembers between steps.

    ``theta``: thermal image, 0 cold, 1 trips. The timers are how long the current has been
    continuously above the short-time, neutral and residual pickups (definite-time releases).
    """

    theta: float = 0.0
    short_time_s: float = 0.0
    neutral_s: float = 0.0
    residual_s: float = 0.0


@dataclass(frozen=True, slots=True)
class TripEvent:
    """A release operated: which band, the measured value against its limit, and when.

    ``elapsed_s`` is the time from the start of the step (or of the query) to the trip.
    """

    band: TripBand
    value: float
    limit: float
    unit: str
    elapsed_s: float


def _thermal_event(r: Releases, i: float, t: float) -> TripEvent:
    return TripEvent("thermal", i, r.thermal_pickup_a, "A", t)


def _first_trip(
    r: Releases,
    state: BreakerThermalState,
    i: float,
    i_eq: float,
    residual_ma: float,
    neutral_a: float,
) -> tuple[float, TripEvent | None]:
    """Earliest release operating time at constant inputs (``math.inf`` if none)."""
    best = math.inf
    event: TripEvent | None = None
    if i_eq >= r.instantaneous_a:
        best = MAGNETIC_RELEASE_S
        event = TripEvent(r.instantaneous_band, i_eq, r.instantaneous_a, "A", best)
    if r.short_time_a is not None and i >= r.short_time_a:
        t = max(r.short_time_s - state.short_time_s, 0.0)
        if t < best:
            best = t
            event = TripEvent("short_time", i, r.short_time_a, "A", t)
    if r.neutral_a is not None and neutral_a >= r.neutral_a:
        t = max(r.neutral_s - state.neutral_s, 0.0)
        if t < best:
            best = t
            event = TripEvent("neutral", neutral_a, r.neutral_a, "A", t)
    if r.residual_ma is not None and residual_ma >= r.residual_ma:
        t = max(r.residual_s - state.residual_s, 0.0)
        if t < best:
            best = t
            event = TripEvent("residual", residual_ma, r.residual_ma, "mA", t)
    p = i / r.thermal_pickup_a
    t = thermal_trip_time_s(p * p, state.theta, r.tau_s)
    if t < best:
        best = t
        event = _thermal_event(r, i, t)
    return best, event


def step_breaker(
    spec: BreakerSpec,
    state: BreakerThermalState,
    *,
    i_rms_a: float,
    i_peak_a: float,
    dt_s: float,
    residual_ma: float = 0.0,
    neutral_a: float = 0.0,
) -> tuple[BreakerThermalState, TripEvent | None]:
    """Advance ``state`` by ``dt_s`` at the given step currents; return the new state and a trip.

    ``residual_ma`` only matters for an RCBO, ``neutral_a`` only for an MCCB with neutral
    protection on.
    """
    if not dt_s > 0.0:
        raise ValueError(f"dt_s must be > 0 s, got {dt_s}")
    r = spec.releases
    i = abs(i_rms_a)
    i_eq = abs(i_peak_a) / _SQRT2
    residual = abs(residual_ma)
    neutral = abs(neutral_a)
    t_trip, event = _first_trip(r, state, i, i_eq, residual, neutral)
    p = i / r.thermal_pickup_a
    x2 = p * p
    tau = r.tau_s
    if event is not None and t_trip <= dt_s:
        # θ at the trip instant, then cooling with no current for the rest of the step.
        if event.band == "thermal":
            theta_trip = max(state.theta, 1.0)
        else:
            theta_trip = x2 + (state.theta - x2) * math.exp(-t_trip / tau)
        theta_end = theta_trip * math.exp(-(dt_s - t_trip) / tau)
        return BreakerThermalState(theta=theta_end), event
    theta_end = x2 + (state.theta - x2) * math.exp(-dt_s / tau)
    st = state.short_time_s + dt_s if r.short_time_a is not None and i >= r.short_time_a else 0.0
    nt = state.neutral_s + dt_s if r.neutral_a is not None and neutral >= r.neutral_a else 0.0
    rt = state.residual_s + dt_s if r.residual_ma is not None and residual >= r.residual_ma else 0.0
    return BreakerThermalState(theta_end, st, nt, rt), None


def time_to_trip(
    spec: BreakerSpec,
    state: BreakerThermalState,
    i_rms_a: float,
    *,
    i_peak_a: float | None = None,
    residual_ma: float = 0.0,
    neutral_a: float = 0.0,
) -> TripEvent | None:
    """Return the trip that constant inputs from ``state`` would cause, or ``None`` if none.

    ``i_peak_a`` defaults to a sinusoid's √2·``i_rms_a``.
    """
    i = abs(i_rms_a)
    peak = i * _SQRT2 if i_peak_a is None else abs(i_peak_a)
    _, event = _first_trip(spec.releases, state, i, peak / _SQRT2, abs(residual_ma), abs(neutral_a))
    return event


def time_to_trip_s(
    spec: BreakerSpec,
    state: BreakerThermalState,
    i_rms_a: float,
    *,
    i_peak_a: float | None = None,
    residual_ma: float = 0.0,
    neutral_a: float = 0.0,
) -> float:
    """Return seconds until a trip at constant inputs from ``state`` (``math.inf`` if never)."""
    event = time_to_trip(
        spec, state, i_rms_a, i_peak_a=i_peak_a, residual_ma=residual_ma, neutral_a=neutral_a
    )
    return math.inf if event is None else event.elapsed_s
