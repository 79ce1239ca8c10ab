"""Why did a breaker trip? Classify a trip from the windows before it, and only then blame.

A branch breaker seen tripped says nothing about its release. The windows before the trip do:

- **residual** — an RCBO with residual current ≥ ``residual_pct`` of IΔn in the recent windows
  (IEC 61009-1: an RCBO may operate from 50 % of IΔn) and no overcurrent evidence;
- **overcurrent** — rms above the rating before the trip (thermal), a peak at or above the
  magnetic release (``peak/√2 ≥ instantaneous``), or a thermal position near 100 %;
- **unknown** — neither: no outlet can be blamed.

An outlet is held off as the trip's cause only for an overcurrent trip (its current rise is then
evidence); a residual-current trip names the leakage instead, never an outlet's current.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from smartpdu.protection.trip_curves import Releases

__all__ = ["TripKind", "TripVerdict", "classify_trip"]

TripKind = Literal["residual", "overcurrent", "unknown"]

_SQRT2 = math.sqrt(2.0)


@dataclass(frozen=True, slots=True)
class TripVerdict:
    kind: TripKind
    residual_ma: float
    """Highest residual current in the recent windows (0 without a monitor)."""
    residual_limit_ma: float | None
    """IΔn of the RCBO (None: not an RCBO)."""
    overcurrent: tuple[str, ...]
    """Which overcurrent evidence was seen: ``over_rating``, ``magnetic_peak``, ``thermal``."""

    @property
    def blames_outlet(self) -> bool:
        """Only an overcurrent trip is evidence against an outlet's current."""
        return self.kind == "overcurrent"


def classify_trip(
    releases: Releases,
    idn_ma: float | None,
    rows: Sequence[tuple[float, float, float]],
    *,
    over_rating_s: float,
    position_pct: float,
    recent: int = 5,
    residual_pct: float = 50.0,
    thermal_pct: float = 90.0,
) -> TripVerdict:
    """Classify a trip from ``rows`` = [(rms A, peak A, residual mA)] of the windows before it
    (oldest first; the tripped window itself may be included — its currents are zero).
    ``idn_ma`` is the RCBO's rated residual operating current (None: no residual release)."""
    tail = list(rows[-recent:])
    residual = max((r for _, _, r in tail), default=0.0)
    peak = max((p for _, p, _ in tail), default=0.0)
    evidence: list[str] = []
    if over_rating_s > 0.0:
        evidence.append("over_rating")
    if peak / _SQRT2 >= releases.instantaneous_a:
        evidence.append("magnetic_peak")
    if position_pct >= thermal_pct:
        evidence.append("thermal")
    idn = idn_ma
    leaking = idn is not None and residual >= idn * residual_pct / 100.0
    kind: TripKind
    if evidence:
        kind = "overcurrent"
    elif leaking:
        kind = "residual"
    else:
        kind = "unknown"
    return TripVerdict(kind, residual, idn, tuple(evidence))
