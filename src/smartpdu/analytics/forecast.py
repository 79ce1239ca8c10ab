"""When will a load reach its limit? A least-squares line through its history (pure).

The history buckets' averages (e.g. hourly means of a branch current over the last 14 days) are
fitted with a straight line; if it rises, the limit is reached at
``t_last + (limit − fitted value at t_last) / slope``. A flat or falling trend reaches nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["LinearForecast", "linear_forecast"]


@dataclass(frozen=True, slots=True)
class LinearForecast:
    slope_per_day: float
    fitted_now: float
    """The line's value at the last point."""
    seconds_to_limit: float | None
    """None: not rising; 0: already at or above the limit."""
    points: int


def linear_forecast(
    points: Sequence[tuple[float, float]], limit: float, *, min_points: int = 3
) -> LinearForecast | None:
    """Fit ``(t_s, value)`` points; None with fewer than ``min_points``."""
    n = len(points)
    if n < max(2, min_points):
        return None
    mt = sum(t for t, _ in points) / n
    mv = sum(v for _, v in points) / n
    stt = sum((t - mt) ** 2 for t, _ in points)
    slope = sum((t - mt) * (v - mv) for t, v in points) / stt if stt > 0 else 0.0
    t_last = max(t for t, _ in points)
    now = mv + slope * (t_last - mt)
    if now >= limit:
        eta: float | None = 0.0
    elif slope > 0:
        eta = (limit - now) / slope
    else:
        eta = None
    return LinearForecast(slope * 86400.0, now, eta, n)
