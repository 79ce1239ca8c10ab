"""One measurement window: vectorised DSP from raw samples to per-channel metrics.

Method (see docs/metering.md for the error budget):

1. The fundamental frequency f is measured from the voltage (zero-crossing regression).
2. All voltage and current rows are multiplied by a 4-term Blackman-Harris window into one stacked
   block and transformed with a single batched ``rfft``. The window makes the estimates
   independent of how many (fractional) cycles the block holds, so no time-domain resampling is
   needed: the spectrum is *frequency-tracked* instead — harmonic group h is summed over the bins
   within ±f/2 of h·f of the measured f.
3. Everything else comes from that one spectrum: RMS from the windowed Parseval sum
   (Σw²x² / Σw²), P from the full cross-spectrum (one small matmul against the voltage rows), Q1
   and cos φ from the fundamental group, harmonics and THD (orders 2–50) from group energies (one
   ``take`` + one batched matmul), harmonic phases from the bins nearest h·f — computed only when
   ``phase_deg`` is read.
4. Calibration is applied in the spectrum: offset on the four DC bins of the window, phase as a
   per-bin phasor rotation (a fractional delay; only the current-vs-voltage difference touches
   every bin, the rest is applied to the few bins that carry phases), gain on the results.

The only passes over all samples are: argmax/argmin (peaks, clipping; ``extremes``), the window multiply, the
``rfft``, one squaring of the spectrum and the group gather; the rest works on small arrays.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from smartpdu.metering.calibration import CalibrationArrays, CalibrationSet, voltage_channel_name
from smartpdu.metering.extremes import extremes
from smartpdu.metering.flags import QualityFlag, flag_names
from smartpdu.metering.frequency import estimate_frequency
from smartpdu.metering.spectrum import MAIN_LOBE_BINS, group_plan, window

__all__ = [
    "MAX_ORDER",
    "METRIC_FIELDS",
    "Harmonics",
    "WindowMetrics",
    "measure_window",
    "nominal_cycles",
]

MAX_ORDER = 50

FloatArray = npt.NDArray[np.float64]
ComplexArray = npt.NDArray[np.complex128]


def nominal_cycles(nominal_hz: float) -> int:
    """Cycles per IEC 61000-4-30 window: 10 at 50 Hz, 12 at 60 Hz."""
    return 12 if nominal_hz > 55.0 else 10


class Harmonics:
    """Harmonic group rms and phase per order 1..50 (column 0 is the fundamental).

    Phases are in degrees relative to the fundamental of the channel's phase voltage, shifted per
    order (θ_h − h·θ_V1), so they do not depend on where the window started. The DSP passes them
    lazily (``phase_source``): most consumers only read magnitudes, and the arctangents of every
    order of every channel would cost as much as the rest of the harmonic analysis.
    """

    __slots__ = ("_phase_deg", "_phase_source", "magnitude")

    def __init__(
        self,
        magnitude: FloatArray,
        phase_deg: FloatArray | None = None,
        *,
        phase_source: Callable[[], FloatArray] | None = None,
    ) -> None:
        if (phase_deg is None) == (phase_source is None):
            raise ValueError("give exactly one of phase_deg and phase_source")
        self.magnitude = magnitude
        self._phase_deg = phase_deg
        self._phase_source = phase_source

    @property
    def phase_deg(self) -> FloatArray:
        if self._phase_deg is None:
            assert self._phase_source is not None
            self._phase_deg = self._phase_source()
            self._phase_source = None
        return self._phase_deg

    def to_dict(self) -> dict[str, Any]:
        return {"magnitude": _clean(self.magnitude), "phase_deg": _clean(self.phase_deg)}

    def __repr__(self) -> str:
        return f"Harmonics(magnitude=<{self.magnitude.shape}>)"


METRIC_FIELDS: tuple[str, ...] = (
    "v_rms_v",
    "i_rms_a",
    "p_w",
    "q1_var",
    "s_va",
    "pf",
    "cos_phi",
    "thd_u_pct",
    "thd_i_pct",
    "crest_factor",
    "i_peak_a",
    "frequency_hz",
)
"""The scalar per-channel metrics of :class:`WindowMetrics`, in a stable order."""


@dataclass(frozen=True, slots=True)
class WindowMetrics:
    """Per-channel results of one window; every field is an array over channels."""

    v_rms_v: FloatArray
    i_rms_a: FloatArray
    p_w: FloatArray
    q1_var: FloatArray
    s_va: FloatArray
    pf: FloatArray
    cos_phi: FloatArray
    thd_u_pct: FloatArray
    thd_i_pct: FloatArray
    crest_factor: FloatArray
    i_peak_a: FloatArray
    frequency_hz: FloatArray
    harmonics_v: Harmonics
    harmonics_i: Harmonics
    flags: npt.NDArray[np.int64]
    duration_s: float = 0.0
    """Length of the window the values describe (energy = p_w · duration_s)."""

    @property
    def n_channels(self) -> int:
        return int(self.i_rms_a.shape[0])

    def to_dict(self) -> dict[str, Any]:
        """Plain lists (NaN → None), flags as lists of names: ready for JSON."""
        out: dict[str, Any] = {}
        for name in METRIC_FIELDS:
            out[name] = _clean(getattr(self, name))
        out["harmonics_v"] = self.harmonics_v.to_dict()
        out["harmonics_i"] = self.harmonics_i.to_dict()
        out["flags"] = [flag_names(m) for m in self.flags]
        out["duration_s"] = self.duration_s
        return out


def _clean(a: FloatArray) -> Any:
    arr = np.asarray(a, dtype=np.float64)
    out = arr.astype(object)
    out[~np.isfinite(arr)] = None
    return out.tolist()


def measure_window(
    voltage: npt.ArrayLike,
    current: npt.ArrayLike,
    sample_rate_hz: float,
    nominal_hz: float,
    calibration: CalibrationSet | CalibrationArrays | None = None,
    *,
    channel_phase: npt.ArrayLike | None = None,
    channel_names: tuple[str, ...] | None = None,
    low_current_a: float = 0.005,
    low_voltage_v: float = 10.0,
) -> WindowMetrics:
    """Measure one window of samples.

    ``voltage`` is (n,) or (phases, n); ``current`` is (channels, n). Current channel k is paired
    with voltage row ``channel_phase[k]`` (default: row k if there are as many voltage rows as
    currents, else row 0). A ``CalibrationSet`` is looked up by ``channel_names`` (default
    ``current/<k>``) and ``voltage/L<row+1>``.
    """
    v = np.atleast_2d(np.asarray(voltage))
    i = np.atleast_2d(np.asarray(current))
    if v.shape[-1] != i.shape[-1]:
        raise ValueError(f"voltage has {v.shape[-1]} samples but current has {i.shape[-1]}")
    n_v, n_i = v.shape[0], i.shape[0]
    if channel_phase is None:
        phase = np.arange(n_i) if n_v == n_i else np.zeros(n_i, dtype=np.intp)
    else:
        phase = np.asarray(channel_phase, dtype=np.intp)
        if phase.shape != (n_i,) or (n_i and (phase.min() < 0 or phase.max() >= n_v)):
            raise ValueError("channel_phase must give a valid voltage row for every channel")
    if isinstance(calibration, CalibrationSet):
        names = channel_names or tuple(f"current/{k}" for k in range(n_i))
        cal: CalibrationArrays | None = calibration.arrays(
            [voltage_channel_name(r) for r in range(n_v)], names
        )
    else:
        cal = calibration
    return _measure(
        np.ascontiguousarray(v),
        np.ascontiguousarray(i),
        phase,
        float(sample_rate_hz),
        float(nominal_hz),
        cal,
        low_current_a,
        low_voltage_v,
    )


@dataclass(frozen=True, slots=True)
class _Workspace:
    time: FloatArray  # (rows, n) windowed samples, voltage rows first
    spec: ComplexArray  # (bins, rows): bins along axis 0 so groups are runs of whole rows
    sq: FloatArray  # (_FRONT + bins + pad, 2·rows) squared re/im parts; pad rows stay zero


_workspaces = threading.local()
_FRONT = 32  # zero rows before bin 0 in ``sq`` so group windows may start "below" DC


def _workspace(n_v: int, n_i: int, n: int, sq_rows: int) -> _Workspace:
    """Reuse large scratch arrays per thread: fresh 0.5 MB arrays cost page faults every window."""
    cache: dict[tuple[int, int, int], _Workspace] = _workspaces.__dict__.setdefault("c", {})
    key = (n_v, n_i, n)
    ws = cache.get(key)
    if ws is None or ws.sq.shape[0] < _FRONT + sq_rows:
        if len(cache) > 8:
            cache.clear()
        nb = n // 2 + 1
        r = n_v + n_i
        ws = _Workspace(
            time=np.empty((r, n)),
            spec=np.empty((nb, r), dtype=np.complex128),
            sq=np.zeros((_FRONT + max(sq_rows, nb + nb // 8), 2 * r)),
        )
        cache[key] = ws
    return ws


@lru_cache(maxsize=32)
def _rotation(phase_deg: bytes, nb: int, bin_per_nominal: float) -> ComplexArray:
    """(bins, channels) phasors advancing each column by its delay (phase at nominal × f/f_nom);
    cached because coefficients and block geometry rarely change between windows."""
    ph = np.deg2rad(np.frombuffer(phase_deg, dtype=np.float64))
    rot = np.exp(1j * (np.arange(nb) * bin_per_nominal)[:, None] * ph[None, :])
    rot.setflags(write=False)
    return rot


@lru_cache(maxsize=32)
def _pair_index(phase: bytes, n_i: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Flat indices into the (2·voltages, 2·currents) re/im cross matrix of Re·Re and Im·Im for
    each current channel and its phase voltage."""
    p = np.frombuffer(phase, dtype=np.intp)
    c = np.arange(p.size)
    rr = (2 * p) * (2 * n_i) + 2 * c
    return rr, rr + 2 * n_i + 1


