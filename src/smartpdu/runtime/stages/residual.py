"""Residual-current trend stage: slope per week and forecast per inlet, RCBO branch and outlet.

Every window's residual current (inlet, each monitored branch and, on PDUs that monitor each
outlet, each outlet) goes into a :class:`~smartpdu.safety.residual.ResidualTrend` on the UTC
time axis (so a trend continues across restarts: the bucket means are kept in the store). When a
bucket completes, the trend is fitted and, if the critical level of the matching alarm rule
(``inlet-residual``, ``branch-residual``, ``outlet-residual`` or a configured one) is forecast
within ``safety.residual.horizon_s``, a ``RESIDUAL_CURRENT_TREND`` event says when (re-armed
once the forecast recedes past twice the horizon). The warning and critical levels themselves
are alarm rules (docs/alarms.md); an RCBO trip is protection's classification.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from smartpdu.alarms import effective_rules, entity_thresholds
from smartpdu.config import RackConfig
from smartpdu.config.alarms import AlarmRuleConfig, RuleLevel
from smartpdu.config.safety import ResidualTrendConfig
from smartpdu.events import NewEvent
from smartpdu.events.model import Action, format_timestamp
from smartpdu.model.runtime_state import ResidualTrendRepository
from smartpdu.runtime.pipeline import Phase, StageBase, TickFrame
from smartpdu.runtime.writer import StoreWriter
from smartpdu.safety.residual import ResidualTrend, TrendEstimate

__all__ = ["ResidualStage", "ResidualView", "residual_limits"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ResidualView:
    """What REST shows per residual-current channel."""

    entity: str
    pdu_id: str
    value_ma: float | None
    warning_ma: float | None
    critical_ma: float | None
    slope_ma_per_week: float | None
    buckets: int
    forecast_critical_utc: str | None
    level: str = "inlet"
    """``inlet``, ``branch`` or ``outlet``."""


def _level(entity: str) -> RuleLevel:
    if entity.endswith("/inlet"):
        return RuleLevel.INLET
    return RuleLevel.OUTLET if "/outlet/" in entity else RuleLevel.BRANCH


def residual_limits(
    config: RackConfig, entity: str, rules: list[AlarmRuleConfig] | None = None
) -> tuple[float | None, float | None]:
    """(warning, critical) mA the effective alarm rules (``rules``, else those of ``config``)
    apply to ``entity``'s residual current (``pdu-a/inlet``, ``pdu-a/branch/B6``,
    ``pdu-b/outlet/21``)."""
    rules = effective_rules(config.alarms) if rules is None else rules
    found = entity_thresholds(rules, _level(entity).value, "residual_ma", entity)
    return found.get("high_warning"), found.get("high_critical")


class ResidualStage(StageBase):
    name = "residual-trend"
    phase = Phase.DERIVE

    def __init__(
        self, config: RackConfig, store: ResidualTrendRepository, writer: StoreWriter | None
    ) -> None:
        self._store = store
        self._writer = writer
        self._lock = threading.Lock()
        self._cfg: ResidualTrendConfig = config.safety.residual
        self._trends: dict[str, ResidualTrend] = {}
        self._latest: dict[str, tuple[str, float | None, TrendEstimate | None, float]] = {}
        self._warned: set[str] = set()
        self._stored: dict[str, Any] = {e: {"points": pts} for e, pts in store.load().items()}

    def _trend(self, entity: str) -> ResidualTrend:
        t = self._trends.get(entity)
        if t is None:
            c = self._cfg
            t = self._trends[entity] = ResidualTrend(c.bucket_s, c.window_s, c.min_buckets)
            saved = self._stored.get(entity)
            if isinstance(saved, dict):
                t.load(saved)
        return t

    def run(self, frame: TickFrame) -> None:
        cfg = frame.config.safety.residual
        if cfg is not self._cfg and cfg != self._cfg:
            with self._lock:
                self._cfg, self._trends, self._stored, self._warned = cfg, {}, {}, set()
        if not cfg.enabled:
            return
        now = frame.now_utc.timestamp()
        snap = frame.require_snapshot()
        closed = False
        with self._lock:
            for pdu_id, ps in snap.pdus.items():
                channels = (
                    [(f"{pdu_id}/inlet", ps.inlet.residual_ma)]
                    + [
                        (f"{pdu_id}/branch/{b.id}", b.residual_ma)
                        for b in ps.branches.values()
                        if b.residual_ma is not None
                    ]
                    + [
                        (f"{pdu_id}/outlet/{o.id}", o.residual_ma)
                        for o in ps.outlets.values()
                        if o.residual_ma is not None
                    ]
                )
                for entity, value in channels:
                    if value is None and entity not in self._trends:
                        continue  # no monitor on this channel
                    trend = self._trend(entity)
                    if trend.add(now, value):
                        closed = True
                        est = trend.estimate(residual_limits(frame.config, entity)[1])
                        self._latest[entity] = (pdu_id, value, est, now)
                        ev = self._check(entity, pdu_id, est, now, frame.config)
                        if ev is not None:
                            frame.events.append(ev)
                    else:
                        old = self._latest.get(entity)
                        self._latest[entity] = (pdu_id, value, old[2] if old else None,
                                                old[3] if old else now)  # fmt: skip
            if closed:
                self._save()

    def _check(
        self, entity: str, pdu_id: str, est: TrendEstimate | None, now: float, config: RackConfig
    ) -> NewEvent | None:
        cfg = self._cfg
        if est is None:
            return None
        eta = est.seconds_to_critical
        rising = est.slope_ma_per_week >= cfg.min_slope_ma_per_week
        if entity in self._warned:
            if not rising or eta is None or eta > 2 * cfg.horizon_s:
                self._warned.discard(entity)
            return None
        if not rising or eta is None or eta > cfg.horizon_s or eta == 0.0:
            return None  # above critical already: the alarm rule says so
        self._warned.add(entity)
        warning, critical = residual_limits(config, entity)
        when = format_timestamp(datetime.fromtimestamp(now + eta, UTC))
        local = entity.removeprefix(f"{pdu_id}/")
        return NewEvent(
            pdu_id=pdu_id,
            source=local,
            event_code="RESIDUAL_CURRENT_TREND",
            message=(
                f"{local} residual current {est.value_ma:.2f} mA rising "
                f"{est.slope_ma_per_week:.2f} mA/week: critical {critical:g} mA forecast at {when} "
                f"(in {eta / 86400:.1f} days)"
            ),
            action_taken=Action.NOTIFY,
            reason_code="RESIDUAL_CURRENT_RISING",
            evidence={
                "value": round(est.value_ma, 4),
                "slope_ma_per_week": round(est.slope_ma_per_week, 4),
                "warning": warning,
                "limit": critical,
                "unit": "mA",
                "forecast_critical_utc": when,
                "seconds_to_critical": round(eta, 1),
                "window_s": round(est.span_s, 1),
                "buckets": est.buckets,
            },
        )

    def _save(self) -> None:
        data = {e: [(t, v) for t, v in tr.dump()["points"]] for e, tr in self._trends.items()}
        store = self._store
        if self._writer is None:
            store.save(data)
        else:
            self._writer.submit(lambda: store.save(data))

    def views(self, config: RackConfig) -> list[ResidualView]:
        """The latest value, levels, slope and forecast of every residual-current channel."""
        out: list[ResidualView] = []
        rules = effective_rules(config.alarms)
        with self._lock:
            for entity, (pdu_id, value, est, at) in sorted(self._latest.items()):
                warning, critical = residual_limits(config, entity, rules)
                eta = est.seconds_to_critical if est is not None else None
                out.append(ResidualView(
                    entity, pdu_id, value, warning, critical,
                    est.slope_ma_per_week if est is not None else None,
                    est.buckets if est is not None else 0,
                    format_timestamp(datetime.fromtimestamp(at + eta, UTC))
                    if eta is not None else None,
                    _level(entity).value,
                ))  # fmt: skip
        return out

    def close(self) -> None:
        with self._lock:
            if self._trends:
                self._save()
