"""Power supplies: load sharing with failover, inrush state and leakage current.

A device's PSUs share its power in the configured (uneven) split, which wanders slowly (±3 points,
firmware/temperature). A PSU whose input is dead carries nothing; the survivors take the whole
device in proportion to their shares. A PSU whose input comes back charges its bulk capacitor
(inrush) and soft-starts under the same envelope.

Leakage (protective-conductor current, Y-capacitors and insulation) grows with humidity:
factor 1 up to 50 % RH, then +1 per 25 % RH (3× at 100 % RH).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = [
    "PsuBank",
    "effective_shares",
    "humidity_leakage_factor",
]

FArray = npt.NDArray[np.float64]
BArray = npt.NDArray[np.bool_]
IArray = npt.NDArray[np.intp]

SHARE_DRIFT_LIMIT = 0.03
SHARE_DRIFT_SIGMA = 0.0005
"""Per-window step of the share random walk (a few minutes to cross the ±3-point range)."""
_DRIFT_BATCH = 256
"""Windows of random-walk steps drawn per generator call (one call per window costs more than
the step)."""


def effective_shares(share: FArray, device: IArray, alive: BArray, n_devices: int) -> FArray:
    """Return each PSU's fraction of its device's power given which PSUs are alive."""
    w = np.where(alive, share, 0.0)
    total = np.bincount(device, weights=w, minlength=n_devices)[device]
    return np.divide(w, total, out=np.zeros_like(w), where=total > 0.0)


def humidity_leakage_factor(rh_pct: float) -> float:
    """Multiplier of the dry leakage current at relative humidity ``rh_pct``."""
    return 1.0 + max(rh_pct - 50.0, 0.0) / 25.0


@dataclass(slots=True)
class PsuBank:
    """State of every PSU in the rack (flat arrays, index = PSU number)."""

    device: IArray
    share_cfg: FArray
    n_devices: int
    inrush_peak_a: FArray
    inrush_tau_s: FArray
    leak_ma: FArray
    share_drift: FArray = field(init=False)
    alive: BArray = field(init=False)
    inrush_start_s: FArray = field(init=False)
    inrush_amp_a: FArray = field(init=False)
    """Envelope amplitude fixed in the first inrush window so the first pulse peaks at the
    configured ``inrush_peak_a``; NaN while not yet fixed."""
    _walk: FArray = field(init=False)
    _walk_k: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        n = len(self.device)
        self._walk = np.empty((0, n))
        self.share_drift = np.zeros(n)
        self.alive = np.zeros(n, dtype=bool)
        self.inrush_start_s = np.full(n, np.nan)
        self.inrush_amp_a = np.full(n, np.nan)

    def shares(self, alive: BArray) -> FArray:
        share = np.maximum(self.share_cfg + self.share_drift, 0.01)
        return effective_shares(share, self.device, alive, self.n_devices)

    def drift(self, rng: np.random.Generator) -> None:
        """One window of the slow sharing drift (bounded, reflected at the limits)."""
        if self._walk_k >= len(self._walk):
            self._walk = rng.normal(0.0, SHARE_DRIFT_SIGMA, (_DRIFT_BATCH, len(self.device)))
            self._walk_k = 0
        d = self.share_drift + self._walk[self._walk_k]
        self._walk_k += 1
        d = np.where(d > SHARE_DRIFT_LIMIT, 2 * SHARE_DRIFT_LIMIT - d, d)
        self.share_drift = np.where(d < -SHARE_DRIFT_LIMIT, -2 * SHARE_DRIFT_LIMIT - d, d)

    def start_inrush(self, psus: IArray, t_s: float) -> None:
        self.inrush_start_s[psus] = t_s
        self.inrush_amp_a[psus] = np.nan

    def inrush_active(self, t0_s: float) -> IArray:
        """PSUs whose inrush envelope is still above 0.1 % at the start of the window."""
        age = t0_s - self.inrush_start_s
        return np.flatnonzero(age < 7.0 * self.inrush_tau_s)

    def stop_inrush(self, psus: IArray | BArray) -> None:
        self.inrush_start_s[psus] = np.nan
