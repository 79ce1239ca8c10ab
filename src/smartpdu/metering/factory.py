"""Factory calibration against a known reference load (pure: the caller supplies the samples).

``acquire`` applies a reference point (to the twin or a calibrator) and returns the raw samples.
Coefficients come from the first point; a second, independent point verifies them before a new
version is returned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from smartpdu.metering.calibration import CalibrationArrays, CalibrationSet, ChannelCoefficients
from smartpdu.metering.spectrum import window
from smartpdu.metering.window import measure_window

__all__ = ["CalibrationError", "FactoryResult", "ReferencePoint", "factory_calibrate"]

Samples = tuple[npt.NDArray[np.floating], npt.NDArray[np.floating], float]


class CalibrationError(RuntimeError):
    """Verification at the independent point failed; no new version was produced."""


@dataclass(frozen=True, slots=True)
class ReferencePoint:
    v_rms_v: float
    i_rms_a: float
    phase_deg: float
    """Displacement angle of the reference load (current lags voltage by this, positive)."""
    frequency_hz: float


@dataclass(frozen=True, slots=True)
class FactoryResult:
    calibration: CalibrationSet
    voltage: ChannelCoefficients
    current: ChannelCoefficients
    verify_errors: dict[str, float]
    """Relative errors at the verification point (p, v_rms, i_rms) and absolute pf error."""


def _dc(x: npt.NDArray[np.floating]) -> float:
    w, _, _ = window(x.shape[-1])
    return float(np.dot(x, w) / w.sum())  # windowed mean: no fractional-cycle bias


def _arrays(v: ChannelCoefficients, i: ChannelCoefficients) -> CalibrationArrays:
    return CalibrationArrays(
        np.array([v.gain]), np.array([v.phase_deg]), np.array([v.offset]), np.zeros(1, bool),
        np.array([i.gain]), np.array([i.phase_deg]), np.array([i.offset]), np.zeros(1, bool),
    )  # fmt: skip


def factory_calibrate(
    acquire: Callable[[ReferencePoint], Samples],
    voltage_channel: str,
    current_channel: str,
    nominal_hz: float,
    base: CalibrationSet,
    version: int,
    timestamp: str,
    source: str,
    calibrate_at: ReferencePoint,
    verify_at: ReferencePoint,
    limits: tuple[float, float, float] = (5e-4, 2e-4, 2e-3),
) -> FactoryResult:
    """Compute gain/phase/offset of one voltage and one current channel, verify, version.

    ``limits`` = (relative P error, relative Vrms/Irms error, absolute PF error).
    """
    v, i, fs = acquire(calibrate_at)
    v = np.asarray(v, dtype=np.float64).ravel()
    i = np.asarray(i, dtype=np.float64).ravel()
    v_off, i_off = _dc(v), _dc(i)
    raw = measure_window(
        v, i[None], fs, nominal_hz,
        _arrays(ChannelCoefficients(offset=v_off), ChannelCoefficients(offset=i_off)),
        low_current_a=0.0, low_voltage_v=0.0,
    )  # fmt: skip
    measured_phase = float(np.degrees(np.arctan2(raw.q1_var[0], raw.p_w[0])))
    phase_err = (measured_phase - calibrate_at.phase_deg) * nominal_hz / calibrate_at.frequency_hz
    vc = ChannelCoefficients(calibrate_at.v_rms_v / float(raw.v_rms_v[0]), 0.0, v_off)
    ic = ChannelCoefficients(calibrate_at.i_rms_a / float(raw.i_rms_a[0]), phase_err, i_off)

    v2, i2, fs2 = acquire(verify_at)
    m = measure_window(
        np.asarray(v2, dtype=np.float64).ravel(), np.asarray(i2, dtype=np.float64).reshape(1, -1),
        fs2, nominal_hz, _arrays(vc, ic), low_current_a=0.0, low_voltage_v=0.0,
    )  # fmt: skip
    pf_ref = float(np.cos(np.radians(verify_at.phase_deg)))
    p_ref = verify_at.v_rms_v * verify_at.i_rms_a * pf_ref
    errors = {
        "p": float(m.p_w[0] / p_ref - 1.0),
        "v_rms": float(m.v_rms_v[0] / verify_at.v_rms_v - 1.0),
        "i_rms": float(m.i_rms_a[0] / verify_at.i_rms_a - 1.0),
        "pf": float(m.pf[0] - pf_ref),
    }
    p_lim, rms_lim, pf_lim = limits
    if (
        abs(errors["p"]) > p_lim
        or abs(errors["v_rms"]) > rms_lim
        or abs(errors["i_rms"]) > rms_lim
        or abs(errors["pf"]) > pf_lim
    ):
        raise CalibrationError(f"verification at {verify_at} failed: {errors}")
    new = base.updated({voltage_channel: vc, current_channel: ic}, version, timestamp, source)
    return FactoryResult(new, new.channels[voltage_channel], new.channels[current_channel], errors)
