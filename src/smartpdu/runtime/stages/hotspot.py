"""Hotspot stage: each outlet terminal's contact resistance estimated online (safety/hotspot.py).

Every window adds each outlet's I² (metered rms, NaN as no value) to the step's mean; every
``safety.hotspot.step_s`` each terminal's temperature and the rack ambient (mean of the healthy
air temperature sensors, as the terminals sit in the rack air) feed the estimator, which models
the terminal lagging that air. An
outlet whose estimate stays above ``alert_factor`` × its nominal contact resistance (and
nominal + ``min_increase_mohm``) for ``hold_s`` raises ``CONTACT_RESISTANCE_SUSPECTED`` with the
estimated increase — before the terminal reaches protection's 70/90 °C limits. It re-arms once the
estimate falls below half way back.
"""

from __future__ import annotations

import math

import numpy as np

from smartpdu.config import RackConfig
from smartpdu.config.safety import HotspotConfig
from smartpdu.events import NewEvent
from smartpdu.events.model import Action
from smartpdu.runtime.pipeline import Phase, StageBase, TickFrame
from smartpdu.runtime.stages.alarm_inputs import BAD_FLAGS
from smartpdu.safety.hotspot import ContactEstimator

__all__ = ["HotspotStage"]


class HotspotStage(StageBase):
    name = "hotspot"
    phase = Phase.DERIVE

    def __init__(self, config: RackConfig) -> None:
        self._setup(config, config.safety.hotspot)

    def _setup(self, config: RackConfig, cfg: HotspotConfig) -> None:
        self._cfg = cfg
        self._keys = [(p.id, o.id) for p in config.pdus for o in p.outlets]
        self._nominal = np.array([o.contact_resistance_mohm for p in config.pdus
                                  for o in p.outlets])  # fmt: skip
        n = len(self._keys)
        self._est = ContactEstimator(n, dt_s=cfg.step_s, tau_s=cfg.tau_s, memory_s=cfg.memory_s,
                                     r_th_c_per_w=cfg.r_th_c_per_w,
                                     min_current_a=cfg.min_current_a)  # fmt: skip
        self._i2 = np.zeros(n)
        self._count = np.zeros(n)
        self._step_start: float | None = None
        self._above_since: list[float | None] = [None] * n
        self._raised = np.zeros(n, dtype=bool)
        self._rows: dict[str, tuple[list[int], list[int]]] = {}

    def run(self, frame: TickFrame) -> None:
        cfg = frame.config.safety.hotspot
        if cfg is not self._cfg and cfg != self._cfg:
            self._setup(frame.config, cfg)
        if not cfg.enabled:
            return
        self._accumulate(frame)
        if self._step_start is None:
            self._step_start = frame.t_s
        if frame.t_s + frame.window_s - self._step_start < cfg.step_s - 1e-6:
            return
        self._step_start = frame.t_s + frame.window_s
        with np.errstate(invalid="ignore"):
            u = np.where(self._count > 0, self._i2 / np.maximum(self._count, 1), np.nan)
        self._i2[:] = 0.0
        self._count[:] = 0.0
        snap = frame.require_snapshot()
        temps = [s.value for s in snap.sensors.values()
                 if s.kind == "temperature" and s.status == "ok" and s.value is not None]  # fmt: skip
        ambient = sum(temps) / len(temps) if temps else math.nan
        term = np.array([
            v if (v := snap.pdus[p].outlets[o].terminal_temp_c) is not None else math.nan
            for p, o in self._keys
        ])  # fmt: skip
        self._est.update(u, term, ambient)
        self._detect(frame, u, term, ambient)

    def worst_ratio(self) -> float | None:
        """Highest estimated contact resistance / its alert limit (None: nothing learnt yet)."""
        cfg = self._cfg
        r = self._est.resistance_mohm()
        limit = np.maximum(cfg.alert_factor * self._nominal, self._nominal + cfg.min_increase_mohm)
        ok = (self._est.samples >= cfg.min_samples) & np.isfinite(r)
        return float(np.max(r[ok] / limit[ok])) if ok.any() else None

    def _accumulate(self, frame: TickFrame) -> None:
        offset = 0
        for pdu in frame.config.pdus:
            m = frame.pdus[pdu.id].require_metered()
            rows = self._rows.get(pdu.id)
            if rows is None:
                index = {ch: k for k, ch in enumerate(m.channels)}
                pairs = [(j, index[f"outlet/{o.id}"]) for j, o in enumerate(pdu.outlets)
                         if f"outlet/{o.id}" in index]  # fmt: skip
                rows = self._rows[pdu.id] = ([offset + j for j, _ in pairs], [r for _, r in pairs])
            dst, src = rows
            i = np.asarray(m.metrics.i_rms_a)[src]
            good = np.isfinite(i) & ((np.asarray(m.metrics.flags)[src] & BAD_FLAGS) == 0)
            self._i2[dst] += np.where(good, i * i, 0.0)
            self._count[dst] += good
            offset += len(pdu.outlets)

    def _detect(self, frame: TickFrame, u: np.ndarray, term: np.ndarray, ambient: float) -> None:
        cfg = self._cfg
        r = self._est.resistance_mohm()
        limit = np.maximum(cfg.alert_factor * self._nominal, self._nominal + cfg.min_increase_mohm)
        informed = self._est.samples >= cfg.min_samples
        t = frame.t_s
        for k in np.flatnonzero(informed & (r >= limit) & ~self._raised).tolist():
            since = self._above_since[k]
            if since is None:
                self._above_since[k] = t
                if cfg.hold_s > 0:
                    continue
                since = t
            if t - since < cfg.hold_s:
                continue
            self._raised[k] = True
            pdu_id, oid = self._keys[k]
            frame.events.append(self._event(pdu_id, oid, float(r[k]), float(self._nominal[k]),
                                            float(u[k]), float(term[k]), ambient))  # fmt: skip
        below = ~(r >= limit)
        for k in np.flatnonzero(below).tolist():
            self._above_since[k] = None
        rearm = self._raised & (r < 0.5 * (limit + self._nominal))
        self._raised[rearm] = False

    def _event(
        self, pdu_id: str, oid: str, r: float, nominal: float, u: float, term: float, amb: float
    ) -> NewEvent:
        cfg = self._cfg
        current = math.sqrt(u) if math.isfinite(u) else None

        def rnd(x: float | None, d: int = 3) -> float | None:
            return None if x is None or not math.isfinite(x) else round(x, d)

        return NewEvent(
            pdu_id=pdu_id,
            source=f"outlet/{oid}",
            event_code="CONTACT_RESISTANCE_SUSPECTED",
            message=(
                f"outlet {oid}: terminal contact resistance estimated {r:.0f} mΩ "
                f"(+{r - nominal:.0f} mΩ over {nominal:g} mΩ nominal) at "
                f"{current or 0:.1f} A; terminal {term:.1f} °C — inspect before it overheats"
            ),
            action_taken=Action.NOTIFY,
            reason_code="CONTACT_RESISTANCE_RISE",
            evidence={
                "value": rnd(r, 1),
                "limit": rnd(max(cfg.alert_factor * nominal, nominal + cfg.min_increase_mohm), 1),
                "unit": "mOhm",
                "nominal_mohm": nominal,
                "increase_mohm": rnd(r - nominal, 1),
                "current_a": rnd(current),
                "terminal_c": rnd(term, 2),
                "ambient_c": rnd(amb, 2),
                "r_th_c_per_w": cfg.r_th_c_per_w,
                "window_s": cfg.memory_s,
            },
        )
