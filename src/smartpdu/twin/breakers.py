"""The breakers of one PDU in the twin: devices built from config, stepped once per window.

The physics is the twin's own (:mod:`.breaker_physics`), not the controller's model, so the
controller's predictions are checked against something independent. This module holds one PDU's
branch MCB/RCBOs and inlet MCCB, steps them on the window's samples and turns a
:class:`~.breaker_physics.Release` into the sample index where the contacts open, so the twin cuts
current (and, for the inlet, voltage) from that instant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from smartpdu.config.models import BranchConfig, PduConfig
from smartpdu.twin.breaker_physics import (
    BreakerPhysics,
    PhysicsState,
    Release,
    Tolerance,
    cool,
    first_crossing_s,
    mcb_physics,
    mccb_physics,
    step_device,
)
from smartpdu.twin.sample_stats import mean_square, row_peak

__all__ = ["Breaker", "PduBreakers", "Trip", "branch_physics", "inlet_physics"]

FArray = npt.NDArray[np.float64]
Samples = npt.NDArray[np.floating]


def _tolerance(seed: int | None, device: str) -> Tolerance:
    return Tolerance() if seed is None else Tolerance.draw(seed, device)


def branch_physics(cfg: BranchConfig, tol: Tolerance = Tolerance()) -> BreakerPhysics:
    return mcb_physics(cfg.breaker, tol)


def inlet_physics(cfg: PduConfig, tol: Tolerance = Tolerance()) -> BreakerPhysics:
    return mccb_physics(cfg.inlet_breaker, cfg.inlet_rating_a, tol)


@dataclass(frozen=True, slots=True)
class Trip:
    """A breaker opened inside the window at sample ``cut`` (``n`` if at the very end)."""

    breaker_id: str
    event: Release
    cut: int
    i_rms_a: float
    i_peak_a: float


@dataclass(slots=True)
class Breaker:
    breaker_id: str
    device: BreakerPhysics
    state: PhysicsState
    closed: bool = True


def _cut_index(at_s: float, n: int, fs: float) -> int:
    return min(n, math.ceil(at_s * fs - 1e-9))


class PduBreakers:
    """Branch MCB/RCBOs and the inlet MCCB of one PDU.

    ``seed`` draws each device's manufacturing tolerance (by PDU and breaker id, so adding a
    branch does not change the others); ``None`` builds nominal devices.
    """

    def __init__(self, cfg: PduConfig, seed: int | None = None) -> None:
        self.branches = [
            Breaker(b.id, branch_physics(b, _tolerance(seed, f"{cfg.id}/{b.id}")), PhysicsState())
            for b in cfg.branches
        ]
        inlet = inlet_physics(cfg, _tolerance(seed, f"{cfg.id}/inlet"))
        self.inlet = Breaker("inlet", inlet, PhysicsState())
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
        self,
        currents: Samples,
        residual_ma: FArray,
        fs: float,
        dt_s: float,
        *,
        ms: FArray | None = None,
        peak_a: Samples | None = None,
    ) -> list[tuple[int, Trip]]:
        """Step every branch breaker on its (nb, n) current; return (branch index, trip).

        ``ms``/``peak_a``: each row's mean square and largest |i| if the caller has them already.
        """
        n = currents.shape[1]
        rms: list[float] = np.sqrt(mean_square(currents) if ms is None else ms).tolist()
        peak: list[float] = (row_peak(currents) if peak_a is None else peak_a).tolist()
        leak: list[float] = np.asarray(residual_ma, dtype=np.float64).tolist()
        trips: list[tuple[int, Trip]] = []
        for k, b in enumerate(self.branches):
            if not b.closed:
                b.state = cool(b.device, b.state, dt_s)
                continue
            i_rms, i_peak = rms[k], peak[k]
            magnetic = i_peak >= math.sqrt(2.0) * b.device.magnetic_a
            b.state, release = step_device(
                b.device,
                b.state,
                dt_s,
                i_rms=i_rms,
                i_peak=i_peak,
                t_cross_s=first_crossing_s(currents[k], b.device.magnetic_a, fs)
                if magnetic
                else math.inf,
                residual_ma=leak[k],
            )
            if release is not None:
                b.closed = False
                cut = _cut_index(release.at_s, n, fs)
                trips.append((k, Trip(b.breaker_id, release, cut, i_rms, i_peak)))
        return trips

    def step_inlet(
        self,
        phases: Samples,
        neutral: Samples,
        fs: float,
        dt_s: float,
        *,
        ms: FArray | None = None,
        peak_a: Samples | None = None,
    ) -> Trip | None:
        """Step the MCCB on its poles and the neutral; return a trip if it opened.

        ``ms``: mean square of each pole then the neutral, ``peak_a``: largest |i| of each pole,
        if the caller has them already (the same figures :func:`step_physics` computes).
        """
        b = self.inlet
        if not b.closed:
            b.state = cool(b.device, b.state, dt_s)
            return None
        if ms is None:
            ms = np.append(mean_square(phases), mean_square(neutral))
        if peak_a is None:
            peak_a = row_peak(phases)
        nph = len(phases)
        i_rms, i_peak = math.sqrt(float(ms[:nph].max())), float(peak_a.max())
        magnetic = i_peak >= math.sqrt(2.0) * b.device.magnetic_a
        b.state, release = step_device(
            b.device,
            b.state,
            dt_s,
            i_rms=i_rms,
            i_peak=i_peak,
            t_cross_s=first_crossing_s(phases, b.device.magnetic_a, fs) if magnetic else math.inf,
            neutral_a=math.sqrt(float(ms[nph])),
        )
        if release is None:
            return None
        b.closed = False
        return Trip("inlet", release, _cut_index(release.at_s, phases.shape[1], fs), i_rms, i_peak)

    def reset(self, breaker_id: str) -> None:
        """Re-close a breaker (a person operates the handle); the thermal state is kept."""
        self.get(breaker_id).closed = True
