"""Early fire detection and tamper detection settings of a rack (``safety:`` in the YAML).

Defaults are documented with their reasons in docs/alarms.md (sections "Early fire detection"
and "Vibration and tamper").
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from smartpdu.config.surge_arc import ArcConfig, SurgeConfig

__all__ = [
    "FireConfig",
    "FireResponseConfig",
    "ResidualTrendConfig",
    "SafetyConfig",
    "TamperConfig",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FireResponseConfig(_Model):
    """What the controller does at ``FIRE_ALARM`` (each step audited with reason and evidence)."""

    shed_groups: list[str] = []
    """Outlet groups switched off (e.g. ``[lab, gpu]``); critical loads stay unless listed."""
    levers: Literal["none", "unlock", "lock"] = "none"
    """Unlock every lever (responders need access) or lock them (keep people out)."""
    ticket: bool = True
    """Raise a ``FIRE_RESPONSE`` notify event: the webhook/ticket system opens an incident."""


class FireConfig(_Model):
    """VOC level and ΔT near the outlets, combined (VOC alone is never a fire alarm)."""

    enabled: bool = True
    pre_voc_excess_ppb: float = Field(500.0, gt=0)
    """VOC above its own baseline for a pre-alarm."""
    alarm_voc_excess_ppb: float = Field(2000.0, gt=0)
    pre_delta_t_c: float = Field(1.5, gt=0)
    """Top/rear air above its baseline relative to the inlet air (a warm plume), for a pre-alarm."""
    alarm_delta_t_c: float = Field(4.0, gt=0)
    pre_slope_c_per_min: float = Field(0.5, gt=0)
    """…or that difference rising at least this fast (over ``slope_window_s``)."""
    slope_window_s: float = Field(120.0, ge=10, le=3600)
    persist_s: float = Field(60.0, ge=0, le=3600)
    """A pre-alarm needs its conditions this long; the alarm half of it."""
    clear_after_s: float = Field(300.0, ge=0, le=86400)
    """Both VOC and ΔT back below half the pre-alarm levels this long: the alarm clears."""
    baseline_tau_s: float = Field(900.0, ge=60, le=86400)
    """Time constant of the clean-air baselines (frozen while VOC is elevated)."""
    response: FireResponseConfig = FireResponseConfig()

    @model_validator(mode="after")
    def _levels(self) -> FireConfig:
        if self.alarm_voc_excess_ppb < self.pre_voc_excess_ppb:
            raise ValueError("alarm_voc_excess_ppb must be ≥ pre_voc_excess_ppb")
        if self.alarm_delta_t_c < self.pre_delta_t_c:
            raise ValueError("alarm_delta_t_c must be ≥ pre_delta_t_c")
        return self


class TamperConfig(_Model):
    """Vibration bursts correlated with door and lever state."""

    enabled: bool = True
    vibration_g: float = Field(0.3, gt=0, le=50)
    """A burst above this is ``VIBRATION_DETECTED`` (fans and disks stay below ≈0.05 g)."""
    rearm_s: float = Field(10.0, ge=0, le=3600)
    """Quiet time before the next burst is reported again."""
    authorised_window_s: float = Field(60.0, ge=0, le=3600)
    """A burst within this time after an authorised unlock is someone working, not tampering."""


class ResidualTrendConfig(_Model):
    """Residual-current trend and forecast per inlet and RCBO branch (docs/alarms.md)."""

    enabled: bool = True
    bucket_s: float = Field(3600.0, ge=1, le=86400)
    """Values are averaged per bucket; the trend is fitted to the bucket means."""
    window_s: float = Field(14 * 86400.0, ge=10, le=366 * 86400)
    min_buckets: int = Field(6, ge=2, le=10000)
    horizon_s: float = Field(60 * 86400.0, gt=0)
    """``RESIDUAL_CURRENT_TREND`` when the critical level is forecast within this time."""
    min_slope_ma_per_week: float = Field(0.1, ge=0)
    """Slower rises are noise or seasons, not a forecast."""

    @model_validator(mode="after")
    def _window(self) -> ResidualTrendConfig:
        if self.window_s < self.bucket_s * self.min_buckets:
            raise ValueError("window_s must hold at least min_buckets buckets")
        return self


class HotspotConfig(_Model):
    """Contact-resistance estimation per outlet terminal (docs/safety.md)."""

    enabled: bool = True
    r_th_c_per_w: float = Field(8.0, gt=0, le=1000)
    """Thermal resistance terminal → ambient of the outlet design (K/W; datasheet/commissioning)."""
    tau_s: float = Field(300.0, gt=0, le=86400)
    """Thermal time constant of the terminal."""
    step_s: float = Field(5.0, ge=0.2, le=600)
    memory_s: float = Field(120.0, ge=5, le=86400)
    """Forgetting memory of the least squares."""
    min_current_a: float = Field(2.0, gt=0)
    """Below this the terminal barely heats: no estimate."""
    alert_factor: float = Field(3.0, gt=1)
    min_increase_mohm: float = Field(10.0, gt=0)
    """Suspected when the estimate exceeds both factor × nominal and nominal + this."""
    hold_s: float = Field(30.0, ge=0, le=3600)
    min_samples: float = Field(6.0, ge=1)


class SafetyConfig(_Model):
    fire: FireConfig = FireConfig()
    tamper: TamperConfig = TamperConfig()
    residual: ResidualTrendConfig = ResidualTrendConfig()
    hotspot: HotspotConfig = HotspotConfig()
    surge: SurgeConfig = SurgeConfig()
    arc: ArcConfig = ArcConfig()
