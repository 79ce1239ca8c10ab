"""Early fire detection: VOC and a local warm plume together (pure, no clock, no I/O).

A smouldering cable or component releases volatile organic compounds *and* heats the air around
it; a cleaning agent or a solvent releases VOC without heat, a cooling failure heats without VOC.
So the detector needs both, each relative to its own slowly-tracked clean baseline:

- ``voc_excess`` = VOC − VOC baseline;
- ``dt_excess``  = (top/rear air − inlet air) − its baseline: the plume near the outlets, with
  load and cooling changes (which move both sensors) largely cancelled;
- ``slope``      = the least-squares slope of (top − inlet) over ``slope_window_s``, K/min.

Levels::

    pre-alarm: voc_excess ≥ pre_voc  and (dt_excess ≥ pre_ΔT or slope ≥ pre_slope)  for persist_s
    alarm:     voc_excess ≥ alarm_voc and dt_excess ≥ alarm_ΔT                      for persist_s/2
    clear:     voc_excess < pre_voc/2 and dt_excess < pre_ΔT/2                        for clear_after_s

The baselines (exponential, ``baseline_tau_s``) only learn while the level is normal and VOC is
not elevated, so a developing smoulder is never absorbed into its own baseline. A missing input
(sensor fault, NaN) changes nothing and restarts the persistence timers.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from enum import IntEnum

from smartpdu.config.safety import FireConfig

__all__ = ["FireDetector", "FireFinding", "FireInputs", "FireLevel"]


class FireLevel(IntEnum):
    NORMAL = 0
    PRE_ALARM = 1
    ALARM = 2


@dataclass(frozen=True, slots=True)
class FireInputs:
    t_s: float
    voc_ppb: float | None
    top_c: float | None
    """Warmest top/rear/outlet air temperature (where the outlets and their terminals are)."""
    inlet_c: float | None
    """Coldest bottom/front/inlet air temperature."""


@dataclass(frozen=True, slots=True)
class FireFinding:
    level: FireLevel
    previous: FireLevel
    evidence: dict[str, float]


def _slope_per_min(points: deque[tuple[float, float]]) -> float:
    n = len(points)
    if n < 2:
        return 0.0
    mt = sum(t for t, _ in points) / n
    mv = sum(v for _, v in points) / n
    stt = sum((t - mt) ** 2 for t, _ in points)
    return 0.0 if stt <= 0 else 60.0 * sum((t - mt) * (v - mv) for t, v in points) / stt


class FireDetector:
    """Feed it one :class:`FireInputs` per evaluation; it returns a finding on a level change."""

    def __init__(self, config: FireConfig) -> None:
        self.config = config
        self.level = FireLevel.NORMAL
        self.voc_base: float | None = None
        self.dt_base: float | None = None
        self._dt_points: deque[tuple[float, float]] = deque()
        self._pre_since: float | None = None
        self._alarm_since: float | None = None
        self._clear_since: float | None = None
        self._last_t: float | None = None
        self.peak_voc_excess = 0.0
        self.peak_dt_excess = 0.0

    def update(self, x: FireInputs) -> FireFinding | None:
        cfg = self.config
        values = (x.voc_ppb, x.top_c, x.inlet_c)
        if any(v is None or not math.isfinite(v) for v in values):
            self._pre_since = self._alarm_since = self._clear_since = None
            return None
        voc, top, inlet = float(x.voc_ppb), float(x.top_c), float(x.inlet_c)  # type: ignore[arg-type]
        dt = top - inlet
        if self.voc_base is None or self.dt_base is None:
            self.voc_base, self.dt_base, self._last_t = voc, dt, x.t_s
        step = max(0.0, x.t_s - (self._last_t if self._last_t is not None else x.t_s))
        self._last_t = x.t_s
        pts = self._dt_points
        pts.append((x.t_s, dt))
        while pts and pts[0][0] < x.t_s - cfg.slope_window_s:
            pts.popleft()
        covered = pts[-1][0] - pts[0][0] >= 0.5 * cfg.slope_window_s
        slope = _slope_per_min(pts) if covered else 0.0
        voc_x, dt_x = voc - self.voc_base, dt - self.dt_base
        if self.level is FireLevel.NORMAL and voc_x < 0.5 * cfg.pre_voc_excess_ppb:
            a = 1.0 - math.exp(-step / cfg.baseline_tau_s) if step > 0 else 0.0
            self.voc_base += a * (voc - self.voc_base)
            self.dt_base += a * (dt - self.dt_base)
        if self.level is FireLevel.NORMAL:
            self.peak_voc_excess = self.peak_dt_excess = 0.0
        self.peak_voc_excess = max(self.peak_voc_excess, voc_x)
        self.peak_dt_excess = max(self.peak_dt_excess, dt_x)

        pre = voc_x >= cfg.pre_voc_excess_ppb and (
            dt_x >= cfg.pre_delta_t_c or slope >= cfg.pre_slope_c_per_min
        )
        alarm = voc_x >= cfg.alarm_voc_excess_ppb and dt_x >= cfg.alarm_delta_t_c
        quiet = voc_x < 0.5 * cfg.pre_voc_excess_ppb and dt_x < 0.5 * cfg.pre_delta_t_c
        self._pre_since = (
            (self._pre_since if self._pre_since is not None else x.t_s) if pre else None
        )
        self._alarm_since = (
            (self._alarm_since if self._alarm_since is not None else x.t_s) if alarm else None
        )
        self._clear_since = (
            (self._clear_since if self._clear_since is not None else x.t_s) if quiet else None
        )
        new = self.level
        if self._alarm_since is not None and x.t_s - self._alarm_since >= 0.5 * cfg.persist_s:
            new = FireLevel.ALARM
        elif (
            self.level is FireLevel.NORMAL
            and self._pre_since is not None
            and x.t_s - self._pre_since >= cfg.persist_s
        ):
            new = FireLevel.PRE_ALARM
        elif (
            self.level is not FireLevel.NORMAL
            and self._clear_since is not None
            and x.t_s - self._clear_since >= cfg.clear_after_s
        ):
            new = FireLevel.NORMAL
        if new is self.level:
            return None
        previous, self.level = self.level, new
        evidence = {
            "voc_ppb": voc,
            "voc_baseline_ppb": self.voc_base,
            "voc_excess_ppb": voc_x,
            "voc_limit_ppb": cfg.alarm_voc_excess_ppb
            if new is FireLevel.ALARM
            else cfg.pre_voc_excess_ppb,
            "top_c": top,
            "inlet_c": inlet,
            "delta_t_excess_c": dt_x,
            "delta_t_limit_c": cfg.alarm_delta_t_c if new is FireLevel.ALARM else cfg.pre_delta_t_c,
            "slope_c_per_min": slope,
            "peak_voc_excess_ppb": self.peak_voc_excess,
            "peak_delta_t_excess_c": self.peak_dt_excess,
            "window_s": {
                FireLevel.PRE_ALARM: cfg.persist_s,
                FireLevel.ALARM: 0.5 * cfg.persist_s,
                FireLevel.NORMAL: cfg.clear_after_s,
            }[new],
        }
        return FireFinding(new, previous, evidence)
