"""Tunable limits of the control plane that the rack YAML does not (yet) carry.

Per-outlet delays, power-up states, priorities and the inrush guard come from
:class:`~smartpdu.config.RackConfig`; these are the shedding, verification and protection knobs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from smartpdu.protection.classify import ClassifierSettings
from smartpdu.protection.lockout import RetryPolicy
from smartpdu.protection.trip_risk import TripRiskThresholds

__all__ = ["ControlSettings", "SheddingSettings", "VerifySettings"]


@dataclass(frozen=True, slots=True)
class SheddingSettings:
    """When to shed (above the planning limit) and when to restore (hysteresis + delay)."""

    enabled: bool = True
    planning_pct: float = 80.0
    """Planning limit as % of rating: above it a scope warns (and sheds after ``shed_delay_s``)."""
    level_clear_pct: float = 5.0
    shed_delay_s: float = 1.0
    shed_interval_s: float = 1.0
    """Minimum time between two sheds (and two restores) on one PDU: one by one."""
    restore_pct: float = 70.0
    """An outlet is restored only if every scope stays below this % including its load."""
    restore_delay_s: float = 10.0

    def __post_init__(self) -> None:
        if not 0.0 < self.restore_pct < self.planning_pct <= 100.0:
            raise ValueError(
                "shedding needs 0 < restore_pct < planning_pct <= 100, got "
                f"{self.restore_pct}, {self.planning_pct}"
            )
        if min(self.shed_delay_s, self.shed_interval_s, self.restore_delay_s) < 0.0:
            raise ValueError("shedding delays must be >= 0 s")


@dataclass(frozen=True, slots=True)
class VerifySettings:
    """How an actuation is checked against relay feedback and measured current."""

    windows: int = 3
    """Windows after actuation within which the outlet must reach its state."""
    off_current_a: float = 0.05
    """Above this an outlet commanded off still carries current (stuck on)."""
    on_current_a: float = 0.05
    """Below this an outlet with a known load is not powering it (stuck off)."""

    def __post_init__(self) -> None:
        if self.windows < 1:
            raise ValueError(f"verify windows must be >= 1, got {self.windows}")


@dataclass(frozen=True, slots=True)
class ControlSettings:
    cycle_off_s: float = 5.0
    """Default off period of a power cycle."""
    verify: VerifySettings = field(default_factory=VerifySettings)
    shedding: SheddingSettings = field(default_factory=SheddingSettings)
    classifier: ClassifierSettings = field(default_factory=ClassifierSettings)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    trip_risk: TripRiskThresholds = field(default_factory=TripRiskThresholds)
    protection_enabled: bool = True
    open_relays_on_feed_loss: bool = True
    """Open the relays of a dead feed so its restore can be staggered (inrush guard)."""
    denied_actors: frozenset[str] = frozenset()
    window_s: float | None = None
    """Pin the window length of the first tick; ``None``: the hardware's, given by the runtime
    (later ticks use the snapshot times)."""

    def __post_init__(self) -> None:
        if not self.cycle_off_s >= 0.0:
            raise ValueError(f"cycle_off_s must be >= 0 s, got {self.cycle_off_s}")
