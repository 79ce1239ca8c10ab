"""The twin's transient injections of a window: surges on feeds, arcing terminals, look-alikes.

Held by the rack twin and applied to the freshly synthesised window before the breakers see it
(so branch and phase sums carry the arc's and the motor's currents). Nothing here runs while no
injection is active: the rack's normal windows pay one empty-list check.
"""

from __future__ import annotations

import math

import numpy as np

from smartpdu.twin.arcing import ArcFault, LookAlike, apply_arc, apply_look_alike
from smartpdu.twin.physical_log import TwinEvent
from smartpdu.twin.rack_topology import Topology
from smartpdu.twin.surge import Pulse, pulse_energy_j
from smartpdu.twin.synthesis import PduWindow

__all__ = ["Transients"]

_PHASE_ROW = {"L1": 0, "L2": 1, "L3": 2}


class Transients:
    """Active surges, arcs and look-alikes of one rack twin."""

    def __init__(self, topo: Topology, rng: np.random.Generator) -> None:
        self._topo = topo
        self._rng = rng
        self._pulses: list[Pulse] = []
        self._arcs: dict[int, ArcFault] = {}
        self._alikes: dict[int, LookAlike] = {}

    @property
    def active(self) -> bool:
        return bool(self._pulses or self._arcs or self._alikes)

    # ---- injections (take effect from the next window) -----------------------------------
    def surge(
        self,
        now_s: float,
        window_s: float,
        feed: str,
        phase: str,
        peak_v: float,
        let_through_v: float,
        rise_s: float,
        duration_s: float,
        count: int,
        interval_s: float,
    ) -> None:
        rows = None if phase == "all" else (_PHASE_ROW[phase],)
        start = now_s + float(self._rng.uniform(0.05, 0.95)) * window_s
        for j in range(count):
            self._pulses.append(Pulse(feed, rows, start + j * interval_s, peak_v, rise_s,
                                      duration_s, let_through_v))  # fmt: skip

    def arcing(self, outlet: int, intensity: float, until_s: float) -> None:
        if intensity <= 0.0:
            self._arcs.pop(outlet, None)
        else:
            self._arcs[outlet] = ArcFault(outlet, intensity, until_s)

    def look_alike(self, la: LookAlike) -> None:
        if la.kind == "none":
            self._alikes.pop(la.outlet, None)
        else:
            self._alikes[la.outlet] = la

    # ---- one window ------------------------------------------------------------------------
    def apply_currents(self, wins: list[PduWindow], t0: float) -> None:
        """Arcs and look-alikes on their outlet rows (before the breakers see the window)."""
        topo = self._topo
        self._alikes = {k: la for k, la in self._alikes.items() if la.until_s > t0}
        self._arcs = {k: a for k, a in self._arcs.items() if a.until_s > t0}
        for k, la in self._alikes.items():
            if la.start_s <= t0:
                p, row = self._row(k)
                apply_look_alike(wins[p].i[row], t0, wins[p].fs, topo.spc[p], la)
        for k, arc in self._arcs.items():
            p, row = self._row(k)
            vpk = math.sqrt(2.0) * float(topo.vnom[p])
            apply_arc(wins[p].i[row], wins[p].fs, float(topo.nominal_hz[p]), vpk, arc.intensity,
                      self._rng)  # fmt: skip

    def apply_surges(
        self, wins: list[PduWindow], t0: float, dt: float, live: list[bool]
    ) -> tuple[list[dict[int, float]], list[TwinEvent]]:
        """Clamped pulses on the voltage rows of live PDUs; (true peaks per PDU, log entries)."""
        topo = self._topo
        peaks: list[dict[int, float]] = [{} for _ in wins]
        log: list[TwinEvent] = []
        for pulse in self._pulses:
            if pulse.start_s >= t0 + dt:
                continue
            for p, w in enumerate(wins):
                if topo.pdu_feed[p] != pulse.feed or not live[p]:
                    continue
                first = t0 <= pulse.start_s < t0 + dt
                before = w.v.astype(np.float64) if first else None
                for r, pk in pulse.apply(w.v, t0, w.fs).items():
                    peaks[p][r] = max(peaks[p].get(r, 0.0), pk)
                if before is not None:
                    t_rel = t0 + np.arange(w.v.shape[1]) / w.fs - pulse.start_s
                    rows = range(w.v.shape[0]) if pulse.phases is None else pulse.phases
                    for r in rows:
                        if r >= w.v.shape[0]:
                            continue
                        top, energy = pulse_energy_j(t_rel, before[r], pulse.peak_v,
                                                     pulse.rise_s, pulse.duration_s,
                                                     pulse.clamp_v)  # fmt: skip
                        log.append(TwinEvent(pulse.start_s, "surge_let_through",
                                             f"{topo.pdu_ids[p]}/inlet/L{r + 1}",
                                             {"open_circuit_v": pulse.peak_v,
                                              "let_through_v": round(top, 1),
                                              "energy_j": round(energy, 4)}))  # fmt: skip
        self._pulses = [q for q in self._pulses if q.end_s >= t0 + dt]
        return peaks, log

    def _row(self, k: int) -> tuple[int, int]:
        topo = self._topo
        p = int(topo.out_pdu[k])
        return p, topo.row_outlets[p] + k - topo.out_slice[p][0]