_ORDERS = np.arange(1, MAX_ORDER + 1)
_CLIPPING = int(QualityFlag.CLIPPING)
_LOW_SIGNAL = int(QualityFlag.LOW_SIGNAL)
_CAL_DEGRADED = int(QualityFlag.CALIBRATION_DEGRADED)
_SQRT_HALF = math.sqrt(0.5)


class _Phases:
    """Harmonic phases from the gathered bins, computed on first use and shared by V and I."""

    __slots__ = ("_bins", "_fix", "_n_v", "_phase", "_result", "_v_delay")

    def __init__(
        self,
        bins: ComplexArray,
        fix: tuple[npt.NDArray[np.intp], float, float],
        v_delay_deg: FloatArray | None,
        n_v: int,
        phase: npt.NDArray[np.intp],
    ) -> None:
        self._bins = bins  # (orders, rows), currents already rotated into their voltage's frame
        self._fix = fix  # (bin of each order, bins per cycle, bins per nominal cycle)
        self._v_delay = v_delay_deg
        self._n_v = n_v
        self._phase = phase
        self._result: tuple[FloatArray, FloatArray] | None = None

    def _compute(self) -> tuple[FloatArray, FloatArray]:
        if self._result is None:
            kb, cycles, bin_per_nominal = self._fix
            orders = np.arange(1, kb.size + 1)
            fix = (np.pi * (kb - orders * cycles))[:, None]  # window's linear phase
            if self._v_delay is not None:  # absolute delay of the voltage (currents follow it)
                delay = np.deg2rad(np.concatenate((self._v_delay, self._v_delay[self._phase])))
                fix = fix + (kb * bin_per_nominal)[:, None] * delay
            ang = (np.angle(self._bins) + fix).T  # (rows, orders)
            ang_v = ang[: self._n_v]
            shift = orders * ang_v[:, :1]
            self._result = (
                _wrap_deg(ang_v - shift)[self._phase],
                _wrap_deg(ang[self._n_v :] - shift[self._phase]),
            )
        return self._result

    def voltage(self) -> FloatArray:
        return self._compute()[0]

    def current(self) -> FloatArray:
        return self._compute()[1]


