"""Residual-current trend: slope per week and when the critical level will be reached (pure).

Leakage (protective-conductor current) of IT equipment creeps up over weeks as insulation and
Y-capacitors age and humidity rises; an RCBO trips at 50–100 % of its IΔn and takes every device
of its branch down. The trend turns the residual current into a forecast while there is time to
find the culprit::

    buckets: mean residual current per bucket_s (default 1 h), the last window_s (default 14 d)
    slope:   least squares over the bucket means, mA per week
    forecast: now + (critical − latest mean) / slope   (only for a rising, significant slope)

Transients (the Y-capacitor charge when an outlet switches on lasts milliseconds to a few windows)
barely move a bucket mean; the alarm rules' on-delay keeps them from raising an alarm.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any

__all__ = ["WEEK_S", "ResidualTrend", "TrendEstimate"]

WEEK_S = 7 * 86400.0


@dataclass(frozen=True, slots=True)
class TrendEstimate:
    value_ma: float
    """Mean of the latest complete bucket."""
    slope_ma_per_week: float
    buckets: int
    span_s: float
    seconds_to_critical: float | None
    """None when not rising (or already above the critical level: then 0)."""


class ResidualTrend:
    """Bucket means of one residual-current channel and their least-squares trend."""

    def __init__(self, bucket_s: float, window_s: float, min_buckets: int = 3) -> None:
        if not 0 < bucket_s <= window_s:
            raise ValueError(f"need 0 < bucket_s <= window_s, got {bucket_s}, {window_s}")
        self.bucket_s = bucket_s
        self.window_s = window_s
        self.min_buckets = max(2, min_buckets)
        self._points: deque[tuple[float, float]] = deque()
        self._bucket_start: float | None = None
        self._sum = 0.0
        self._n = 0

    def add(self, t_s: float, value_ma: float | None) -> bool:
        """Add one value (missing ones skipped); True when a bucket was completed."""
        if self._bucket_start is None:
            self._bucket_start = t_s
        closed = False
        if t_s - self._bucket_start >= self.bucket_s:
            if self._n:
                self._points.append((self._bucket_start + 0.5 * self.bucket_s, self._sum / self._n))
                closed = True
            self._bucket_start += self.bucket_s * math.floor(
                (t_s - self._bucket_start) / self.bucket_s
            )
            self._sum, self._n = 0.0, 0
            while self._points and self._points[0][0] < t_s - self.window_s:
                self._points.popleft()
        if value_ma is not None and math.isfinite(value_ma):
            self._sum += value_ma
            self._n += 1
        return closed

    def estimate(self, critical_ma: float | None) -> TrendEstimate | None:
        """The trend over the window, or None with fewer than ``min_buckets`` buckets."""
        pts = self._points
        n = len(pts)
        if n < self.min_buckets:
            return None
        mt = sum(t for t, _ in pts) / n
        mv = sum(v for _, v in pts) / n
        stt = sum((t - mt) ** 2 for t, _ in pts)
        slope_s = sum((t - mt) * (v - mv) for t, v in pts) / stt if stt > 0 else 0.0
        last = pts[-1][1]
        eta: float | None = None
        if critical_ma is not None:
            if last >= critical_ma:
                eta = 0.0
            elif slope_s > 0:
                eta = (critical_ma - last) / slope_s
        return TrendEstimate(last, slope_s * WEEK_S, n, pts[-1][0] - pts[0][0], eta)

    def dump(self) -> dict[str, Any]:
        return {"points": [list(p) for p in self._points]}

    def load(self, data: dict[str, Any]) -> None:
        self._points = deque((float(t), float(v)) for t, v in data.get("points", ()))
