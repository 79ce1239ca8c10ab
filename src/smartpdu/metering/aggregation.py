"""Aggregation of windows into 3 s / 1 min / 10 min min-avg-max, and 15-min sliding demand.

Fed window by window with the window's own start time and duration (never a clock read). The
3 s level counts windows (15 windows = 150/180 cycles, IEC 61000-4-30); 1 min and 10 min are
aligned to clock boundaries of the acquisition clock. Quantities whose name contains ``rms`` are
averaged quadratically (the rms of the interval), all others arithmetically, duration-weighted.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = ["AggregateRecord", "Aggregator", "DemandMeter", "DemandReading", "IntervalAggregator"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class AggregateRecord:
    level: str
    start_s: float
    end_s: float
    windows: int
    minimum: dict[str, FloatArray]
    average: dict[str, FloatArray]
    maximum: dict[str, FloatArray]


@dataclass(slots=True)
class _Acc:
    start_s: float
    end_s: float = 0.0
    windows: int = 0
    weight: float = 0.0
    mn: dict[str, FloatArray] = field(default_factory=dict)
    mx: dict[str, FloatArray] = field(default_factory=dict)
    sm: dict[str, FloatArray] = field(default_factory=dict)


class IntervalAggregator:
    """One level: by clock period (``period_s``) or by a fixed count of windows."""

    def __init__(self, level: str, period_s: float | None = None, count: int | None = None):
        if (period_s is None) == (count is None):
            raise ValueError("give exactly one of period_s or count")
        self.level, self.period_s, self.count = level, period_s, count
        self._acc: _Acc | None = None

    def _slot(self, t0_s: float) -> float:
        assert self.period_s is not None
        return float(np.floor(t0_s / self.period_s) * self.period_s)

    def add(
        self, t0_s: float, duration_s: float, values: Mapping[str, npt.ArrayLike]
    ) -> AggregateRecord | None:
        """Add one window; returns the completed interval when this window closes or opens one."""
        done: AggregateRecord | None = None
        if (
            self.period_s is not None
            and self._acc is not None
            and self._slot(t0_s) != self._acc.start_s
        ):
            done = self._finish()
        if self._acc is None:
            start = self._slot(t0_s) if self.period_s is not None else t0_s
            self._acc = _Acc(start_s=start)
        acc = self._acc
        for key, raw in values.items():
            x = np.asarray(raw, dtype=np.float64)
            y = x * x if "rms" in key else x
            if key in acc.sm:
                acc.mn[key] = np.fmin(acc.mn[key], x)
                acc.mx[key] = np.fmax(acc.mx[key], x)
                acc.sm[key] = acc.sm[key] + y * duration_s
            else:
                acc.mn[key], acc.mx[key], acc.sm[key] = x.copy(), x.copy(), y * duration_s
        acc.windows += 1
        acc.weight += duration_s
        acc.end_s = t0_s + duration_s
        if self.count is not None and acc.windows >= self.count:
            done = self._finish()
        return done

    def _finish(self) -> AggregateRecord:
        acc = self._acc
        assert acc is not None
        self._acc = None
        avg = {}
        for key, s in acc.sm.items():
            mean = s / acc.weight if acc.weight > 0 else s
            avg[key] = np.sqrt(mean) if "rms" in key else mean
        end = acc.end_s if self.period_s is None else acc.start_s + self.period_s
        return AggregateRecord(self.level, acc.start_s, end, acc.windows, acc.mn, avg, acc.mx)


class Aggregator:
    """The standard chain: 3 s (15 windows), 1 min and 10 min."""

    def __init__(self) -> None:
        self.levels = (
            IntervalAggregator("3s", count=15),
            IntervalAggregator("1min", period_s=60.0),
            IntervalAggregator("10min", period_s=600.0),
        )

    def add(
        self, t0_s: float, duration_s: float, values: Mapping[str, npt.ArrayLike]
    ) -> list[AggregateRecord]:
        out = []
        for level in self.levels:
            rec = level.add(t0_s, duration_s, values)
            if rec is not None:
                out.append(rec)
        return out


@dataclass(frozen=True, slots=True)
class DemandReading:
    demand: FloatArray
    """Average over the last ``window_s`` (sliding)."""
    max_demand: FloatArray
    max_demand_at_s: FloatArray


class DemandMeter:
    """Sliding-window demand (e.g. current or power, 15 min) and maximum demand per channel."""

    def __init__(self, n_channels: int, window_s: float = 900.0) -> None:
        self.window_s = window_s
        self._q: deque[tuple[float, float, FloatArray]] = deque()
        self._sum = np.zeros(n_channels)
        self._dur = 0.0
        self._adds = 0
        self.max_demand = np.full(n_channels, -np.inf)
        self.max_demand_at_s = np.full(n_channels, np.nan)

    def add(self, t0_s: float, duration_s: float, value: npt.ArrayLike) -> DemandReading:
        x = np.asarray(value, dtype=np.float64) * duration_s
        self._q.append((t0_s, duration_s, x))
        self._sum += x
        self._dur += duration_s
        end = t0_s + duration_s
        while self._q and self._q[0][0] + self._q[0][1] <= end - self.window_s + 1e-9:
            _, d, old = self._q.popleft()
            self._sum -= old
            self._dur -= d
        self._adds += 1
        if self._adds % 4096 == 0:  # bound the drift of the running sum
            self._sum = np.sum([e[2] for e in self._q], axis=0)
            self._dur = sum(e[1] for e in self._q)
        demand = self._sum / self._dur
        if self._dur >= self.window_s - 1e-6:  # only full windows count for maximum demand
            new = demand > self.max_demand
            self.max_demand = np.where(new, demand, self.max_demand)
            self.max_demand_at_s = np.where(new, end, self.max_demand_at_s)
        return DemandReading(demand, self.max_demand.copy(), self.max_demand_at_s.copy())

    def reset_max(self) -> None:
        self.max_demand[:] = -np.inf
        self.max_demand_at_s[:] = np.nan
