"""Compiled inner loops of the metering DSP (numba): one pass over the samples, one over the spectrum.

Why compiled: the DSP's cost floor is one batched ``rfft``; with numpy alone every other step
(window multiply, peaks, squares, group sums, cross products and ~60 small-array calls) is a pass or
a call of its own, which made a window ≈ 3× the ``rfft``. Here each row of samples is read once
(window multiply, extremes, clipping count, Σ(w·x)², Σ w²·v·i) while it sits in L1, and the spectrum
once (harmonic groups, fundamental cross-spectrum), vectorised over channels; the per-channel
results are finished in the same compiled code.

Plain arrays in, plain arrays out; buffers are owned by the caller (``window.py``) so a window
allocates almost nothing. Floating-point contract: sums may be reassociated (vectorised) — float64
rounding, far below the accuracy limits. Max/min use ``llvm.maxnum``/``minnum`` (vectorisable); a
non-finite sample still gives NaN rms/P for its row because the sums keep IEEE semantics.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
import numpy.typing as npt
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

__all__ = [
    "OUT_FIELDS",
    "finish",
    "frequency_from_crossings",
    "group_overlap",
    "rotated_active_power",
    "sample_pass",
    "spectral_pass",
]

# Compiled code is cached next to the module (or in NUMBA_CACHE_DIR); SMARTPDU_NUMBA_NOCACHE=1
# recompiles in memory (for inspecting the generated code).
_CACHE = os.environ.get("SMARTPDU_NUMBA_NOCACHE") is None
_SUMS = {"reassoc", "contract"}

F64Array = npt.NDArray[np.float64]

OUT_FIELDS = (
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
)
"""Rows of the (fields, channels) array :func:`finish` fills, in this order."""

_V_RMS, _I_RMS, _P, _Q1, _S, _PF, _COS, _THD_U, _THD_I, _CREST, _I_PEAK = range(len(OUT_FIELDS))


def _min_max_intrinsic(name: str) -> Any:
    @intrinsic  # type: ignore[misc]
    def op(typingctx: Any, a: Any, b: Any) -> Any:
        sig = types.float64(types.float64, types.float64)

        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            d = ir.DoubleType()
            fn = builder.module.declare_intrinsic(name, [d], ir.FunctionType(d, [d, d]))
            return builder.call(fn, args, fastmath=("nnan", "nsz"))

        return sig, codegen

    return op


# numba lowers max()/min() to compare+select without fast-math flags on the select, which LLVM
# will not vectorise as a reduction; the maxnum/minnum intrinsics it does (≈ 7× faster here)
_fmax = _min_max_intrinsic("llvm.maxnum")
_fmin = _min_max_intrinsic("llvm.minnum")


@njit(cache=_CACHE, nogil=True, fastmath=_SUMS)
def sample_pass(
    v: F64Array,
    i: F64Array,
    w: F64Array,
    v_offset: F64Array,
    i_offset: F64Array,
    phase: npt.NDArray[np.intp],
    windowed: F64Array,
    ext: F64Array,
) -> int:
    """Window every row into ``windowed`` (voltages first, offset removed) and reduce it.

    ``ext`` is (5, rows): max, min, clipping (1.0 when three consecutive samples sit at the max or
    at the min, within 1e-9 relative: a flat top), Σ(w·x)² and, for current rows, Σ(w·v)(w·i) with the row's
    phase voltage (→ P without touching the spectrum). Returns the voltage row with the largest
    peak-to-peak swing (the frequency reference).
    """
    n_v = v.shape[0]
    n = v.shape[1]
    ref = 0
    best = -1.0
    for r in range(n_v + i.shape[0]):
        if r < n_v:
            x = v[r]
            off = v_offset[r]
        else:
            x = i[r - n_v]
            off = i_offset[r - n_v]
        hi = x[0]
        lo = x[0]
        for t in range(n):
            hi = _fmax(hi, x[t])
            lo = _fmin(lo, x[t])
        tol_hi = 1e-9 * abs(hi)
        tol_lo = 1e-9 * abs(lo)
        thr_hi = hi - tol_hi
        thr_lo = lo + tol_lo
        out = windowed[r]
        ss = 0.0
        flat_hi = 0  # runs of three samples at the max (at the min): a flat top
        flat_lo = 0
        for t in range(n - 2):
            xt = x[t]
            y = w[t] * (xt - off)
            out[t] = y
            ss += y * y
            x1 = x[t + 1]
            x2 = x[t + 2]
            flat_hi += (xt >= thr_hi) & (x1 >= thr_hi) & (x2 >= thr_hi)
            flat_lo += (xt <= thr_lo) & (x1 <= thr_lo) & (x2 <= thr_lo)
        for t in range(max(0, n - 2), n):
            y = w[t] * (x[t] - off)
            out[t] = y
            ss += y * y
        cross = 0.0
        if r >= n_v:
            wv = windowed[phase[r - n_v]]
            for t in range(n):
                cross += wv[t] * out[t]
        clips = (flat_hi > 0 and tol_hi > 0.0) or (flat_lo > 0 and tol_lo > 0.0)
        ext[0, r] = hi
        ext[1, r] = lo
        ext[2, r] = 1.0 if clips else 0.0
        ext[3, r] = ss
        ext[4, r] = cross
        if r < n_v and hi - lo > best:
            best = hi - lo
            ref = r
    return ref


@njit(cache=_CACHE, nogil=True)
def frequency_from_crossings(v: F64Array, sample_rate_hz: float, nominal_hz: float) -> float:
    """Fundamental frequency (Hz) of one voltage row from its rising crossings of the mean.

    Crossing instants are interpolated linearly between the samples around each sign change and a
    least-squares line is fitted through (cycle index, crossing time): the slope is the period, so
    per-crossing jitter averages out and harmonics (which shift every crossing equally) do not bias
    it. A crossing closer than half a nominal period to the previous kept one is noise and skipped.
    NaN when fewer than three crossings remain or the period is implausible.
    """
    n = v.shape[0]
    if n < 2:
        return math.nan
    level = 0.0
    for t in range(n):
        level += v[t]
    level /= n
    min_gap = 0.5 * sample_rate_hz / nominal_hz
    times = np.empty(n // 2 + 1)
    count = 0
    last = 0.0
    for k in range(n - 1):
        a = v[k] - level
        b = v[k + 1] - level
        if a < 0.0 <= b:
            x = k + a / (a - b)
            if count == 0 or x - last >= min_gap:
                times[count] = x
                count += 1
                last = x
    if count < 3:
        return math.nan
    t0 = times[0]
    period0 = (times[count - 1] - t0) / (count - 1)
    m_mean = 0.0
    t_mean = 0.0
    for c in range(count):
        m_mean += round((times[c] - t0) / period0)
        t_mean += times[c]
    m_mean /= count
    t_mean /= count
    num = 0.0
    den = 0.0
    for c in range(count):
        dm = round((times[c] - t0) / period0) - m_mean
        num += dm * (times[c] - t_mean)
        den += dm * dm
    if den <= 0.0:
        return math.nan
    period = num / den
    if not (0.5 * min_gap < period < 4.0 * min_gap):
        return math.nan
    return sample_rate_hz / period


@njit(cache=_CACHE, nogil=True)
def group_overlap(k: int, cycles: float, order: int) -> float:
    """Share of bin k (it covers [k−½, k+½) bins) inside the harmonic group of ``order``
    (IEC 61000-4-7: [(h−½)·f, (h+½)·f) with f = ``cycles`` bins): an edge inside a bin splits it
    linearly, which gives a bin centred exactly on an edge the standard's half weight."""
    lo = max(k - 0.5, (order - 0.5) * cycles)
    hi = min(k + 0.5, (order + 0.5) * cycles)
    return hi - lo if hi > lo else 0.0


