"""Surge stage: surges on each PDU's voltage samples, counted by severity, and the SPD's budget.

Every window: peak and steepest slope per phase (two reductions over the voltage rows, plus the
front end's peak detector where the hardware has one — ``SampleBlock.voltage_peak_v``). A phase
above ``safety.surge.threshold_pu`` × √2·Vnom, or with a slope above ``dvdt_v_per_us`` while above
``dvdt_min_pu``, is a surge observation; observations ``burst_gap_s`` apart form one burst
(``protection/surge.py``). When a burst closes it is counted at the PDU inlet, at each phase it
hit and at each branch on those phases whose breaker was closed, in the bucket of its peak, and a
``SURGE_DETECTED`` event carries its evidence. The cumulative let-through energy estimate passing
``spd.energy_budget_j`` raises ``SPD_END_OF_LIFE`` once.

The counters are laid over this window's snapshot (catalogue rows ``surges_minor`` … at inlet,
phase and branch level, ``spd_energy_j``, ``spd_life_used_pct``), only for PDUs that have counted
something: a rack without surges pays nothing for them. They live in memory (a restart starts
them at 0, like a Prometheus counter reset).
"""

from __future__ import annotations

import math
from typing import TypeVar

import numpy as np

from smartpdu.config import RackConfig
from smartpdu.config.surge_arc import SurgeConfig
from smartpdu.events import NewEvent
from smartpdu.events.codes import Severity
from smartpdu.events.model import Action
from smartpdu.metering.surge import surge_features
from smartpdu.model.snapshot import (
    BranchSnapshot,
    ChannelReading,
    InletSnapshot,
    PduSnapshot,
    RackSnapshot,
)
from smartpdu.model.states import BreakerState
from smartpdu.protection.surge import (
    ClosedBurst,
    SurgeBook,
    SurgeObservation,
    SurgeSeverity,
    SurgeTracker,
)
from smartpdu.runtime.pipeline import PduFrame, Phase, StageBase, TickFrame
from smartpdu.runtime.stages.overlay import fast_replace

__all__ = ["SurgeStage", "overlay_surges"]

_LINES = ("L1", "L2", "L3")
_T = TypeVar("_T", ChannelReading, InletSnapshot, BranchSnapshot)
_SEVERITY = {
    SurgeSeverity.MINOR: Severity.INFO,
    SurgeSeverity.MAJOR: Severity.WARNING,
    SurgeSeverity.SEVERE: Severity.CRITICAL,
}


class SurgeStage(StageBase):
    name = "surge"
    phase = Phase.DERIVE

    def __init__(self, config: RackConfig) -> None:
        self._cfg = config.safety.surge
        self._trackers = {p.id: SurgeTracker(self._cfg) for p in config.pdus}
        self.books: dict[str, SurgeBook] = {p.id: SurgeBook() for p in config.pdus}

    def run(self, frame: TickFrame) -> None:
        cfg = frame.config.safety.surge
        if cfg is not self._cfg and cfg != self._cfg:
            self._cfg = cfg
            for t in self._trackers.values():
                t.cfg = cfg
        if cfg.enabled:
            for pdu_id, pf in frame.pdus.items():
                tracker = self._trackers.get(pdu_id)
                if tracker is None:  # a PDU added by a configuration change
                    tracker = self._trackers[pdu_id] = SurgeTracker(cfg)
                    self.books[pdu_id] = SurgeBook()
                closed = tracker.update(frame.t_s, frame.window_s, _observe(pf, cfg, frame.t_s))
                if closed is not None:
                    frame.events.extend(self._record(pf, closed, cfg))
        if frame.snapshot is not None and any(b.counts for b in self.books.values()):
            frame.snapshot = overlay_surges(frame.snapshot, self.books, cfg.spd.energy_budget_j)

    def _record(self, pf: PduFrame, burst: ClosedBurst, cfg: SurgeConfig) -> list[NewEvent]:
        pdu = pf.config
        book = self.books[pdu.id]
        branches = [b.id for b in pdu.branches if b.line in burst.lines
                    and pf.status.breakers.get(b.id, BreakerState.CLOSED) is BreakerState.CLOSED]  # fmt: skip
        book.record(burst, [*(f"inlet/{ln}" for ln in burst.lines),
                            *(f"branch/{b}" for b in branches)])  # fmt: skip
        vnom_pk = math.sqrt(2.0) * pdu.nominal_voltage_v
        source = f"inlet/{burst.lines[0]}" if len(burst.lines) == 1 else "inlet"
        out = [
            NewEvent(
                pdu_id=pdu.id,
                source=source,
                event_code="SURGE_DETECTED",
                message=(
                    f"{burst.severity} surge on {', '.join(burst.lines)}: peak {burst.peak_v:.0f} V "
                    f"({burst.peak_pu:.2f} × nominal peak, limit {cfg.threshold_pu:g}), "
                    f"{burst.windows} window(s), SPD absorbed ≈{burst.energy_j:.2f} J"
                ),
                severity=_SEVERITY[burst.severity],
                action_taken=Action.NOTIFY,
                reason_code=burst.reason,
                evidence={
                    "value": round(burst.peak_v, 1),
                    "limit": round(cfg.threshold_pu * vnom_pk, 1),
                    "unit": "V",
                    "peak": round(burst.peak_v, 1),
                    "peak_pu": round(burst.peak_pu, 3),
                    "severity": str(burst.severity),
                    "dvdt_v_per_us": round(burst.dvdt_v_per_us, 3),
                    "energy_j": round(burst.energy_j, 4),
                    "spd_energy_j": round(book.energy_j, 4),
                    "lines": ",".join(burst.lines),
                    "branches": ",".join(branches),
                    "windows": burst.windows,
                    "window_s": round(burst.end_s - burst.start_s + pf.block.duration_s, 3),
                },
            )
        ]
        budget = cfg.spd.energy_budget_j
        if book.budget_passed(budget):
            out.append(NewEvent(
                pdu_id=pdu.id, source="inlet/spd", event_code="SPD_END_OF_LIFE",
                message=(f"surge protective device absorbed ≈{book.energy_j:.0f} J of its "
                         f"{budget:g} J budget: replace it"),
                action_taken=Action.NOTIFY, reason_code="SPD_ENERGY_BUDGET",
                evidence={"value": round(book.energy_j, 2), "limit": budget, "unit": "J",
                          "bursts": sum(book.counts.get("inlet", {}).values())},
            ))  # fmt: skip
        return out


