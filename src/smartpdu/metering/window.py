"""One measurement window: vectorised DSP from raw samples to per-channel metrics.

Method (see docs/metering.md for the error budget):

1. The fundamental frequency f is measured from the voltage (zero-crossing regression).
2. Every row is multiplied by a 4-term Blackman-Harris window and transformed with one batched
   ``rfft``. The window makes the estimates independent of how many (fractional) cycles the block
   holds, so no time-domain resampling is needed: the spectrum is *frequency-tracked* instead —
   harmonic group h is summed over the bins within ±f/2 of h·f of the measured f.
3. RMS and active power come from the windowed Parseval sums (Σw²x² / Σw²); the fundamental
   cross-spectrum gives Q1 and cos φ; group energies give harmonics and THD (orders 2–50).
4. Calibration is applied in the spectrum: offset on the four DC bins of the window, phase as a
   per-bin phasor rotation (a fractional delay), gain as a scale on the results.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from smartpdu.metering.calibration import CalibrationArrays, CalibrationSet, voltage_channel_name
from smartpdu.metering.flags import QualityFlag, flag_names
from smartpdu.metering.frequency import estimate_frequency
from smartpdu.metering.spectrum import MAIN_LOBE_BINS, group_energies, window

__all__ = ["MAX_ORDER", "Harmonics", "WindowMetrics", "measure_window", "nominal_cycles"]

MAX_ORDER = 50

FloatArray = npt.NDArray[np.float64]


def nominal_cycles(nominal_hz: float) -> int:
    """Cycles per IEC 61000-4-30 window: 10 at 50 Hz, 12 at 60 Hz."""
    return 12 if nominal_hz > 55.0 else 10


@dataclass(frozen=True, slots=True)
class Harmonics:
    """Harmonic group rms and phase per order 1..50 (column 0 is the fundamental).

    Phases are in degrees relative to the fundamental of the channel's phase voltage, shifted per
    order (θ_h − h·θ_V1), so they do not depend on where the window started.
    """

    magnitude: FloatArray
    phase_deg: FloatArray

    def to_dict(self) -> dict[str, Any]:
        return {"magnitude": _clean(self.magnitude), "phase_deg": _clean(self.phase_deg)}


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
        for name in (
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
        ):
            out[name] = _clean(getattr(self, name))
        out["harmonics_v"] = self.harmonics_v.to_dict()
        out["harmonics_i"] = self.harmonics_i.to_dict()
        out["flags"] = [flag_names(m) for m in self.flags]
        out["duration_s"] = self.duration_s
        return out


def _clean(a: FloatArray) -> Any:
    arr = np.asarray(a, dtype=np.float64)
    return np.where(np.isfinite(arr), arr, None).tolist()


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
        cal = calibration.arrays([voltage_channel_name(r) for r in range(n_v)], names)
    else:
        cal = calibration
    return _measure(
        v, i, phase, float(sample_rate_hz), float(nominal_hz), cal, low_current_a, low_voltage_v
    )


@dataclass(frozen=True, slots=True)
class _Workspace:
    v_time: FloatArray
    i_time: FloatArray
    v_spec: npt.NDArray[np.complex128]
    i_spec: npt.NDArray[np.complex128]
    v_sq: FloatArray
    i_sq: FloatArray


_workspaces = threading.local()


def _workspace(n_v: int, n_i: int, n: int) -> _Workspace:
    """Reuse large scratch arrays per thread: fresh 0.5 MB arrays cost page faults every window."""
    cache: dict[tuple[int, int, int], _Workspace] = _workspaces.__dict__.setdefault("c", {})
    key = (n_v, n_i, n)
    ws = cache.get(key)
    if ws is None:
        if len(cache) > 8:
            cache.clear()
        nb = n // 2 + 1
        ws = _Workspace(
            v_time=np.empty((n_v, n)),
            i_time=np.empty((n_i, n)),
            v_spec=np.empty((n_v, nb), dtype=np.complex128),
            i_spec=np.empty((n_i, nb), dtype=np.complex128),
            v_sq=np.empty((n_v, 2 * nb)),
            i_sq=np.empty((n_i, 2 * nb)),
        )
        cache[key] = ws
    return ws


def _peaks(x: FloatArray) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Peak |x| per row and a clipping flag (≥3 consecutive samples at the max or min)."""
    rows = np.arange(x.shape[0])
    n = x.shape[1]
    hi = np.argmax(x, axis=1)
    lo = np.argmin(x, axis=1)
    xmax = x[rows, hi]
    xmin = x[rows, lo]

    def flat(idx: npt.NDArray[np.intp], val: FloatArray) -> npt.NDArray[np.bool_]:
        a = x[rows, np.minimum(idx + 1, n - 1)]
        b = x[rows, np.minimum(idx + 2, n - 1)]
        tol = 1e-9 * np.abs(val)
        return (idx + 2 < n) & (np.abs(a - val) <= tol) & (np.abs(b - val) <= tol) & (val != 0)

    return np.maximum(xmax, -xmin), flat(hi, xmax) | flat(lo, xmin)


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
    n = v.shape[-1]
    n_i = i.shape[0]
    w, s2, dc_bins = window(n)

    # 1. frequency from the strongest voltage row
    ref_row = int(np.argmax(np.ptp(v, axis=1))) if v.shape[0] > 1 else 0
    f = estimate_frequency(v[ref_row], fs, nominal_hz)
    flags = np.zeros(n_i, dtype=np.int64)
    if not math.isfinite(f):
        flags |= QualityFlag.NO_FREQUENCY
        f_groups = nominal_hz
    else:
        f_groups = f
    df = fs / n  # bin spacing
    cycles = f_groups / df
    if cycles < 2 * MAIN_LOBE_BINS:
        flags |= QualityFlag.SHORT_WINDOW

    # 2. windowed spectra (one batched rfft per kind; float64 is the fast path of pocketfft)
    ws = _workspace(v.shape[0], n_i, n)
    V = np.fft.rfft(np.multiply(v, w, out=ws.v_time), axis=-1, out=ws.v_spec)
    I = np.fft.rfft(np.multiply(i, w, out=ws.i_time), axis=-1, out=ws.i_spec)  # noqa: E741
    nb = V.shape[-1]
    if cal is not None:
        m = min(4, nb)
        if np.any(cal.v_offset):
            V[:, :m] -= cal.v_offset[:, None] * dc_bins[:m]
        if np.any(cal.i_offset):
            I[:, :m] -= cal.i_offset[:, None] * dc_bins[:m]
        if np.any(cal.v_phase_deg):
            V *= _rotation(cal.v_phase_deg.tobytes(), nb, df / nominal_hz)
        if np.any(cal.i_phase_deg):
            I *= _rotation(cal.i_phase_deg.tobytes(), nb, df / nominal_hz)  # noqa: E741
        gv, gi = cal.v_gain, cal.i_gain
        flags[cal.i_degraded | cal.v_degraded[phase]] |= QualityFlag.CALIBRATION_DEGRADED
    else:
        gv = np.ones(v.shape[0])
        gi = np.ones(n_i)

    norm = 1.0 / (n * s2)

    # 3. group energies and rms (windowed Parseval: Σw²x² / Σw²)
    orders = np.arange(1, MAX_ORDER + 2)
    edges = (orders - 0.5) * cycles
    even = n % 2 == 0
    gv_raw, v_tot = group_energies(V, edges, even, ws.v_sq)
    gi_raw, i_tot = group_energies(I, edges, even, ws.i_sq)
    gv_e = gv_raw * ((2.0 * norm) * gv**2)[:, None]
    gi_e = gi_raw * ((2.0 * norm) * gi**2)[:, None]
    v_rms_row = np.sqrt(v_tot * norm) * gv
    i_rms = np.sqrt(i_tot * norm) * gi

    # active power: Re(V·conj I) summed over all bins = dot product of interleaved re/im parts
    vc = V * 2.0
    vc[:, 0] *= 0.5
    if even:
        vc[:, -1] *= 0.5
    p_all = I.view(np.float64) @ vc.view(np.float64).T  # (channels, phases)
    rows = np.arange(n_i)
    p = p_all[rows, phase] * norm * gv[phase] * gi

    # fundamental cross-spectrum → P1, Q1
    lo = max(1, math.ceil(0.5 * cycles))
    hi = min(nb, math.floor(1.5 * cycles) + 1)
    v1 = V[:, lo:hi]
    i1 = np.ascontiguousarray(I[:, lo:hi])
    p1 = (i1.view(np.float64) @ v1.view(np.float64).T)[rows, phase]
    q1 = (i1.view(np.float64) @ (-1j * v1).view(np.float64).T)[rows, phase]
    scale1 = 2.0 * norm * gv[phase] * gi
    p1 = p1 * scale1
    q1 = q1 * scale1

    v_rms = v_rms_row[phase]
    s = v_rms * i_rms
    with np.errstate(divide="ignore", invalid="ignore"):
        pf = p / s
        cos_phi = p1 / np.hypot(p1, q1)
        thd_v_row = 100.0 * np.sqrt(gv_e[:, 1:].sum(axis=1) / gv_e[:, 0])
        thd_i = 100.0 * np.sqrt(gi_e[:, 1:].sum(axis=1) / gi_e[:, 0])

    # 4. harmonic phases from the bin nearest h·f, corrected for the window's linear phase
    pos = orders[:-1] * cycles
    kb = np.clip(np.rint(pos).astype(np.intp), 0, nb - 1)
    delta = kb - pos
    ang_v = np.angle(V[:, kb]) + np.pi * delta
    ang_i = np.angle(I[:, kb]) + np.pi * delta
    ref = ang_v[:, :1]  # fundamental of each voltage row
    shift = orders[:-1] * ref
    ph_v_row = _wrap_deg(ang_v - shift)
    ph_i = _wrap_deg(ang_i - shift[phase])

    # 5. time-domain peaks (crest factor, clipping)
    _v_peak, v_clip = _peaks(v)
    i_peak_raw, i_clip = _peaks(i)
    i_peak = i_peak_raw * np.abs(gi)
    if cal is not None and np.any(cal.i_offset):
        i_peak = (np.maximum(i.max(axis=1) - cal.i_offset, cal.i_offset - i.min(axis=1))) * np.abs(
            gi
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        crest = i_peak / i_rms
    flags[i_clip | v_clip[phase]] |= QualityFlag.CLIPPING

    low_i = i_rms < low_current_a
    low_v = v_rms < low_voltage_v
    flags[low_i | low_v] |= QualityFlag.LOW_SIGNAL
    nan = np.nan
    pf = np.where(low_i | low_v, nan, pf)
    cos_phi = np.where(low_i | low_v, nan, cos_phi)
    thd_i = np.where(low_i, nan, thd_i)
    crest = np.where(low_i, nan, crest)
    thd_u = np.where(low_v, nan, thd_v_row[phase])

    freq = np.full(n_i, f)
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
        frequency_hz=freq,
        harmonics_v=Harmonics(np.sqrt(gv_e[phase, :MAX_ORDER]), ph_v_row[phase]),
        harmonics_i=Harmonics(np.sqrt(gi_e[:, :MAX_ORDER]), ph_i),
        flags=flags,
        duration_s=n / fs,
    )


@lru_cache(maxsize=32)
def _rotation(phase_deg: bytes, nb: int, bin_per_nominal: float) -> npt.NDArray[np.complex128]:
    """Per-bin phasor advancing each row by its delay (phase at nominal × f/f_nominal); cached
    because coefficients and block geometry rarely change between windows."""
    ph = np.deg2rad(np.frombuffer(phase_deg, dtype=np.float64))
    rot = np.exp(1j * ph[:, None] * (np.arange(nb) * bin_per_nominal))
    rot.setflags(write=False)
    return rot


def _wrap_deg(rad: FloatArray) -> FloatArray:
    return np.rad2deg(np.remainder(rad + np.pi, 2.0 * np.pi) - np.pi)