@njit(cache=_CACHE, nogil=True, fastmath=_SUMS)
def spectral_pass(
    spec: F64Array,
    n_v: int,
    n: int,
    cycles: float,
    phase: npt.NDArray[np.intp],
    delay: F64Array,
    groups: F64Array,
    fund: F64Array,
    peak_bins: npt.NDArray[np.intp],
    peaks: npt.NDArray[np.complex128],
) -> None:
    """One pass over the windowed spectrum ``spec`` (bins, re/im of every row).

    Fills ``groups`` (rows, orders) with Σ|X|² per harmonic group (bins of the measured
    fundamental; an even-n Nyquist bin weighs ½, the spectrum being one-sided) and ``fund``
    (2, currents) with Σ V·conj(I) over the fundamental group's bins (→ P1, Q1), current c paired
    with voltage row ``phase[c]`` and advanced by ``delay[c]`` radians per bin (the calibrated
    current-vs-voltage delay). ``peak_bins``/``peaks`` (orders, rows) receive the bin nearest
    h·f of every order and its complex value (for harmonic phases, computed later if asked).
    """
    nbin = spec.shape[0]
    cols = spec.shape[1]
    rows = cols // 2
    n_i = rows - n_v
    n_orders = groups.shape[1]
    grp = np.zeros((n_orders, cols))
    first = max(0, math.floor(0.5 * cycles - 0.5))
    last = min(nbin - 1, math.ceil((n_orders + 0.5) * cycles + 0.5))
    nyquist = nbin - 1 if n % 2 == 0 else nbin
    for k in range(first, last + 1):
        x = spec[k]
        scale = 0.5 if k == nyquist else 1.0
        g_lo = max(1, math.floor((k - 0.5) / cycles + 0.5))
        g_hi = min(n_orders, math.floor((k + 0.5) / cycles + 0.5))
        for g in range(g_lo, g_hi + 1):
            share = scale * group_overlap(k, cycles, g)
            if share > 0.0:
                acc = grp[g - 1]
                for j in range(cols):
                    acc[j] += share * x[j] * x[j]
    for r in range(rows):
        for g in range(n_orders):
            groups[r, g] = grp[g, 2 * r] + grp[g, 2 * r + 1]
    for g in range(n_orders):
        k = min(round((g + 1) * cycles), nbin - 1)
        peak_bins[g] = k
        for r in range(rows):
            peaks[g, r] = complex(spec[k, 2 * r], spec[k, 2 * r + 1])
    lo1 = max(1, math.ceil(0.5 * cycles))
    hi1 = min(nbin, math.floor(1.5 * cycles) + 1)
    for c in range(n_i):
        col = 2 * (n_v + c)
        vcol = 2 * phase[c]
        d = delay[c]
        rot_r = 1.0
        rot_i = 0.0
        step_r = 1.0
        step_i = 0.0
        if d != 0.0:
            rot_r = math.cos(lo1 * d)
            rot_i = math.sin(lo1 * d)
            step_r = math.cos(d)
            step_i = math.sin(d)
        pr = 0.0
        pi = 0.0
        for k in range(lo1, hi1):
            a = spec[k, col]
            b = spec[k, col + 1]
            ir = a * rot_r - b * rot_i
            ii = a * rot_i + b * rot_r
            vr = spec[k, vcol]
            vi = spec[k, vcol + 1]
            pr += ir * vr + ii * vi
            pi += ir * vi - ii * vr
            rot_r, rot_i = rot_r * step_r - rot_i * step_i, rot_r * step_i + rot_i * step_r
        fund[0, c] = pr
        fund[1, c] = pi