def _observe(pf: PduFrame, cfg: SurgeConfig, t_s: float) -> list[SurgeObservation]:
    block = pf.block
    if block.n_samples < 2:
        return []
    vnom_pk = math.sqrt(2.0) * pf.config.nominal_voltage_v
    # fast path: with a peak detector nothing is computed on the samples unless it saw a peak
    # that matters; without one, one reduction over the voltage rows decides
    peaks = block.voltage_peak_v
    if peaks is None:
        peaks = np.abs(block.voltage_v).max(axis=1)
    if float(np.max(peaks)) < min(cfg.threshold_pu, cfg.dvdt_min_pu) * vnom_pk:
        return []
    spd = cfg.spd
    f = surge_features(block.voltage_v, block.sample_rate_hz, cfg.threshold_pu * vnom_pk,
                       clamp_v=spd.clamp_v, clamp_current_a=spd.clamp_current_a, alpha=spd.alpha,
                       pulse_equivalent_s=spd.pulse_equivalent_s, max_current_a=spd.max_current_a,
                       peak_detector_v=block.voltage_peak_v)  # fmt: skip
    out: list[SurgeObservation] = []
    for r, (peak, dvdt, energy) in enumerate(
        zip(f.peak_v.tolist(), f.dvdt_v_per_s.tolist(), f.energy_j.tolist(), strict=True)
    ):
        pu, slope = peak / vnom_pk, dvdt * 1e-6
        if pu >= cfg.threshold_pu:
            reason = "SURGE_PEAK"
        elif slope >= cfg.dvdt_v_per_us and pu >= cfg.dvdt_min_pu:
            reason = "SURGE_DVDT"
        else:
            continue
        out.append(SurgeObservation(t_s, _LINES[r] if r < 3 else f"L{r + 1}", peak, pu, slope,
                                    energy, reason))  # fmt: skip
    return out


def overlay_surges(
    snap: RackSnapshot, books: dict[str, SurgeBook], budget_j: float
) -> RackSnapshot:
    """``snap`` with the surge counters of every PDU that has counted something."""
    changed: dict[str, PduSnapshot] = {}
    for pdu_id, book in books.items():
        ps = snap.pdus.get(pdu_id)
        if ps is None or not book.counts:
            continue

        def counted(x: _T, key: str, book: SurgeBook = book) -> _T:
            c = book.counts.get(key)
            if c is None:
                return x
            return fast_replace(x, surges_minor=c[SurgeSeverity.MINOR],
                                surges_major=c[SurgeSeverity.MAJOR],
                                surges_severe=c[SurgeSeverity.SEVERE])  # fmt: skip

        phases = {ln: counted(r, f"inlet/{ln}") for ln, r in ps.inlet.phases.items()}
        inlet = fast_replace(counted(ps.inlet, "inlet"), phases=phases, spd_energy_j=book.energy_j,
                        spd_life_used_pct=100.0 * book.energy_j / budget_j)  # fmt: skip
        branches = {bid: counted(b, f"branch/{bid}") for bid, b in ps.branches.items()}
        changed[pdu_id] = fast_replace(ps, inlet=inlet, branches=branches)
    return fast_replace(snap, pdus={**snap.pdus, **changed}) if changed else snap
