"""The breakers of one PDU in the twin: specs from config, stepped once per window.

The physics is :mod:`smartpdu.protection` (IEC 60898-1 MCB, RCBO, LSI MCCB); this module builds
the specs from the rack config and turns a :class:`TripEvent` into the sample index where the
contacts open, so the twin cuts current (and, for the inlet, voltage) from that instant. A
magnetic/instantaneous release operates :data:`MAGNETIC_RELEASE_S` after the first sample whose
instantaneous current reaches the threshold's peak (``√2·limit``); the other bands at the model's
``elapsed_s``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from smartpdu.config.models import BranchConfig, PduConfig
from smartpdu.protection import (
    MAGNETIC_RELEASE_S,
    BreakerSpec,
    BreakerThermalState,
    McbSpec,
    RcboSpec,
    TripEvent,
    branch_breaker_spec,
    pdu_inlet_spec,
    step_breaker,
)

__all__ = ["Breaker", "PduBreakers", "Trip", "branch_spec", "inlet_spec"]

FArray = npt.NDArray[np.float64]


def branch_spec(cfg: BranchConfig) -> McbSpec | RcboSpec:
    return branch_breaker_spec(cfg.breaker)


inlet_spec = pdu_inlet_spec


@dataclass(frozen=True, slots=True)
class Trip:
    """A breaker opened inside the window at sample ``cut`` (``n`` if at the very end)."""

    breaker_id: str
    event: TripEvent
    cut: int
    i_rms_a: float
    i_peak_a: float


@dataclass(slots=True)
class Breaker:
    breaker_id: str
    spec: BreakerSpec
    state: BreakerThermalState
    closed: bool = True


def _cut_index(event: TripEvent, current: FArray, fs: float) -> int:
    n = current.shape[-1]
    if event.band in ("magnetic", "instantaneous"):
        over = np.flatnonzero(np.abs(current) >= math.sqrt(2.0) * event.limit)
        start = int(over[0]) if len(over) else 0
        return min(n, start + math.ceil(MAGNETIC_RELEASE_S * fs))
    return min(n, math.ceil(event.elapsed_s * fs))


class PduBreakers:
    """Branch MCB/RCBOs and the inlet MCCB of one PDU."""

    def __init__(self, cfg: PduConfig) -> None:
        self.branches = [Breaker(b.id, branch_spec(b), BreakerThermalState()) for b in cfg.branches]
        self.inlet = Breaker("inlet", inlet_spec(cfg), BreakerThermalState())
        self._by_id = {b.breaker_id: b for b in [*self.branches, self.inlet]}

    def get(self, breaker_id: str) -> Breaker:
        try:
            return self._by_id[breaker_id]
        except KeyError:
            raise KeyError(
                f"no breaker {breaker_id!r}; known breakers: {sorted(self._by_id)}"
            ) from None

    def branch_closed(self) -> npt.NDArray[np.bool_]:
        return np.array([b.closed for b in self.branches], dtype=bool)

    def step_branches(
        self, currents: FArray, residual_ma: FArray, fs: float, dt_s: float
    ) -> list[tuple[int, Trip]]:
        """Step every branch breaker on its (nb, n) current; return (branch index, trip)."""
        rms = np.sqrt(np.einsum("ij,ij->i", currents, currents) / currents.shape[1])
        peak = np.max(np.abs(currents), axis=1)
        trips: list[tuple[int, Trip]] = []
        for k, b in enumerate(self.branches):
            i_rms = float(rms[k]) if b.closed else 0.0
            i_peak = float(peak[k]) if b.closed else 0.0
            b.state, event = step_breaker(
                b.spec,
                b.state,
                i_rms_a=i_rms,
                i_peak_a=i_peak,
                dt_s=dt_s,
                residual_ma=float(residual_ma[k]) if b.closed else 0.0,
            )
            if event is not None and b.closed:
                b.closed = False
                cut = _cut_index(event, currents[k], fs)
                trips.append((k, Trip(b.breaker_id, event, cut, i_rms, i_peak)))
        return trips

    def step_inlet(self, phases: FArray, neutral: FArray, fs: float, dt_s: float) -> Trip | None:
        """Step the MCCB on its most loaded pole and the neutral; return a trip if it opened."""
        b = self.inlet
        if not b.closed:
            b.state, _ = step_breaker(b.spec, b.state, i_rms_a=0.0, i_peak_a=0.0, dt_s=dt_s)
            return None
        rms = np.sqrt(np.einsum("ij,ij->i", phases, phases) / phases.shape[1])
        pole = int(np.argmax(rms))
        i_rms, i_peak = float(rms[pole]), float(np.max(np.abs(phases)))
        i_n = float(np.sqrt(np.mean(neutral * neutral)))
        b.state, event = step_breaker(
            b.spec, b.state, i_rms_a=i_rms, i_peak_a=i_peak, dt_s=dt_s, neutral_a=i_n
        )
        if event is None:
            return None
        b.closed = False
        if event.band == "neutral":
            source = neutral
        elif event.band == "instantaneous":
            source = phases[int(np.argmax(np.max(np.abs(phases), axis=1)))]
        else:
            source = phases[pole]
        return Trip("inlet", event, _cut_index(event, source, fs), i_rms, i_peak)

    def reset(self, breaker_id: str) -> None:
        """Re-close a breaker (a person operates the handle); the thermal image is kept."""
        self.get(breaker_id).closed = True
