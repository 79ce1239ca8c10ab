"""Redundancy stage: A/B wiring audit at start and on every configuration, N-redundancy watch.

- ``REDUNDANCY_MISWIRED`` once per miswired device when the stage starts or the configuration
  changes (the wiring is configuration: it is known before the first measurement).
- Once a second, while every feed is present, the failover projection of each feed
  (:func:`smartpdu.analytics.failover_projection`), smoothed with a 30 s exponential average (the
  breakers' thermal release sees an average too: GPU bursts are not a steady load; the first
  samples are plainly averaged, and nothing is judged before ``MIN_SAMPLES`` seconds), is compared
  with the limits: ``N_REDUNDANCY_COMPROMISED`` when a surviving branch or phase would carry more
  than 80 % (warning) or 100 % (critical) of its rating; ``ALARM_CLEARED`` below 70 %.
"""

from __future__ import annotations

import math

from smartpdu.analytics import FailoverLoad, failover_projection, miswired_devices
from smartpdu.config import RackConfig
from smartpdu.events import NewEvent
from smartpdu.events.codes import Severity
from smartpdu.events.model import Action
from smartpdu.runtime.pipeline import Phase, StageBase, TickFrame

__all__ = [
    "CLEAR_PCT",
    "CRITICAL_PCT",
    "MIN_SAMPLES",
    "SMOOTHING_S",
    "WARNING_PCT",
    "RedundancyStage",
]

WARNING_PCT = 80.0
CRITICAL_PCT = 100.0
CLEAR_PCT = 70.0
SMOOTHING_S = 30.0
MIN_SAMPLES = 10


class RedundancyStage(StageBase):
    name = "redundancy"
    phase = Phase.DERIVE

    def __init__(self) -> None:
        self._config: RackConfig | None = None
        self._last_s: float | None = None
        self._ema: dict[tuple[str, str, str], float] = {}
        self._level: dict[tuple[str, str, str], int] = {}
        self._samples = 0

    def run(self, frame: TickFrame) -> None:
        cfg = frame.config
        if cfg is not self._config:
            if (
                self._config is None
                or cfg.devices != self._config.devices
                or (cfg.pdus != self._config.pdus)
            ):
                frame.events.extend(_miswired_events(cfg))
            self._config = cfg
        if self._last_s is not None and frame.t_s - self._last_s < 1.0 - 1e-6:
            return
        dt = 0.0 if self._last_s is None else frame.t_s - self._last_s
        self._last_s = frame.t_s
        snap = frame.require_snapshot()
        if not all(p.inlet.feed_present for p in snap.pdus.values()):
            return  # a feed is down: the real loads speak, protection and shedding act
        self._samples += 1
        # bias-corrected start: a plain mean of the first samples, then the exponential average
        a = max(1.0 - math.exp(-dt / SMOOTHING_S) if dt > 0 else 1.0, 1.0 / self._samples)
        for feed in sorted({p.feed for p in cfg.pdus}):
            for load in failover_projection(cfg, snap, feed):
                key = (feed, load.pdu_id, load.entity)
                prev = self._ema.get(key)
                pct = load.pct if prev is None else prev + a * (load.pct - prev)
                self._ema[key] = pct
                if self._samples < MIN_SAMPLES:
                    continue
                old = self._level.get(key, 0)
                new = 2 if pct >= CRITICAL_PCT else 1 if pct >= WARNING_PCT else old
                if pct < CLEAR_PCT:
                    new = 0
                if new == old:
                    continue
                self._level[key] = new
                if new > old:
                    frame.events.append(_compromised(load, pct, new))
                elif new == 0:
                    frame.events.append(_restored(load, pct))

    def worst_failover_pct(self) -> float | None:
        """The highest smoothed failover projection in % of a rating (None before judging)."""
        if self._samples < MIN_SAMPLES or not self._ema:
            return None
        return max(self._ema.values())


def _miswired_events(cfg: RackConfig) -> list[NewEvent]:
    out = []
    for device, feed, n in miswired_devices(cfg):
        d = next(x for x in cfg.devices if x.name == device)
        outlets = ",".join(f"{p.pdu}/{p.outlet}" for p in d.psus)
        out.append(NewEvent(
            pdu_id=d.psus[0].pdu,
            source=f"device/{device}",
            event_code="REDUNDANCY_MISWIRED",
            message=f"{device}: all {n} PSUs are on feed {feed} ({outlets}); a loss of feed "
            f"{feed} takes it down — move one PSU to the other feed",
            action_taken=Action.NOTIFY,
            reason_code="SINGLE_FEED",
            evidence={"device": device, "feed": feed, "psus": n, "outlets": outlets},
        ))  # fmt: skip
    return out


def _compromised(load: FailoverLoad, pct: float, level: int) -> NewEvent:
    limit = CRITICAL_PCT if level == 2 else WARNING_PCT
    smoothed_a = pct * load.limit_a / 100.0
    return NewEvent(
        pdu_id=load.pdu_id,
        source=load.entity,
        event_code="N_REDUNDANCY_COMPROMISED",
        message=(
            f"if feed {load.failed_feed} fails, {load.pdu_id} {load.entity} carries "
            f"{smoothed_a:.1f} A on average = {pct:.0f} % of its {load.limit_a:g} A rating "
            f"(limit {limit:g} %; {load.projected_a:.1f} A right now)"
        ),
        severity=Severity.CRITICAL if level == 2 else Severity.WARNING,
        action_taken=Action.NOTIFY,
        reason_code="FAILOVER_OVERLOAD",
        evidence={
            "failed_feed": load.failed_feed,
            "measured_a": round(load.measured_a, 3),
            "moved_a": round(load.moved_a, 3),
            "projected_a": round(smoothed_a, 3),
            "instant_projected_a": round(load.projected_a, 3),
            "value": round(pct, 2),
            "limit": limit,
            "unit": "%",
            "rating_a": load.limit_a,
            "window_s": SMOOTHING_S,
        },
    )


def _restored(load: FailoverLoad, pct: float) -> NewEvent:
    return NewEvent(
        pdu_id=load.pdu_id,
        source=load.entity,
        event_code="ALARM_CLEARED",
        message=f"N redundancy restored: if feed {load.failed_feed} fails, {load.entity} "
        f"carries {pct:.0f} % of its rating",
        action_taken=Action.CLEAR,
        reason_code="N_REDUNDANCY_RESTORED",
        evidence={"failed_feed": load.failed_feed, "value": round(pct, 2), "limit": CLEAR_PCT,
                  "unit": "%"},
    )  # fmt: skip
