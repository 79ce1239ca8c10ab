"""Risk stage: the rack's 0–100 risk score from the other analytics, once a second.

Reads the public views of the alarm, residual-trend, hotspot, redundancy and fire stages and the
snapshot (breaker trip-curve position, climate), hands them to the pure
:func:`smartpdu.analytics.risk_score` and puts the latest result on every window's snapshot
(``RackSnapshot.risk``), which REST, the SSE stream and Redfish read.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

from smartpdu.analytics import RiskInputs, RiskScore, miswired_devices, risk_score
from smartpdu.config import SensorConfig
from smartpdu.events.model import parse_timestamp
from smartpdu.model.snapshot import RackSnapshot
from smartpdu.runtime.pipeline import Phase, StageBase, TickFrame
from smartpdu.runtime.stages.alarms import AlarmStage
from smartpdu.runtime.stages.hotspot import HotspotStage
from smartpdu.runtime.stages.redundancy import RedundancyStage
from smartpdu.runtime.stages.residual import ResidualStage
from smartpdu.runtime.stages.safety import FireStage

__all__ = ["RiskStage"]

_INLET = ("bottom", "front", "inlet")


class RiskStage(StageBase):
    name = "risk"
    phase = Phase.DERIVE

    def __init__(
        self,
        alarms: AlarmStage,
        residual: ResidualStage,
        hotspot: HotspotStage,
        redundancy: RedundancyStage,
        fire: FireStage,
    ) -> None:
        self._alarms = alarms
        self._residual = residual
        self._hotspot = hotspot
        self._redundancy = redundancy
        self._fire = fire
        self._last_s: float | None = None
        self.latest: RiskScore | None = None
        """The latest score (replaced whole: safe to read from another thread)."""

    def run(self, frame: TickFrame) -> None:
        if self._last_s is None or frame.t_s - self._last_s >= 1.0 - 1e-6:
            self._last_s = frame.t_s
            self._evaluate(frame)
        snap = frame.require_snapshot()
        if self.latest is not None and snap.risk is not self.latest:
            frame.snapshot = replace(snap, risk=self.latest)  # published with this window

    def _evaluate(self, frame: TickFrame) -> None:
        snap = frame.require_snapshot()
        active = self._alarms.active()
        residual = [v for v in self._residual.views(frame.config) if v.value_ma is not None]
        ratios = [v.value_ma / v.critical_ma for v in residual
                  if v.critical_ma and v.value_ma is not None]  # fmt: skip
        days = [
            (_seconds_until(v.forecast_critical_utc, frame.now_utc.timestamp()) or 0.0) / 86400
            for v in residual
            if v.forecast_critical_utc is not None
        ]
        margin, inlet = _climate(frame.config.sensors, snap)
        trip = [b.trip_risk_pct for p in snap.pdus.values() for b in p.branches.values()
                if b.trip_risk_pct is not None]  # fmt: skip
        self.latest = risk_score(
            RiskInputs(
                critical_alarms=sum(a.severity == "critical" for a in active),
                warning_alarms=sum(a.severity == "warning" for a in active),
                residual_ratio=max(ratios) if ratios else None,
                residual_days_to_critical=min(days) if days else None,
                hotspot_ratio=self._hotspot.worst_ratio(),
                miswired_devices=len(miswired_devices(frame.config)),
                failover_pct=self._redundancy.worst_failover_pct(),
                trip_risk_pct=max(trip) if trip else None,
                dew_point_margin_c=margin,
                inlet_temp_c=inlet,
                fire_level=self._fire.level,
            )
        )


def _seconds_until(utc: str, now: float) -> float | None:
    try:
        return max(0.0, parse_timestamp(utc).timestamp() - now)
    except ValueError:
        return None


def _climate(
    sensor_cfg: Sequence[SensorConfig], snap: RackSnapshot
) -> tuple[float | None, float | None]:
    position = {s.id: s.position for s in sensor_cfg}
    temps = [(s.value, position.get(s.id)) for s in snap.sensors.values()
             if s.kind == "temperature" and s.status == "ok" and s.value is not None
             and math.isfinite(s.value)]  # fmt: skip
    dew = next((s.value for s in snap.sensors.values() if s.kind == "dew_point"), None)
    margin = min(t for t, _ in temps) - dew if temps and dew is not None else None
    inlet = [t for t, pos in temps if pos in _INLET]
    return margin, (max(inlet) if inlet else None)
