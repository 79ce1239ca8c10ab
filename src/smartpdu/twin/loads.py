"""Load models: what current a device's PSU draws for the power it needs.

Each kind is a complex harmonic vector over :data:`~smartpdu.twin.supply.HARMONICS` relative to the
PSU's phase voltage, normalised so that the fundamental's in-phase part is 1: a PSU taking active
power ``P`` at voltage ``V`` (rms) draws ``a · T`` with ``a = √2·P/V`` — constant power, so the
current rises when the voltage sags.

- **active PFC** (servers, GPU nodes): a near-sinusoid, slightly leading (EMI-filter capacitance),
  with 3rd/5th/7th… residue; THD-I 8 % at rated power, growing towards light load.
- **non-PFC** capacitor-input SMPS: the bridge conducts only while the line voltage exceeds the
  bulk-capacitor voltage — a pulse just before each voltage peak (crest ≈ 2.7, THD-I ≈ 107 %).
- **resistive**: ``i = v/R``, the voltage's own harmonics.

Inrush reuses the capacitor-charging pulse (:func:`inrush_pulse_template`, peak 1) under an
exponential envelope.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from smartpdu.config.models import LoadKind, LoadModelConfig
from smartpdu.twin.supply import HARMONICS, N_HARMONICS

__all__ = [
    "ACTIVE_PFC_THD_AT_RATED",
    "DeviceLoad",
    "active_pfc_tan_phi",
    "active_pfc_thd",
    "harmonic_shape",
    "inrush_pulse_template",
    "non_pfc_template",
    "psu_current_coefficients",
    "synthesize",
]

CArray = npt.NDArray[np.complex128]
FArray = npt.NDArray[np.float64]
_SQRT2 = math.sqrt(2.0)

ACTIVE_PFC_THD_AT_RATED = 0.08
_PFC_HARMONIC_SHARES = {3: 1.0, 5: 0.6, 7: 0.4, 9: 0.25, 11: 0.15, 13: 0.1}
_EMI_CAP_REACTIVE = 0.03
"""Leading reactive current of the EMI filter as a fraction of rated active current."""

_PULSE_CENTRE_DEG = 72.0
_PULSE_WIDTH_DEG = 66.0
_GRID = 4096


def active_pfc_thd(load_fraction: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """THD-I of an active-PFC PSU: 8 % at rated power, worse at light load (capped at 60 %)."""
    x = np.maximum(np.asarray(load_fraction, dtype=np.float64), 0.05)
    return np.minimum(ACTIVE_PFC_THD_AT_RATED * x**-0.6, 0.6)


def active_pfc_tan_phi(load_fraction: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """tan φ of the (leading) displacement: a fixed filter current over a load-dependent one."""
    return _EMI_CAP_REACTIVE / np.maximum(np.asarray(load_fraction, dtype=np.float64), 0.02)


def harmonic_shape(rng: np.random.Generator) -> CArray:
    """Return a unit-rms active-PFC residue vector (no fundamental) with per-device phases."""
    out = np.zeros(N_HARMONICS, dtype=np.complex128)
    for h, share in _PFC_HARMONIC_SHARES.items():
        out[(h - 1) // 2] = share * np.exp(1j * rng.uniform(0.0, 2.0 * math.pi))
    return out / np.sqrt(np.sum(np.abs(out) ** 2))


def _pulse_wave() -> npt.NDArray[np.float64]:
    """One cycle of the capacitor-charging current: cos² pulses before each voltage peak."""
    theta = np.arange(_GRID) * (2.0 * math.pi / _GRID)
    c, w = math.radians(_PULSE_CENTRE_DEG), math.radians(_PULSE_WIDTH_DEG)
    x = np.zeros(_GRID)
    for sign, centre in ((1.0, c), (-1.0, c + math.pi)):
        d = theta - centre
        inside = np.abs(d) < w / 2.0
        x[inside] += sign * np.cos(math.pi * d[inside] / w) ** 2
    return x


def _to_harmonics(x: npt.NDArray[np.float64]) -> CArray:
    spec = np.fft.rfft(x)
    return 1j * 2.0 * spec[HARMONICS] / len(x)


def synthesize(coeffs: CArray, n: int = _GRID) -> npt.NDArray[np.float64]:
    """Return one cycle (``n`` points) of ``Im Σ C_h e^{jhθ}`` — for templates and tests."""
    theta = np.arange(n) * (2.0 * math.pi / n)
    return np.imag(np.exp(1j * np.outer(theta, HARMONICS)) @ coeffs)


def non_pfc_template() -> CArray:
    """Harmonic vector of the non-PFC pulse current, in-phase fundamental normalised to 1."""
    t = _to_harmonics(_pulse_wave())
    return t / t[0].real


def inrush_pulse_template() -> CArray:
    """Harmonic vector of the capacitor-charging pulse with a peak of exactly 1 (as synthesised)."""
    t = _to_harmonics(_pulse_wave())
    return t / float(np.max(np.abs(synthesize(t))))


def psu_current_coefficients(
    p_w: FArray,
    rated_w: FArray,
    vnom_v: FArray,
    level: FArray,
    shift_rad: FArray,
    *,
    base: CArray,
    rot: CArray,
    pfc: npt.NDArray[np.bool_],
    resistive: npt.NDArray[np.bool_],
) -> CArray:
    """Return each PSU's current as a harmonic vector (rows), for one window.

    ``p_w``: active power per PSU; ``rated_w``: its device's rating (the PSU load fraction is
    ``p_w / rated_w``); ``level``: phase voltage in multiples of nominal; ``shift_rad``: angle
    shift of the phase voltage (lost neutral); ``base``: per-PSU shape (PFC residue of unit rms,
    non-PFC template, or the voltage's own harmonics for resistive loads); ``rot``: phase
    rotation per PSU. Resistive rows are scaled by the voltage level without the sag envelope,
    which the caller applies per sample.
    """
    lvl = np.where(level > 0.0, level, 1.0)
    load = p_w / rated_w
    fund = np.where(pfc, 1.0 + 1j * active_pfc_tan_phi(load), 0.0)
    gain = np.where(pfc, active_pfc_thd(load) * np.abs(fund), 1.0)
    amp = np.where(resistive, _SQRT2 * p_w / vnom_v * lvl, _SQRT2 * p_w / (vnom_v * lvl))
    coef = base * gain[:, None]
    coef[:, 0] += fund
    coef *= amp[:, None] * rot
    if shift_rad.any():
        coef *= np.exp(1j * np.outer(shift_rad, HARMONICS))
    return coef


@dataclass(slots=True)
class DeviceLoad:
    """Power demand of one device: constant, a repeating profile, or an override."""

    kind: LoadKind
    rated_w: float
    load_fraction: float
    profile_steps: tuple[tuple[float, float], ...] = ()
    """(end of step within one period in s, load fraction)."""
    override: float | None = None
    switched_on: bool = True
    profile_period_s: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        self.profile_period_s = self.profile_steps[-1][0] if self.profile_steps else 0.0

    @classmethod
    def from_config(cls, cfg: LoadModelConfig) -> DeviceLoad:
        ends: list[float] = np.cumsum([s.duration_s for s in cfg.profile]).tolist()
        steps = tuple(
            (float(e), float(s.load_fraction)) for e, s in zip(ends, cfg.profile, strict=True)
        )
        return cls(cfg.kind, cfg.rated_power_w, cfg.load_fraction, steps)

    def fraction(self, t_s: float) -> float:
        """Load fraction at sim time ``t_s`` (0 when the device's own switch is off)."""
        if not self.switched_on:
            return 0.0
        if self.override is not None:
            return self.override
        if not self.profile_steps:
            return self.load_fraction
        pos = t_s % self.profile_period_s
        for end, frac in self.profile_steps:
            if pos < end:
                return frac
        return self.profile_steps[-1][1]
