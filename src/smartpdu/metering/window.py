"""One measurement window: from raw samples to per-channel metrics, vectorised over channels.

Method (see docs/metering.md for the error budget):

1. Sample pass (compiled, one read of every row): offset removal, a 4-term Blackman-Harris window,
   extremes and flat-top (clipping) runs, Σ(w·x)² (→ rms) and Σ(w·v)(w·i) with the channel's phase
   voltage (→ P) — windowed Parseval sums, exact whatever the fractional number of cycles.
2. The fundamental frequency f is measured from the strongest voltage (zero-crossing regression).
3. One batched ``rfft`` of every windowed row — the cost floor of the whole DSP.
4. Spectral pass (compiled): the spectrum is *frequency-tracked* instead of resampled — harmonic
   group h sums |X|² over the bins within ±f/2 of h·f of the measured f (IEC 61000-4-7 groups,
   orders 1–50); Q1 and cos φ come from the cross-spectrum over the fundamental group; the bins
   nearest h·f are kept for harmonic phases, computed only when ``phase_deg`` is read.
5. Calibration: offsets in the sample pass, gains on the results, phase as a per-bin phasor rotation
   of the current (a fractional delay) relative to its voltage; only when a channel has such a
   delay does P need a second spectral pass (``kernels.rotated_active_power``).
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
from smartpdu.metering.flags import QualityFlag, flag_names
from smartpdu.metering.kernels import (
    OUT_FIELDS,
    finish,
    frequency_from_crossings,
    rotated_active_power,
    sample_pass,
    spectral_pass,
)
from smartpdu.metering.spectrum import MAIN_LOBE_BINS, window

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


METRIC_FIELDS: tuple[str, ...] = (*OUT_FIELDS, "frequency_hz")
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
        np.ascontiguousarray(v, dtype=np.float64),
        np.ascontiguousarray(i, dtype=np.float64),
        phase,
        float(sample_rate_hz),
        float(nominal_hz),
        cal,
        low_current_a,
        low_voltage_v,
    )


@dataclass(frozen=True, slots=True)
class _Workspace:
    windowed: FloatArray  # (rows, n) windowed samples, voltages first: the rfft's input
    spec: ComplexArray  # (bins, rows): bins along axis 0 so the spectral pass reads whole rows
    ext: FloatArray  # (5, rows) sample-pass reductions (see kernels.sample_pass)
    groups: FloatArray  # (rows, orders) Σ|X|² per harmonic group
    fund: FloatArray  # (2, currents) fundamental cross-spectrum


@dataclass(frozen=True, slots=True)
class _Prepared:
    """Calibration laid out for the kernels, per (coefficients, phase map, bin spacing)."""

    cal: CalibrationArrays  # held so its id() stays unique while cached
    phase_key: bytes
    bin_per_nominal: float
    gain: FloatArray  # (rows,) voltages first
    degraded: npt.NDArray[np.bool_]  # (rows,)
    delay: FloatArray  # (currents,) current-vs-voltage delay in radians per bin
    rotated: bool  # any delay ≠ 0: P needs the spectral path
    delay_deg: FloatArray | None  # (rows,) absolute delays for harmonic phases, None if all 0


_local = threading.local()


def _workspace(n_v: int, n_i: int, n: int) -> _Workspace:
    """Reuse large scratch arrays per thread: fresh 0.5 MB arrays cost page faults every window."""
    cache: dict[tuple[int, int, int], _Workspace] = _local.__dict__.setdefault("ws", {})
    key = (n_v, n_i, n)
    ws = cache.get(key)
    if ws is None:
        if len(cache) > 8:
            cache.clear()
        r = n_v + n_i
        ws = _Workspace(
            windowed=np.empty((r, n)),
            spec=np.empty((n // 2 + 1, r), dtype=np.complex128),
            ext=np.empty((5, r)),
            groups=np.empty((r, MAX_ORDER)),
            fund=np.empty((2, n_i)),
        )
        cache[key] = ws
    return ws


def _prepare(
    cal: CalibrationArrays, phase: npt.NDArray[np.intp], bin_per_nominal: float
) -> _Prepared:
    """Derived calibration arrays, cached per thread: coefficients change rarely, windows don't."""
    cache: dict[int, _Prepared] = _local.__dict__.setdefault("cal", {})
    key = phase.tobytes()
    prep = cache.get(id(cal))
    if (
        prep is not None
        and prep.cal is cal
        and prep.phase_key == key
        and prep.bin_per_nominal == bin_per_nominal
    ):
        return prep
    rel_deg = cal.i_phase_deg - cal.v_phase_deg[phase]
    rotated = bool(rel_deg.any())
    prep = _Prepared(
        cal=cal,
        phase_key=key,
        bin_per_nominal=bin_per_nominal,
        gain=np.concatenate((cal.v_gain, cal.i_gain)),
        degraded=np.concatenate((cal.v_degraded, cal.i_degraded)),
        delay=np.deg2rad(rel_deg) * bin_per_nominal,
        rotated=rotated,
        delay_deg=(
            np.concatenate((cal.v_phase_deg, cal.i_phase_deg))
            if rotated or cal.v_phase_deg.any()
            else None
        ),
    )
    if len(cache) > 16:
        cache.clear()
    cache[id(cal)] = prep
    return prep


