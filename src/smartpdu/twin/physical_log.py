"""What physically happened inside the twin (trips, failovers, relay faults) — ground truth.

The controller never reads this log; runner summaries and tests compare it with what the
controller concluded from the samples alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["TwinEvent"]


@dataclass(frozen=True, slots=True)
class TwinEvent:
    """One physical occurrence at sim time ``t_s`` on ``target`` (``pdu-a/branch/B3``, ``feed/A``).

    Kinds: ``breaker_trip``, ``breaker_reset``, ``feed_loss``, ``feed_restore``, ``psu_failover``,
    ``psu_restore``, ``device_off``, ``device_on``, ``relay_fault``, ``surge`` (injected on a feed),
    ``surge_let_through`` (per PDU phase: the SPD's let-through peak and absorbed energy),
    ``arcing``, ``load_signature``.
    """

    t_s: float
    kind: str
    target: str
    detail: dict[str, float | str] = field(default_factory=dict)
