"""Surge counting and series-arc suspicion settings (``safety.surge`` / ``safety.arc`` in the YAML).

Both methods, their defaults and their limits are documented in docs/safety.md ("Surges and the
SPD" and "Series arcs"). Levels are per unit of the nominal peak voltage (√2·Vnom) so one
configuration serves 120 V and 230 V PDUs.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["ArcConfig", "SpdConfig", "SurgeConfig"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SpdConfig(_Model):
    """The PDU's surge protective device (a metal-oxide varistor at the inlet), as its datasheet
    describes it: ``I = clamp_current_a · (|V| / clamp_v) ** alpha``."""

    clamp_v: float = Field(800.0, gt=0, le=10000)
    """Clamping (let-through) voltage at ``clamp_current_a``."""
    clamp_current_a: float = Field(100.0, gt=0, le=100000)
    alpha: float = Field(30.0, ge=5, le=80)
    """Non-linearity exponent of the varistor (metal oxide: 25–50)."""
    max_current_a: float = Field(5000.0, gt=0, le=1e6)
    """Rated maximum discharge current (8/20 µs): the current estimate never exceeds it. A peak
    far above the clamping voltage means a degraded SPD, whose own law no longer holds."""
    pulse_equivalent_s: float = Field(40e-6, gt=0, le=0.1)
    """Energy-equivalent width of a surge whose shape the samples missed (only the front end's
    peak detector saw it): E ≈ V_peak · I(V_peak) · width. 40 µs fits the 1.2/50 µs combination
    wave into 2 Ω (IEC 61000-4-5); see docs/safety.md."""
    energy_budget_j: float = Field(1000.0, gt=0, le=1e7)
    """Cumulative let-through energy after which ``SPD_END_OF_LIFE`` is raised (the varistor's
    rated energy for repeated surges, from its datasheet's pulse-life derating)."""


class SurgeConfig(_Model):
    enabled: bool = True
    threshold_pu: float = Field(1.6, gt=1.1, le=20)
    """A sample (or the peak detector) above this × √2·Vnom is a surge (a 10 % swell is 1.1)."""
    major_pu: float = Field(2.5, gt=1.1, le=20)
    severe_pu: float = Field(3.5, gt=1.1, le=20)
    """Severity buckets by burst peak: minor [threshold, major), major [major, severe), severe
    above (the SPD let much more through than it should: check or replace it)."""
    dvdt_v_per_us: float = Field(1.0, gt=0, le=1e5)
    """A slope this steep between two samples is a transient even below ``threshold_pu``…"""
    dvdt_min_pu: float = Field(1.2, gt=1.0, le=20)
    """…when the peak still exceeds this (a sag's edge is steep but never above nominal)."""
    burst_gap_s: float = Field(1.0, ge=0.0, le=60)
    """Surges closer than this are one burst: one count, one ``SURGE_DETECTED``."""
    spd: SpdConfig = SpdConfig()

    @model_validator(mode="after")
    def _order(self) -> SurgeConfig:
        if not self.threshold_pu <= self.major_pu <= self.severe_pu:
            raise ValueError("need threshold_pu ≤ major_pu ≤ severe_pu")
        return self


class ArcConfig(_Model):
    """Series-arc suspicion per outlet (IEC 62606-inspired features over consecutive windows)."""

    enabled: bool = True
    min_current_a: float = Field(1.0, gt=0, le=100)
    """Below this a series arc does not sustain (and the features are noise)."""
    hf_limit: float = Field(0.08, gt=0, le=10)
    """Aperiodic high-frequency content: rms of the differenced cycle-to-cycle residual / Irms."""
    irregularity_limit: float = Field(0.35, gt=0, le=100)
    """Half-cycle irregularity: mean |second difference| of that content from half-cycle to
    half-cycle, over its mean (smooth changes stay low, random ones do not)."""
    shoulder_limit_ms: float = Field(0.25, ge=0, le=10)
    """Mean flat spot near the current zero crossings beyond a sine's, per half-cycle."""
    windows: int = Field(10, ge=1, le=300)
    """Consecutive windows looked at (10 windows = 2 s at 50 Hz)…"""
    min_arcing_windows: int = Field(6, ge=1, le=300)
    """…of which at least this many must show all three features."""
    clear_s: float = Field(30.0, ge=0, le=86400)
    """No arc-like window this long: the suspicion clears and may be raised again."""
    action: Literal["alarm", "outlet_off"] = "alarm"
    """``outlet_off`` switches the outlet off (audited command by ``system/arc-protection``);
    the default only raises the alarm."""

    @model_validator(mode="after")
    def _counts(self) -> ArcConfig:
        if self.min_arcing_windows > self.windows:
            raise ValueError("min_arcing_windows must be ≤ windows")
        return self