@njit(cache=_CACHE, nogil=True, fastmath=_SUMS)
def rotated_active_power(
    spec: F64Array, n_v: int, n: int, phase: npt.NDArray[np.intp], delay: F64Array, out: F64Array
) -> None:
    """Σ Re(V·conj(I·e^{jkd})) over every bin: P of currents with a calibrated delay of ``d``
    radians per bin relative to their voltage (only needed when some ``delay`` is non-zero; the
    sample pass gives P directly otherwise). The result is in the units of Σ(w·v)(w·i)."""
    nbin = spec.shape[0]
    n_i = delay.shape[0]
    nyquist = nbin - 1 if n % 2 == 0 else nbin
    rot = np.empty(2 * n_i)
    step = np.empty(2 * n_i)
    acc = np.zeros(n_i)
    for c in range(n_i):
        rot[2 * c] = 1.0
        rot[2 * c + 1] = 0.0
        step[2 * c] = math.cos(delay[c])
        step[2 * c + 1] = math.sin(delay[c])
    for k in range(nbin):
        x = spec[k]
        scale = 0.5 if (k == 0 or k == nyquist) else 1.0
        for c in range(n_i):
            a = x[2 * (n_v + c)]
            b = x[2 * (n_v + c) + 1]
            rr = rot[2 * c]
            ri = rot[2 * c + 1]
            vr = x[2 * phase[c]]
            vi = x[2 * phase[c] + 1]
            acc[c] += scale * (vr * (a * rr - b * ri) + vi * (a * ri + b * rr))
            sr = step[2 * c]
            si = step[2 * c + 1]
            rot[2 * c] = rr * sr - ri * si
            rot[2 * c + 1] = rr * si + ri * sr
    # one-sided spectrum → time-domain sum: Σ_t y·z = (2/n)·Σ_k s_k Re(Y·conj Z)
    for c in range(n_i):
        out[c] = acc[c] * 2.0 / n


