"""Harmonic spectra of one PDU's channels as measured in the last window (orders 1..50).

The meter computes the group rms of every order for every channel anyway; the snapshot carries
them so REST can serve them without recomputing. Phases cost as much as the rest of the harmonic
analysis, so they are taken from the meter only when someone reads them (once per snapshot).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["ChannelHarmonics", "HarmonicSpectra"]

Rows = npt.NDArray[np.float64]
"""(channels, orders) array."""


@dataclass(frozen=True, slots=True)
class ChannelHarmonics:
    """One channel: group rms and phase (degrees vs. its phase voltage's fundamental) per order."""

    channel: str
    current_a: tuple[float | None, ...]
    current_phase_deg: tuple[float | None, ...]
    voltage_v: tuple[float | None, ...]
    voltage_phase_deg: tuple[float | None, ...]

    @property
    def orders(self) -> range:
        return range(1, len(self.current_a) + 1)


def _clean(row: Sequence[float] | Rows) -> tuple[float | None, ...]:
    return tuple(float(x) if math.isfinite(x) else None for x in np.asarray(row).tolist())


class HarmonicSpectra:
    """Row-per-channel magnitudes plus lazily computed phases, shared by every reader."""

    __slots__ = ("_lock", "_phase_result", "_phases", "channels", "current_a", "voltage_v")

    def __init__(
        self,
        channels: Sequence[str],
        current_a: Rows,
        voltage_v: Rows,
        phases: Callable[[], tuple[Rows, Rows]],
    ) -> None:
        """``phases`` returns (current, voltage) phase rows in degrees, same layout as the rms."""
        self.channels = {c: k for k, c in enumerate(channels)}
        self.current_a = current_a
        self.voltage_v = voltage_v
        self._phases = phases
        self._phase_result: tuple[Rows, Rows] | None = None
        self._lock = threading.Lock()

    def __deepcopy__(self, memo: dict[int, Any]) -> HarmonicSpectra:
        return self  # immutable for its readers; dataclasses.asdict must not copy the arrays

    def of(self, channel: str) -> ChannelHarmonics | None:
        """The spectra of one channel (``inlet/L1``, ``outlet/7``), or None if not measured."""
        k = self.channels.get(channel)
        if k is None:
            return None
        with self._lock:
            if self._phase_result is None:
                self._phase_result = self._phases()
            pi, pv = self._phase_result
        return ChannelHarmonics(
            channel=channel,
            current_a=_clean(self.current_a[k]),
            current_phase_deg=_clean(pi[k]),
            voltage_v=_clean(self.voltage_v[k]),
            voltage_phase_deg=_clean(pv[k]),
        )

    def __repr__(self) -> str:
        return f"HarmonicSpectra(channels={len(self.channels)})"
