"""The hardware interface: what the runtime needs from a rack, twin or real.

Real drivers implement :class:`RackHardware` later without touching the layers above.
Calls are synchronous and CPU-bound for the twin; the runtime runs them off the event loop.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol, runtime_checkable

from smartpdu.hardware.samples import Acquisition

__all__ = ["LeverAction", "RackHardware"]


class LeverAction(StrEnum):
    UNLOCK = "unlock"
    LOCK = "lock"


@runtime_checkable
class RackHardware(Protocol):
    """A rack's power path and sensors, one measurement window at a time."""

    @property
    def pdu_ids(self) -> tuple[str, ...]: ...

    @property
    def window_samples(self) -> int:
        """Samples per channel in each window (e.g. 10 nominal cycles x 128)."""
        ...

    @property
    def window_s(self) -> float:
        """Duration of one window in seconds (10 cycles at 50 Hz, 12 at 60 Hz: ≈0.2 s)."""
        ...

    @property
    def now_s(self) -> float:
        """The hardware's monotonic time in seconds (start of the next window)."""
        ...

    def acquire(self) -> Acquisition:
        """Return the next window (samples, states, sensors); the twin advances time by one window."""
        ...

    def set_outlet(self, pdu_id: str, outlet_id: str, on: bool) -> None:
        """Drive the outlet relay coil; success is judged later from feedback and current."""
        ...

    def operate_lever(
        self, lever_id: str, action: LeverAction, hold_s: float | None = None
    ) -> None:
        """Unlock (for ``hold_s`` seconds, else the lever's own relock time) or lock."""
        ...
