"""Breakers acting inside a window: channel sums, branch then inlet trips, PSU failover.

Branch, phase and neutral rows are sums of outlet rows (0/1 summing matrices, float32 like the
samples). Branch breakers are stepped first; a trip zeroes its branch and outlets from the
instant the contacts open. The phase sums follow, then the inlet MCCB, whose trip zeroes the
whole PDU. From each cut instant the surviving PSUs of an affected device carry its whole load
(:meth:`WindowProtection.failover`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from smartpdu.twin.breakers import PduBreakers, Trip
from smartpdu.twin.psu import PsuBank
from smartpdu.twin.rack_topology import Topology
from smartpdu.twin.sample_stats import mean_square, row_peak
from smartpdu.twin.synthesis import SAMPLE_DTYPE, PduWindow

__all__ = ["TripLogger", "WindowProtection"]

FArray = npt.NDArray[np.float64]
BArray = npt.NDArray[np.bool_]
CArray = npt.NDArray[np.complex128]
TripLogger = Callable[[int, Trip, float], None]
"""Called with (PDU index, trip, window start) for every trip."""


class WindowProtection:
    """Steps one rack's breakers on each window's samples and applies what they cut."""

    def __init__(
        self,
        topo: Topology,
        breakers: list[PduBreakers],
        lost_neutral: BArray,
        log_trip: TripLogger,
    ) -> None:
        self._topo = topo
        self._breakers = breakers
        self._lost_neutral = lost_neutral
        """Shared with the twin (flags set by injections)."""
        self._log_trip = log_trip
        self.tripped = False
        """Whether a breaker opened in the last :meth:`protect`."""
        self._branch_of_outlet = [m.astype(SAMPLE_DTYPE) for m in topo.branch_of_outlet]
        self._phase_of_branch = [m.astype(SAMPLE_DTYPE) for m in topo.phase_of_branch]

    def protect(
        self, wins: list[PduWindow], leak: FArray, t0: float, dt: float
    ) -> dict[int, float]:
        """Step branch then inlet breakers; zero what they cut. Returns cut time per PSU."""
        topo = self._topo
        cut_s: dict[int, float] = {}
        self.tripped = False
        branch_leak = np.bincount(
            topo.out_branch[topo.psu_outlet], weights=leak, minlength=topo.n_branches
        ).astype(np.float64)
        for p, w in enumerate(wins):
            rb, ro = topo.row_branches[p], topo.row_outlets[p]
            nb = ro - rb
            b0 = topo.branch_slice[p][0]
            breakers = self._breakers[p]
            self.sums(p, w)
            # one pass for every row's mean square (the breakers' rms, the terminals' I²R later)
            # and one for the peaks of phases, neutral and branches
            w.ms = mean_square(w.i)
            peak = row_peak(w.i[:ro])
            trips = breakers.step_branches(
                w.i[rb:ro],
                branch_leak[b0 : b0 + nb],
                w.fs,
                dt,
                ms=w.ms[rb:ro],
                peak_a=peak[rb:ro],
            )
            for k, trip in trips:
                rows = ro + topo.outlets_of_branch[p][k]
                w.i[rows, trip.cut :] = 0.0
                w.i[rb + k, trip.cut :] = 0.0
                for j in topo.psus_of_branch[b0 + k]:
                    cut_s[int(j)] = trip.cut / w.fs
                self._log_trip(p, trip, t0)
            if trips:  # the phase and neutral rows change from the cut on
                self.phase_sums(p, w)
                w.ms = mean_square(w.i)
                peak = row_peak(w.i[:ro])
            nph = topo.phases[p]
            trip_in = breakers.step_inlet(
                w.i[:nph], w.i[nph], w.fs, dt, ms=w.ms[: nph + 1], peak_a=peak[:nph]
            )
            if trip_in is not None:
                w.ms = None
                w.i[:, trip_in.cut :] = 0.0
                w.v[:, trip_in.cut :] = 0.0
                for j in topo.psus_of_pdu[p]:
                    cut_s[int(j)] = min(cut_s.get(int(j), math.inf), trip_in.cut / w.fs)
                self._log_trip(p, trip_in, t0)
            self.tripped |= bool(trips) or trip_in is not None
        return cut_s

    def sums(self, p: int, w: PduWindow) -> None:
        """Branch rows from the outlet rows, then phase and neutral rows."""
        topo = self._topo
        rb, ro = topo.row_branches[p], topo.row_outlets[p]
        np.matmul(self._branch_of_outlet[p], w.i[ro:], out=w.i[rb:ro])
        self.phase_sums(p, w)

    def phase_sums(self, p: int, w: PduWindow) -> None:
        """Phase rows from the branch rows; the neutral carries their sum (0 if it is lost)."""
        topo = self._topo
        nph, rb, ro = topo.phases[p], topo.row_branches[p], topo.row_outlets[p]
        np.matmul(self._phase_of_branch[p], w.i[rb:ro], out=w.i[:nph])
        if self._lost_neutral[p]:
            w.i[:nph] -= w.i[:nph].mean(axis=0)
            w.i[nph] = 0.0
        else:
            np.sum(w.i[:nph], axis=0, out=w.i[nph])

    def failover(
        self,
        wins: list[PduWindow],
        coef: CArray,
        psus: PsuBank,
        shares: FArray,
        cut_s: dict[int, float],
        alive_end: BArray,
    ) -> None:
        """From each cut instant, the surviving PSUs of the device carry its whole load."""
        topo = self._topo
        for j in cut_s:
            alive_end[j] = False
        new_shares = psus.shares(alive_end)
        devices = {int(topo.psu_device[j]) for j in cut_s}
        for d in devices:
            t_cut = min(cut_s[j] for j in cut_s if topo.psu_device[j] == d)
            for jj in np.flatnonzero((topo.psu_device == d) & alive_end):
                j = int(jj)
                if shares[j] <= 0.0:
                    continue
                p = int(topo.psu_pdu[j])
                w = wins[p]
                c = min(topo.n[p], math.ceil(t_cut * w.fs))
                extra = (new_shares[j] / shares[j] - 1.0) * coef[j]
                row = topo.row_outlets[p] + int(topo.psu_outlet[j]) - topo.out_slice[p][0]
                w.i[row, c:] += w.samples(extra, c)
                w.dirty = True
        for p, w in enumerate(wins):
            if w.dirty:
                self.sums(p, w)
                w.ms = None