@njit(cache=_CACHE, nogil=True)
def finish(
    ext: F64Array,
    groups: F64Array,
    fund: F64Array,
    phase: npt.NDArray[np.intp],
    gain: F64Array,
    i_offset: F64Array,
    degraded: npt.NDArray[np.bool_],
    norm: float,
    spec_norm: float,
    low_current_a: float,
    low_voltage_v: float,
    const_flags: int,
    flag_bits: npt.NDArray[np.int64],
    out: F64Array,
    flags: npt.NDArray[np.int64],
    mag_v: F64Array,
    mag_i: F64Array,
) -> None:
    """Per-channel metrics from the pass results (see ``OUT_FIELDS``).

    ``norm`` turns the sample pass's Σ(w·x)² into a mean square (1/Σw²), ``spec_norm`` does the
    same for one-sided spectral sums (2/(n·Σw²)). ``flag_bits`` = (clipping, low signal,
    calibration degraded). ``degraded`` has one entry per row (voltages first). Harmonic group
    rms go to ``mag_v``/``mag_i`` (channels, orders), each channel's phase voltage in ``mag_v``.
    """
    n_v = ext.shape[1] - phase.shape[0]
    n_i = phase.shape[0]
    n_orders = groups.shape[1]
    v_rms = np.empty(n_v)
    thd_v = np.empty(n_v)
    for r in range(n_v):
        v_rms[r] = math.sqrt(ext[3, r] * norm) * gain[r]
        h = 0.0
        for g in range(1, n_orders):
            h += groups[r, g]
        thd_v[r] = 100.0 * math.sqrt(h / groups[r, 0]) if groups[r, 0] > 0.0 else math.nan
    for c in range(n_i):
        r = n_v + c
        p = phase[c]
        g_i = gain[r]
        g_v = gain[p]
        i_rms = math.sqrt(ext[3, r] * norm) * g_i
        vr = v_rms[p]
        pw = ext[4, r] * norm * g_v * g_i
        scale = spec_norm * g_v * g_i
        p1 = fund[0, c] * scale
        q1 = fund[1, c] * scale
        off = i_offset[c]
        i_peak = max(ext[0, r] - off, off - ext[1, r]) * abs(g_i)
        s = vr * i_rms
        low_i = i_rms < low_current_a
        low_v = vr < low_voltage_v
        low = low_i or low_v
        h = 0.0
        for g in range(1, n_orders):
            h += groups[r, g]
        f = const_flags
        if ext[2, r] != 0.0 or ext[2, p] != 0.0:
            f |= flag_bits[0]
        if low:
            f |= flag_bits[1]
        if degraded[r] or degraded[p]:
            f |= flag_bits[2]
        out[_V_RMS, c] = vr
        out[_I_RMS, c] = i_rms
        out[_P, c] = pw
        out[_Q1, c] = q1
        out[_S, c] = s
        out[_PF, c] = math.nan if (low or s == 0.0) else pw / s
        hyp = math.hypot(p1, q1)
        out[_COS, c] = math.nan if (low or hyp == 0.0) else p1 / hyp
        out[_THD_U, c] = math.nan if low_v else thd_v[p]
        out[_THD_I, c] = (
            math.nan if (low_i or not groups[r, 0] > 0.0) else 100.0 * math.sqrt(h / groups[r, 0])
        )
        out[_CREST, c] = math.nan if (low_i or i_rms == 0.0) else i_peak / i_rms
        out[_I_PEAK, c] = i_peak
        flags[c] = f
        gv = abs(g_v) * math.sqrt(spec_norm)
        gi = abs(g_i) * math.sqrt(spec_norm)
        for g in range(n_orders):
            mag_v[c, g] = math.sqrt(groups[p, g]) * gv
            mag_i[c, g] = math.sqrt(groups[r, g]) * gi
