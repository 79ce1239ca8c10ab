"""Surge bursts, severity buckets, counters and the SPD's energy budget (pure, one per PDU).

Each window the stage hands over what the voltage features showed per phase
(:class:`SurgeObservation`); observations closer than ``burst_gap_s`` belong to one burst. A
burst closes once the gap has passed without a new observation: it is then counted once — at the
PDU, at every phase it hit and at every branch the stage attributes to those phases — in the
bucket of its highest peak, and it is reported once (``SURGE_DETECTED``). The SPD's absorbed
energy accumulates over all bursts; passing ``spd.energy_budget_j`` is reported once
(``SPD_END_OF_LIFE``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from smartpdu.config.surge_arc import SurgeConfig

__all__ = [
    "BUCKETS",
    "ClosedBurst",
    "SurgeBook",
    "SurgeObservation",
    "SurgeSeverity",
    "SurgeTracker",
    "severity_of",
]


class SurgeSeverity(StrEnum):
    MINOR = "minor"
    MAJOR = "major"
    SEVERE = "severe"


BUCKETS: tuple[SurgeSeverity, ...] = tuple(SurgeSeverity)


def severity_of(peak_pu: float, cfg: SurgeConfig) -> SurgeSeverity:
    """Bucket of a burst by its peak in per unit of √2·Vnom."""
    if peak_pu >= cfg.severe_pu:
        return SurgeSeverity.SEVERE
    if peak_pu >= cfg.major_pu:
        return SurgeSeverity.MAJOR
    return SurgeSeverity.MINOR


@dataclass(frozen=True, slots=True)
class SurgeObservation:
    """One phase of one window that showed a surge."""

    t_s: float
    line: str
    peak_v: float
    peak_pu: float
    dvdt_v_per_us: float
    energy_j: float
    reason: str
    """``SURGE_PEAK`` (above the threshold) or ``SURGE_DVDT`` (a steep transient)."""


@dataclass(slots=True)
class _Burst:
    start_s: float
    last_s: float
    peak_v: float = 0.0
    peak_pu: float = 0.0
    dvdt_v_per_us: float = 0.0
    energy_j: float = 0.0
    windows: int = 0
    lines: dict[str, float] = field(default_factory=dict)
    """Peak per line hit."""
    reason: str = "SURGE_DVDT"


@dataclass(frozen=True, slots=True)
class ClosedBurst:
    start_s: float
    end_s: float
    severity: SurgeSeverity
    peak_v: float
    peak_pu: float
    dvdt_v_per_us: float
    energy_j: float
    windows: int
    lines: tuple[str, ...]
    reason: str


class SurgeTracker:
    """Groups one PDU's observations into bursts."""

    def __init__(self, cfg: SurgeConfig) -> None:
        self.cfg = cfg
        self._open: _Burst | None = None

    @property
    def open(self) -> bool:
        return self._open is not None

    def update(
        self, t_s: float, window_s: float, observations: list[SurgeObservation]
    ) -> ClosedBurst | None:
        """Add one window's observations; return the burst that just closed, if any."""
        closed = None
        b = self._open
        if b is not None and observations and t_s - b.last_s > self.cfg.burst_gap_s + 1e-9:
            closed, b = self._close(b), None
        if observations:
            if b is None:
                b = _Burst(t_s, t_s)
            b.last_s = t_s
            b.windows += 1
            for o in observations:
                b.lines[o.line] = max(b.lines.get(o.line, 0.0), o.peak_v)
                b.energy_j += o.energy_j
                b.dvdt_v_per_us = max(b.dvdt_v_per_us, o.dvdt_v_per_us)
                if o.peak_v > b.peak_v:
                    b.peak_v, b.peak_pu = o.peak_v, o.peak_pu
                if o.reason == "SURGE_PEAK":
                    b.reason = "SURGE_PEAK"
            self._open = b
        elif b is not None and t_s + window_s - b.last_s > self.cfg.burst_gap_s + 1e-9:
            closed, self._open = self._close(b), None
        return closed

    def _close(self, b: _Burst) -> ClosedBurst:
        return ClosedBurst(b.start_s, b.last_s, severity_of(b.peak_pu, self.cfg), b.peak_v,
                           b.peak_pu, b.dvdt_v_per_us, b.energy_j, b.windows,
                           tuple(sorted(b.lines)), b.reason)  # fmt: skip


class SurgeBook:
    """Counters per entity (``inlet``, ``inlet/L1``, ``branch/B3``) and bucket, and the SPD's
    cumulative energy, of one PDU."""

    def __init__(self) -> None:
        self.counts: dict[str, dict[SurgeSeverity, int]] = {}
        self.energy_j = 0.0
        self.end_of_life = False

    def record(self, burst: ClosedBurst, entities: list[str]) -> None:
        for key in ("inlet", *entities):
            bucket = self.counts.setdefault(key, dict.fromkeys(BUCKETS, 0))
            bucket[burst.severity] += 1
        self.energy_j += burst.energy_j

    def budget_passed(self, budget_j: float) -> bool:
        """True once, the first time the energy reaches ``budget_j``."""
        if self.end_of_life or self.energy_j < budget_j:
            return False
        self.end_of_life = True
        return True

    def count(self, key: str, severity: SurgeSeverity) -> int:
        return self.counts.get(key, {}).get(severity, 0)
