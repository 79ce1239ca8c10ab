"""Series-arc suspicion per outlet over consecutive windows (pure; IEC 62606-inspired).

IEC 62606 does not let an AFDD trip on one arcing half-cycle: it asks for a number of arcing
half-cycles within a time window that shrinks as the current grows. The same idea here, at
window granularity: a window is *arc-like* when all three features of
:mod:`smartpdu.metering.arc` exceed their limits (HF content, half-cycle irregularity, shoulders)
at a current high enough to sustain an arc; an outlet is *suspected* when at least
``min_arcing_windows`` of its last ``windows`` windows were arc-like. The suspicion clears once
no window has been arc-like for ``clear_s``; then it may be raised again.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from smartpdu.config.surge_arc import ArcConfig

__all__ = ["ArcDetector", "arc_like"]

BArray = npt.NDArray[np.bool_]
FArray = npt.NDArray[np.float64]


def arc_like(
    hf: FArray, irregularity: FArray, shoulder_s: FArray, rms_a: FArray, cfg: ArcConfig
) -> BArray:
    """Windows showing all three arc marks at a current that can sustain an arc (NaN: no)."""
    with np.errstate(invalid="ignore"):
        return (
            (rms_a >= cfg.min_current_a)
            & (hf >= cfg.hf_limit)
            & (irregularity >= cfg.irregularity_limit)
            & (shoulder_s >= cfg.shoulder_limit_ms * 1e-3)
        )


class ArcDetector:
    """Sliding count of arc-like windows of ``n`` outlets."""

    def __init__(self, n: int, cfg: ArcConfig) -> None:
        self.cfg = cfg
        self._ring = np.zeros((cfg.windows, n), dtype=bool)
        self._k = 0
        self.count = np.zeros(n, dtype=np.int64)
        self.suspected = np.zeros(n, dtype=bool)
        self._last_arc_s = np.full(n, -np.inf)

    def update(self, t_s: float, like: BArray) -> tuple[list[int], list[int]]:
        """One window's arc-like flags; returns (outlets newly suspected, suspicions cleared)."""
        old = self._ring[self._k]
        self.count += like.astype(np.int64) - old
        self._ring[self._k] = like
        self._k = (self._k + 1) % len(self._ring)
        self._last_arc_s[like] = t_s
        raised = np.flatnonzero(~self.suspected & (self.count >= self.cfg.min_arcing_windows))
        self.suspected[raised] = True
        cleared = np.flatnonzero(self.suspected & (t_s - self._last_arc_s > self.cfg.clear_s))
        self.suspected[cleared] = False
        return raised.tolist(), cleared.tolist()

    def score(self) -> FArray:
        """Share of the last ``windows`` windows that were arc-like, per outlet (0–1)."""
        return self.count / len(self._ring)
