"""Sample synthesis of one window: harmonic vectors in, float32 sample rows out.

Every twin waveform is ``Im Σ C_h e^{jhθ}`` over the feed's phase angle (``supply``), so a whole
PDU's outlet currents are one matrix product: the (outlets × 2H) real coefficient rows
``[Re C, Im C]`` times the feed's (2H × n) basis. Three things keep that cheap:

- **float32 samples.** The ADC noise floor (4 mA, 50 mV) is 10⁴ times the float32 rounding of the
  largest sample (≈ 2 µA at 32 A peak); a real 24-bit front end delivers no more. The product runs
  as a single-precision GEMM, and every later pass (sums, rms, noise) moves half the bytes.
- **cached tables.** The float32 basis is converted once per feed frequency (the supply caches the
  float64 basis until the frequency random walk steps, once a second) and dropped when it changes.
- **preallocated coefficient rows.** One (outlets × 2H) array per PDU is rewritten in place each
  window; outlets with nothing plugged in keep zero rows, so the product writes the whole outlet
  block at once (no scatter, no zero fill). The sample arrays themselves are fresh per window:
  they leave with the acquisition, and a consumer may keep them (waveform captures).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from smartpdu.twin.psu import PsuBank
from smartpdu.twin.rack_topology import Topology
from smartpdu.twin.supply import HARMONICS, N_HARMONICS, Supply

__all__ = [
    "SAMPLE_DTYPE",
    "PduWindow",
    "Synthesizer",
    "add_inrush",
    "harmonic_table",
    "real_rows",
]

SAMPLE_DTYPE = np.float32
"""Dtype of every sample array the twin delivers (see module doc for the error budget)."""

FArray = npt.NDArray[np.float64]
SArray = npt.NDArray[np.float32]
CArray = npt.NDArray[np.complex128]
_SQRT2 = math.sqrt(2.0)


@dataclass(slots=True)
class PduWindow:
    """Arrays of one PDU for the window being built (current rows as in ``SampleBlock``)."""

    basis: SArray
    rot: CArray
    """Start-phase rotation ``e^{jhθ0}`` of this window's feed."""
    v: SArray
    i: SArray
    fs: float
    env: FArray | None
    dirty: bool = False
    ms: FArray | None = None
    """Mean square of every current row as the breakers saw it; ``None`` once rows changed."""

    def samples(self, c: CArray, start: int = 0) -> FArray:
        """Samples from ``start`` of the waveform with harmonic vector ``c`` (θ0-relative)."""
        row = real_rows(c * self.rot).astype(SAMPLE_DTYPE)
        return (row @ self.basis[:, start:]).astype(np.float64)


def _odd_powers(z: CArray) -> CArray:
    """Rows ``z^h`` for every h in :data:`HARMONICS` (1, 3, 5, ...), by doubling: rows
    ``z^1..z^(2k-1)`` times ``z^(2k)`` give the next k rows (log2(H) products, not H)."""
    out = np.empty((N_HARMONICS, len(z)), dtype=np.complex128)
    out[0] = z
    step = z * z
    k = 1
    while k < N_HARMONICS:
        m = min(k, N_HARMONICS - k)
        np.multiply(out[:m], step, out=out[k : k + m])
        step = step * step
        k += m
    return out


def real_rows(c: CArray) -> FArray:
    """Coefficient rows for :func:`harmonic_table`: ``Re C_h, Im C_h`` interleaved per harmonic.

    ``x = Im Σ C_h e^{jhθ} = Σ Re C_h·sin hθ + Im C_h·cos hθ``, so the rows are the complex
    array's own memory viewed as float64 — no copy.
    """
    c = np.ascontiguousarray(c)
    return c.view(np.float64)


def harmonic_table(freq_hz: float, fs: float, n: int, block: int) -> SArray:
    """The (2H × n) basis ``sin h₁θ, cos h₁θ, sin h₂θ, cos h₂θ, ...``, θ = 2π·f·k/fs, float32.

    Rows interleaved per harmonic so that a complex coefficient array is its own real coefficient
    row (:func:`real_rows`). Same values as :meth:`Supply.basis` (whose rows are all sines then
    all cosines) to float32 rounding, at a fraction of the cost: with
    ``k = block·c + r`` the angle addition theorem turns every row into products of two short
    tables, ``sin h(θc+θr) = sin hθr·cos hθc + cos hθr·sin hθc`` — one batched (H × 2C × 2) @
    (H × 2 × block) product instead of n complex exponentials and H·n complex products.
    """
    if n % block:
        block = n  # one block: the short table is the whole window
    w = 2.0 * math.pi * freq_hz / fs
    nb = n // block
    zr = _odd_powers(np.exp(1j * w * np.arange(block)))
    zc = _odd_powers(np.exp(1j * (w * block) * np.arange(nb)))
    rows = np.empty((N_HARMONICS, 2, block))
    rows[:, 0], rows[:, 1] = zr.imag, zr.real
    mix = np.empty((N_HARMONICS, 2 * nb, 2))
    mix[:, :nb, 0], mix[:, :nb, 1] = zc.real, zc.imag  # sin(a+b) = sin a·cos b + cos a·sin b
    mix[:, nb:, 0], mix[:, nb:, 1] = -zc.imag, zc.real  # cos(a+b) = cos a·cos b − sin a·sin b
    prod = np.matmul(mix, rows)  # (H, 2C, block): C sine blocks, then C cosine blocks
    return prod.reshape(2 * N_HARMONICS, n).astype(SAMPLE_DTYPE)