def _measure(
    v: npt.NDArray[Any],
    i: npt.NDArray[Any],
    phase: npt.NDArray[np.intp],
    fs: float,
    nominal_hz: float,
    cal: CalibrationArrays | None,
    low_current_a: float,
    low_voltage_v: float,
) -> WindowMetrics:
    n_v, n = v.shape
    n_i = i.shape[0]
    rows = n_v + n_i
    nb = n // 2 + 1
    w, s2, dc_bins = window(n)

    # 1. time domain: extremes (peaks, clipping, strongest voltage), frequency, windowing
    ext, flat = extremes(v, i)  # [v max | v min | i max | i min]
    ref_row = int(np.argmax(ext[:n_v] - ext[n_v : 2 * n_v])) if n_v > 1 else 0
    f = estimate_frequency(v[ref_row], fs, nominal_hz)
    const_flags = 0
    if not math.isfinite(f):
        const_flags |= QualityFlag.NO_FREQUENCY
        f_groups = nominal_hz
    else:
        f_groups = f
    df = fs / n  # bin spacing
    cycles = f_groups / df
    if cycles < 2 * MAIN_LOBE_BINS:
        const_flags |= QualityFlag.SHORT_WINDOW
    plan = group_plan(cycles, MAX_ORDER, nb, _FRONT)
    ws = _workspace(n_v, n_i, n, plan.rows_needed)
    np.multiply(v, w, out=ws.time[:n_v])
    np.multiply(i, w, out=ws.time[n_v:])

    # 2. one batched rfft of every row (float64: the fast path of pocketfft)
    spec = ws.spec
    np.fft.rfft(ws.time, axis=-1, out=spec.T)
    v_delay = None
    if cal is not None:
        m = min(4, nb)
        if cal.v_offset.any():
            spec[:m, :n_v] -= dc_bins[:m, None] * cal.v_offset
        if cal.i_offset.any():
            spec[:m, n_v:] -= dc_bins[:m, None] * cal.i_offset
        # only the current-vs-voltage delay matters for P: rotate the currents by the difference
        rel = cal.i_phase_deg - cal.v_phase_deg[phase]
        if rel.any():
            spec[:, n_v:] *= _rotation(rel.tobytes(), nb, df / nominal_hz)
        if cal.v_phase_deg.any():
            v_delay = cal.v_phase_deg
        gain = np.concatenate((cal.v_gain, cal.i_gain))
    else:
        gain = np.ones(rows)
    # one-sided Parseval weights: every bin counts twice except DC (and Nyquist for even n), so
    # scale those by √½ once and every sum below is a plain 2·Σ
    spec[0] *= _SQRT_HALF
    if n % 2 == 0:
        spec[-1] *= _SQRT_HALF
    kb_h = np.minimum(np.rint(_ORDERS * cycles).astype(np.intp), nb - 1)
    phases = _Phases(spec[kb_h], (kb_h, cycles, df / nominal_hz), v_delay, n_v, phase)

    # 3. energies: windowed Parseval totals and harmonic groups from one squaring of re/im
    spec_f = spec.view(np.float64)  # (bins, 2·rows): re, im of row 0, re, im of row 1, ...
    sq_all = ws.sq
    sq = np.multiply(spec_f, spec_f, out=sq_all[_FRONT : _FRONT + nb])
    tot2 = _ones(nb) @ sq
    row = sq_all.strides[0]
    groups_view = np.ndarray(  # strided view, no copy: group g starts at row start + g·step
        (MAX_ORDER, plan.width, 2 * rows), np.float64, sq_all, (_FRONT + plan.start) * row,
        (plan.step * row, row, sq_all.strides[1]),
    )  # fmt: skip
    g2 = np.matmul(plan.weights, groups_view)  # (orders, 1, 2·rows)
    groups = g2[:, 0, 0::2] + g2[:, 0, 1::2]  # (orders, rows), raw units
    norm2 = 2.0 / (n * s2)
    rms = np.sqrt((tot2[0::2] + tot2[1::2]) * norm2) * gain
    mag = np.sqrt(groups.T * norm2) * np.abs(gain)[:, None]

    # 4. active power over every bin: Re(V·conj I) = Vr·Ir + Vi·Ii as one small matmul
    cross = spec_f[:, : 2 * n_v].T @ spec_f[:, 2 * n_v :]  # (2·voltages, 2·currents)
    rr, ii = _pair_index(phase.tobytes(), n_i)
    gi = gain[n_v:]
    scale = norm2 * gain[:n_v][phase] * gi
    p = (cross.take(rr) + cross.take(ii)) * scale

    # fundamental cross-spectrum V·conj I over group 1 → P1, Q1
    lo = max(1, math.ceil(0.5 * cycles))
    hi = min(nb, math.floor(1.5 * cycles) + 1)
    s1 = (spec[lo:hi, n_v:].conj().T @ spec[lo:hi, :n_v]).take(_fund_index(phase.tobytes(), n_v))
    s1 *= scale
    p1 = s1.real
    q1 = s1.imag

    i_max = ext[2 * n_v : 2 * n_v + n_i]
    i_min = ext[2 * n_v + n_i :]
    v_rms = rms[:n_v][phase]
    i_rms = rms[n_v:]
    s = v_rms * i_rms
    if cal is not None and cal.i_offset.any():
        i_peak = np.maximum(i_max - cal.i_offset, cal.i_offset - i_min) * np.abs(gi)
    else:
        i_peak = np.maximum(i_max, -i_min) * np.abs(gi)
    low_i = i_rms < low_current_a
    low_v = v_rms < low_voltage_v
    low = low_i | low_v
    clip: npt.NDArray[np.bool_] = (flat[:n_v] | flat[n_v : 2 * n_v])[phase]
    clip |= flat[2 * n_v : 2 * n_v + n_i] | flat[2 * n_v + n_i :]
    flags = clip * _CLIPPING + low * _LOW_SIGNAL
    if const_flags:
        flags |= int(const_flags)
    if cal is not None and (cal.i_degraded.any() or cal.v_degraded.any()):
        flags |= (cal.i_degraded | cal.v_degraded[phase]) * _CAL_DEGRADED
    with np.errstate(divide="ignore", invalid="ignore"):
        thd = 100.0 * np.sqrt(groups[1:].sum(axis=0) / groups[0])
        pf = p / s
        cos_phi = p1 / np.hypot(p1, q1)
        crest = i_peak / i_rms
    pf[low] = np.nan
    cos_phi[low] = np.nan
    crest[low_i] = np.nan
    thd_i = thd[n_v:]
    thd_i[low_i] = np.nan
    thd_u = thd[:n_v][phase]
    thd_u[low_v] = np.nan

    return WindowMetrics(
        v_rms_v=v_rms,
        i_rms_a=i_rms,
        p_w=p,
        q1_var=q1,
        s_va=s,
        pf=pf,
        cos_phi=cos_phi,
        thd_u_pct=thd_u,
        thd_i_pct=thd_i,
        crest_factor=crest,
        i_peak_a=i_peak,
        frequency_hz=np.full(n_i, f),
        harmonics_v=Harmonics(mag[:n_v][phase], phase_source=phases.voltage),
        harmonics_i=Harmonics(mag[n_v:], phase_source=phases.current),
        flags=flags.astype(np.int64, copy=False),
        duration_s=n / fs,
    )


@lru_cache(maxsize=32)
def _fund_index(phase: bytes, n_v: int) -> npt.NDArray[np.intp]:
    """Flat index of (channel, its phase voltage) in a (currents, voltages) matrix."""
    p = np.frombuffer(phase, dtype=np.intp)
    return np.arange(p.size) * n_v + p


@lru_cache(maxsize=16)
def _ones(n: int) -> FloatArray:
    out = np.ones(n)
    out.setflags(write=False)
    return out


def _wrap_deg(rad: FloatArray) -> FloatArray:
    return np.rad2deg(np.remainder(rad + np.pi, 2.0 * np.pi) - np.pi)
