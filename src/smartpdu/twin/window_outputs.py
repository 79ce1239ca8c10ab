"""What leaves the twin with each window besides the physics: ADC noise, residual currents,
terminal probe readings and the PDU status (relay feedback, breaker aux contacts).

Each piece keeps what it can between windows: the noise is a pre-drawn float32 bank read at a
random offset (no per-window draw of 10⁵ normals), probe readings and status objects are rebuilt
only when what they show changed (immutable, so sharing them between windows is safe).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from smartpdu.hardware.samples import BreakerState, PduStatus, SensorReading
from smartpdu.twin.breakers import PduBreakers
from smartpdu.twin.rack_topology import Topology
from smartpdu.twin.synthesis import SAMPLE_DTYPE, PduWindow

__all__ = [
    "NOISE_I_A",
    "NOISE_V_V",
    "NoiseBank",
    "Residuals",
    "StatusCache",
    "TerminalProbes",
    "residuals",
]

FArray = npt.NDArray[np.float64]
BArray = npt.NDArray[np.bool_]

NOISE_I_A, NOISE_V_V = 0.004, 0.05
"""ADC noise σ on live current and voltage channels."""
_NOISE_BANK = 1 << 17
_OFFSET_BATCH = 512
_PHASORS = np.exp(-2j * math.pi * np.arange(3) / 3)


class NoiseBank:
    """ADC noise from a pre-drawn bank at a random offset; dead channels stay at exactly 0."""

    def __init__(
        self,
        bank_rng: np.random.Generator,
        offset_rng: np.random.Generator,
        largest_block: int = 0,
    ) -> None:
        """``largest_block``: most samples (currents and voltages) of one PDU window; the bank
        holds at least twice that so every window still starts at a random offset."""
        self._size = max(_NOISE_BANK, 2 * largest_block)
        bank = bank_rng.standard_normal(self._size)
        self._i = (bank * NOISE_I_A).astype(SAMPLE_DTYPE)
        self._v = (bank * NOISE_V_V).astype(SAMPLE_DTYPE)
        self._rng = offset_rng
        self._u: list[float] = []

    def _offset(self, span: int) -> int:
        """A uniform offset in ``[0, span)``; the uniforms are drawn in batches (one call each)."""
        if not self._u:
            self._u = self._rng.random(_OFFSET_BATCH).tolist()
        return int(self._u.pop() * span)

    def add(self, w: PduWindow, live: BArray, v_live: bool) -> None:
        ni, nv = w.i.size, w.v.size
        off = self._offset(self._size - ni - nv)
        noise = self._i[off : off + ni].reshape(w.i.shape)
        if live.all():
            w.i += noise
        else:
            dead = (~live).nonzero()[0]
            kept = w.i[dead]  # a few rows: cheaper than a masked add over the whole block
            w.i += noise
            w.i[dead] = kept
        if v_live:
            w.v += self._v[off + ni : off + ni + nv].reshape(w.v.shape)


class Residuals:
    """Residual currents per PDU, recomputed only when the leakage currents changed.

    The arrays handed out are read-only: the same one goes with every window until it changes.
    """

    def __init__(self, topo: Topology) -> None:
        self._topo = topo
        self._last: list[tuple[bytes, FArray] | None] = [None] * len(topo.pdu_ids)

    def of(self, p: int, leak: FArray) -> FArray:
        key = leak.tobytes()
        hit = self._last[p]
        if hit is not None and hit[0] == key:
            return hit[1]
        out = residuals(self._topo, p, leak)
        out.flags.writeable = False
        self._last[p] = (key, out)
        return out


def residuals(topo: Topology, p: int, leak: FArray) -> FArray:
    """Residual current (mA) of PDU ``p``: the inlet's vector sum, then each RCBO branch, then
    (with per-outlet monitors) each outlet — the sum of its PSUs' protective-conductor currents.

    Leakage currents of PSUs on one phase add (same phase angle); the inlet toroid sees the
    phasor sum over the three phases."""
    psus = topo.psus_of_pdu[p]
    by_phase = np.bincount(topo.psu_phase[psus], weights=leak[psus], minlength=3)
    n_rcbo = len(topo.rcbo_branches[p])
    o0, o1 = topo.out_slice[p]
    n_out = o1 - o0 if topo.rcm_outlets[p] else 0
    out = np.empty(1 + n_rcbo + n_out)
    out[0] = abs(np.dot(by_phase, _PHASORS))
    for k, b in enumerate(topo.rcbo_branches[p]):
        out[1 + k] = leak[topo.psus_of_branch[b]].sum()
    if n_out:
        out[1 + n_rcbo :] = np.bincount(
            topo.psu_outlet[psus] - o0, weights=leak[psus], minlength=n_out
        )
    return out


class TerminalProbes:
    """Terminal temperatures at the probes' 0.01 °C resolution; unchanged readings reused."""

    def __init__(self, ids: list[str]) -> None:
        self._ids = ids
        self._shown = np.full(len(ids), np.nan)
        self._readings = [SensorReading(sid, "terminal_temperature", None, "degC") for sid in ids]

    def read(self, temps_c: FArray) -> tuple[SensorReading, ...]:
        temps = np.round(temps_c, 2)
        diff = temps != self._shown
        if diff.any():
            changed = diff.nonzero()[0]
            for k, v in zip(changed.tolist(), temps[changed].tolist(), strict=True):
                self._readings[k] = SensorReading(self._ids[k], "terminal_temperature", v, "degC")
            self._shown = temps
        return tuple(self._readings)


class StatusCache:
    """One :class:`PduStatus` per PDU, rebuilt only when a relay, breaker or feed changed."""

    def __init__(self, topo: Topology) -> None:
        self._topo = topo
        self._last: list[tuple[bytes, PduStatus] | None] = [None] * len(topo.pdu_ids)

    def status(
        self,
        p: int,
        present: bool,
        breakers: PduBreakers,
        closed: BArray,
        cycles: npt.NDArray[np.int64],
    ) -> PduStatus:
        """Status of PDU ``p``; ``closed``/``cycles`` are its slice of the relay arrays."""
        devices = [breakers.inlet, *breakers.branches]
        key = b"%d" % present + bytes(b.closed for b in devices) + closed.tobytes()
        key += cycles.tobytes()
        hit = self._last[p]
        if hit is not None and hit[0] == key:
            return hit[1]
        ids = self._topo.outlet_ids[p]
        status = PduStatus(
            pdu_id=self._topo.pdu_ids[p],
            feed_present=present,
            relay_closed=dict(zip(ids, closed.tolist(), strict=True)),
            breakers={
                b.breaker_id: BreakerState.CLOSED if b.closed else BreakerState.TRIPPED
                for b in devices
            },
            relay_cycles=dict(zip(ids, cycles.tolist(), strict=True)),
        )
        self._last[p] = (key, status)
        return status