class Synthesizer:
    """Turns per-outlet harmonic vectors into the current and voltage sample rows of each PDU."""

    def __init__(self, topo: Topology, supply: Supply) -> None:
        self._topo = topo
        self._supply = supply
        n_pdu = len(topo.pdu_ids)
        self._coef = [
            np.zeros((o1 - o0, 2 * N_HARMONICS), dtype=SAMPLE_DTYPE) for o0, o1 in topo.out_slice
        ]
        self._vcoef = [np.empty((ph, 2 * N_HARMONICS), dtype=SAMPLE_DTYPE) for ph in topo.phases]
        self._tables: dict[str, tuple[tuple[float, float], SArray]] = {}
        self._vshape: list[tuple[CArray, CArray] | None] = [None] * n_pdu

    def basis(self, p: int) -> SArray:
        """The float32 basis of PDU ``p``'s feed at its current frequency (cached until it moves)."""
        topo = self._topo
        feed, n, fs = topo.pdu_feed[p], topo.n[p], topo.fs[p]
        freq = self._supply.frequency_hz(feed, topo.nominal_hz[p])
        key = f"{feed}/{n}"
        hit = self._tables.get(key)
        if hit is not None and hit[0] == (freq, fs):
            return hit[1]
        table = harmonic_table(freq, fs, n, topo.spc[p])
        table.flags.writeable = False
        self._tables[key] = ((freq, fs), table)
        return table

    def currents(self, p: int, c_out: CArray, rot: CArray, basis: SArray) -> SArray:
        """Fresh (channels × n) current rows of PDU ``p``: outlet rows synthesised, sums unset.

        ``c_out``: harmonic vector per global outlet (θ0-relative); ``rot``: the window's start
        rotation of the PDU's feed; ``basis``: :meth:`basis` of the PDU.
        """
        topo = self._topo
        o0 = topo.out_slice[p][0]
        used = topo.used_outlets[p]
        coef = self._coef[p]
        coef[used] = real_rows(c_out[o0 + used] * rot)
        i = np.empty((topo.n_channels[p], topo.n[p]), dtype=SAMPLE_DTYPE)
        np.matmul(coef, basis, out=i[topo.row_outlets[p] :])
        return i

    def voltages(self, p: int, harmonics: CArray, rot: CArray, basis: SArray) -> SArray:
        """Fresh (phases × n) line-to-neutral voltage rows of PDU ``p`` at nominal level."""
        topo = self._topo
        shape = self._vshape[p]
        if shape is None or shape[0] is not harmonics:  # fixed per feed: cache the phase table
            scaled = harmonics * topo.v_rot[p] * (_SQRT2 * topo.vnom[p])
            self._vshape[p] = shape = (harmonics, scaled)
        vc = self._vcoef[p]
        vc[:] = real_rows(shape[1] * rot)
        v = np.empty((topo.phases[p], topo.n[p]), dtype=SAMPLE_DTYPE)
        np.matmul(vc, basis, out=v)
        return v


def add_inrush(
    wins: list[PduWindow],
    topo: Topology,
    bank: PsuBank,
    coef: CArray,
    angle: FArray,
    pulse: CArray,
    rot: CArray,
    t0: float,
) -> None:
    """Add the capacitor-charging pulses and the soft-start of PSUs whose input just came on.

    ``coef``: each PSU's steady harmonic vector; ``angle``: phase shift per (PDU, phase) (lost
    neutral); ``pulse``: the unit-peak pulse template; ``rot``: each PSU's phase rotation.
    """
    for j in bank.inrush_active(t0):
        p = int(topo.psu_pdu[j])
        w = wins[p]
        tau = float(bank.inrush_tau_s[j])
        t_rel = (t0 - float(bank.inrush_start_s[j])) + np.arange(topo.n[p]) / w.fs
        decay = np.exp(-t_rel / tau)
        wave = w.samples(pulse * rot[j] * np.exp(1j * HARMONICS * angle[p, topo.psu_phase[j]]))
        if math.isnan(bank.inrush_amp_a[j]):
            first = np.abs(wave * decay)[: topo.spc[p]]
            bank.inrush_amp_a[j] = float(bank.inrush_peak_a[j]) / float(first.max())
        steady = w.samples(coef[j])
        row = topo.row_outlets[p] + int(topo.psu_outlet[j]) - topo.out_slice[p][0]
        w.i[row] += (float(bank.inrush_amp_a[j]) * wave - steady) * decay
