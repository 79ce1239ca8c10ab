"""Rate of change of one value over a sliding window (least-squares slope, units per minute)."""

from __future__ import annotations

import math
from collections import deque

__all__ = ["RateWindow", "slope_per_min"]


def slope_per_min(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of ``(t_s, value)`` points in units per minute; None if undefined."""
    n = len(points)
    if n < 2:
        return None
    mt = sum(t for t, _ in points) / n
    mv = sum(v for _, v in points) / n
    stt = sum((t - mt) ** 2 for t, _ in points)
    if stt <= 0.0:
        return None
    return 60.0 * sum((t - mt) * (v - mv) for t, v in points) / stt


class RateWindow:
    """The last ``window_s`` of good values; a slope only once half the window is covered."""

    __slots__ = ("_points", "window_s")

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._points: deque[tuple[float, float]] = deque()

    def add(self, t_s: float, value: float | None) -> float | None:
        """Add a value (missing ones are skipped) and return the slope, or None (unknown)."""
        pts = self._points
        if value is not None and math.isfinite(value):
            pts.append((t_s, value))
        while pts and pts[0][0] < t_s - self.window_s:
            pts.popleft()
        if value is None or not math.isfinite(value) or len(pts) < 2:
            return None
        if pts[-1][0] - pts[0][0] < 0.5 * self.window_s:
            return None
        return slope_per_min(list(pts))