@lru_cache(maxsize=32)
def _identity(n_v: int, n_i: int) -> CalibrationArrays:
    return CalibrationArrays.identity(n_v, n_i)


_FLAG_BITS = np.array(
    [QualityFlag.CLIPPING, QualityFlag.LOW_SIGNAL, QualityFlag.CALIBRATION_DEGRADED], dtype=np.int64
)


class _Phases:
    """Harmonic phases from the bins nearest h·f, computed on first use and shared by V and I."""

    __slots__ = ("_bins", "_delay", "_fix", "_n_v", "_phase", "_result")

    def __init__(
        self,
        bins: ComplexArray,
        fix: tuple[npt.NDArray[np.intp], float, float],
        delay_deg: FloatArray | None,
        n_v: int,
        phase: npt.NDArray[np.intp],
    ) -> None:
        self._bins = bins  # (orders, rows) windowed spectrum, voltages first, no delay applied
        self._fix = fix  # (bin of each order, bins per cycle, bins per nominal cycle)
        self._delay = delay_deg  # calibrated delay of every row (voltages first), or None
        self._n_v = n_v
        self._phase = phase
        self._result: tuple[FloatArray, FloatArray] | None = None

    def _compute(self) -> tuple[FloatArray, FloatArray]:
        if self._result is None:
            kb, cycles, bin_per_nominal = self._fix
            orders = np.arange(1, kb.size + 1)
            fix = (np.pi * (kb - orders * cycles))[:, None]  # window's linear phase
            if self._delay is not None:
                fix = fix + (kb * bin_per_nominal)[:, None] * np.deg2rad(self._delay)
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
    w, s2, _ = window(n)
    if cal is None:
        cal = _identity(n_v, n_i)
    ws = _workspace(n_v, n_i, n)

    # 1. samples: window, extremes, clipping, Σ(w·x)², Σ w²·v·i — one read of every row
    ref_row = sample_pass(v, i, w, cal.v_offset, cal.i_offset, phase, ws.windowed, ws.ext)
    f = frequency_from_crossings(v[ref_row], fs, nominal_hz)
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

    # 2. one batched rfft of every row (float64: the fast path of pocketfft)
    spec = ws.spec
    np.fft.rfft(ws.windowed, axis=-1, out=spec.T)

    # 3. spectrum: harmonic groups, fundamental cross-spectrum; a calibrated current-vs-voltage
    # delay is a per-bin phasor rotation (a fractional delay) of the current
    bin_per_nominal = df / nominal_hz
    prep = _prepare(cal, phase, bin_per_nominal)
    spec_f = spec.view(np.float64)
    peak_bins = np.empty(MAX_ORDER, dtype=np.intp)
    peaks = np.empty((MAX_ORDER, n_v + n_i), dtype=np.complex128)
    spectral_pass(spec_f, n_v, n, cycles, phase, prep.delay, ws.groups, ws.fund, peak_bins, peaks)
    if prep.rotated:
        rotated_active_power(spec_f, n_v, n, phase, prep.delay, ws.ext[4, n_v:])
    phases = _Phases(peaks, (peak_bins, cycles, bin_per_nominal), prep.delay_deg, n_v, phase)

    # 4. per-channel metrics, compiled
    out = np.empty((len(OUT_FIELDS), n_i))
    flags = np.empty(n_i, dtype=np.int64)
    mag_v = np.empty((n_i, MAX_ORDER))
    mag_i = np.empty((n_i, MAX_ORDER))
    finish(
        ws.ext,
        ws.groups,
        ws.fund,
        phase,
        prep.gain,
        cal.i_offset,
        prep.degraded,
        1.0 / s2,
        2.0 / (n * s2),
        low_current_a,
        low_voltage_v,
        int(const_flags),
        _FLAG_BITS,
        out,
        flags,
        mag_v,
        mag_i,
    )
    v_rms, i_rms, p, q1, s, pf, cos_phi, thd_u, thd_i, crest, i_peak = out
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
        harmonics_v=Harmonics(mag_v, phase_source=phases.voltage),
        harmonics_i=Harmonics(mag_i, phase_source=phases.current),
        flags=flags,
        duration_s=n / fs,
    )


def _wrap_deg(rad: FloatArray) -> FloatArray:
    return np.rad2deg(np.remainder(rad + np.pi, 2.0 * np.pi) - np.pi)
