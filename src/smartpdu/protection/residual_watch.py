"""Residual-current (RCM) warnings of one branch, before its RCBO trips.

Levels against the RCBO's IΔn: ``warning`` from ``warning_pct`` (default 33 %: leakage far above
what healthy PSUs show, 0.2–1.5 mA each), ``critical`` from ``critical_pct`` (50 %: an RCBO may
operate from there, IEC 61009-1). A level rises at once; it falls only ``clear_margin_pct``
below its threshold *and* after it was held ``min_hold_s``, so a noisy reading cannot flap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["ResidualChange", "ResidualThresholds", "ResidualWatch"]

ResidualLevel = Literal["ok", "warning", "critical"]
_RANK = {"ok": 0, "warning": 1, "critical": 2}


@dataclass(frozen=True, slots=True)
class ResidualThresholds:
    warning_pct: float = 33.0
    critical_pct: float = 50.0
    clear_margin_pct: float = 5.0
    min_hold_s: float = 10.0

    def __post_init__(self) -> None:
        if not 0.0 < self.warning_pct <= self.critical_pct < 100.0:
            raise ValueError(
                "need 0 < warning_pct <= critical_pct < 100, got "
                f"{self.warning_pct}, {self.critical_pct}"
            )
        if not 0.0 <= self.clear_margin_pct < self.warning_pct:
            raise ValueError(
                f"clear_margin_pct must be in [0, warning_pct), got {self.clear_margin_pct}"
            )
        if not self.min_hold_s >= 0.0:
            raise ValueError(f"min_hold_s must be >= 0 s, got {self.min_hold_s}")


@dataclass(frozen=True, slots=True)
class ResidualChange:
    level: ResidualLevel
    previous: ResidualLevel
    value_ma: float
    limit_ma: float
    """The threshold crossed (rising) or the IΔn (falling back to ok)."""
    idn_ma: float
    held_s: float

    @property
    def rising(self) -> bool:
        return _RANK[self.level] > _RANK[self.previous]


@dataclass(slots=True)
class ResidualWatch:
    """Typed state of one branch's residual-current level (owned by the control plane)."""

    idn_ma: float
    thresholds: ResidualThresholds = ResidualThresholds()
    level: ResidualLevel = "ok"
    since_s: float = 0.0

    def _raw(self, pct: float, margin: float) -> ResidualLevel:
        th = self.thresholds
        if pct >= th.critical_pct - margin:
            return "critical"
        if pct >= th.warning_pct - margin:
            return "warning"
        return "ok"

    def update(self, residual_ma: float | None, t_s: float) -> ResidualChange | None:
        """Feed one window's reading (None or NaN: no monitor value, level kept)."""
        if residual_ma is None or residual_ma != residual_ma:
            return None
        pct = 100.0 * residual_ma / self.idn_ma
        up = self._raw(pct, 0.0)
        if _RANK[up] > _RANK[self.level]:
            new = up
            limit = (
                self.idn_ma
                * (
                    self.thresholds.critical_pct
                    if up == "critical"
                    else self.thresholds.warning_pct
                )
                / 100.0
            )
        else:
            keep = self._raw(pct, self.thresholds.clear_margin_pct)
            held = t_s - self.since_s
            if _RANK[keep] >= _RANK[self.level] or held < self.thresholds.min_hold_s - 1e-9:
                return None
            new, limit = keep, self.idn_ma
        change = ResidualChange(
            new, self.level, residual_ma, limit, self.idn_ma, t_s - self.since_s
        )
        self.level, self.since_s = new, t_s
        return change
