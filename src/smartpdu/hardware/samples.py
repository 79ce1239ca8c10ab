"""Raw data crossing the hardware boundary: one measurement window of samples and states.

The twin and every real driver produce exactly these objects; everything above the hardware layer
(metering, protection, runtime) consumes only them.

Channel naming (stable, hierarchical): ``inlet/L1`` ``inlet/L2`` ``inlet/L3`` ``inlet/N``,
``branch/<id>``, ``outlet/<id>``. ``channel_phase[k]`` is the row of ``voltage_v`` that belongs to
current channel ``k`` (the neutral uses row 0; its power is meaningless and ignored).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from smartpdu.model.states import BreakerState

__all__ = [
    "Acquisition",
    "BreakerState",
    "LeverReading",
    "PduStatus",
    "PowerSource",
    "SampleBlock",
    "SensorReading",
    "SensorStatus",
]


@dataclass(frozen=True, slots=True)
class SampleBlock:
    """One synchronous window of raw samples of one PDU."""

    pdu_id: str
    t0_s: float
    """Start of the window on the acquisition clock (seconds; sim or wall epoch)."""
    sample_rate_hz: float
    nominal_hz: float
    voltage_v: npt.NDArray[np.floating]
    """Line-to-neutral voltages, shape (phases, n)."""
    current_a: npt.NDArray[np.floating]
    """Currents, shape (channels, n), channels as named in ``channels``."""
    channels: tuple[str, ...]
    channel_phase: npt.NDArray[np.intp]
    """Voltage row for each current channel, shape (channels,)."""
    residual_ma: npt.NDArray[np.floating] = field(default_factory=lambda: np.zeros(0))
    """Residual (RCM) current rms per entry of ``residual_channels`` in mA."""
    residual_channels: tuple[str, ...] = ()
    voltage_peak_v: npt.NDArray[np.floating] | None = None
    """Per phase: highest |v| over the window from the front end's analog peak detector, where
    the hardware has one (it sees surges far shorter than the sample period); None otherwise."""

    @property
    def n_samples(self) -> int:
        return int(self.current_a.shape[-1])

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.sample_rate_hz

    def channel_index(self, channel: str) -> int:
        """Row of ``current_a`` for a channel name; raises KeyError naming the channel."""
        try:
            return self.channels.index(channel)
        except ValueError:
            raise KeyError(f"no channel {channel!r} in block of PDU {self.pdu_id!r}") from None


class PowerSource(StrEnum):
    FEED_A = "feed_a"
    FEED_B = "feed_b"
    POE = "poe"
    NONE = "none"


class SensorStatus(StrEnum):
    OK = "ok"
    OPEN = "open"
    """Disconnected or broken wire: no value."""
    FAULT = "fault"


@dataclass(frozen=True, slots=True)
class SensorReading:
    sensor_id: str
    kind: str
    """temperature, humidity, voc, vibration, door, smoke, terminal_temperature, ..."""
    value: float | None
    unit: str
    status: SensorStatus = SensorStatus.OK


@dataclass(frozen=True, slots=True)
class LeverReading:
    lever_id: str
    locked: bool
    handle_open: bool


@dataclass(frozen=True, slots=True)
class ReaderEntry:
    """One presentation at a lever's keypad/card reader since the last window.

    The reader hands the controller what was typed or read; the controller decides (a reader
    holds no credentials). ``user`` + ``pin`` for the keypad, ``card`` for the card reader.
    """

    reader_id: str
    lever_id: str
    user: str | None = None
    pin: str | None = None
    card: str | None = None

    def __repr__(self) -> str:  # secrets never reach logs through a repr
        return (f"ReaderEntry(reader_id={self.reader_id!r}, lever_id={self.lever_id!r}, "
                f"user={self.user!r}, pin={'***' if self.pin else None}, "
                f"card={'***' if self.card else None})")  # fmt: skip


@dataclass(frozen=True, slots=True)
class PduStatus:
    """Discrete states of one PDU at the end of a window (relay feedback, breaker aux contacts)."""

    pdu_id: str
    feed_present: bool
    relay_closed: dict[str, bool]
    """Relay feedback contact per outlet id (what the hardware *senses*, not what was commanded)."""
    breakers: dict[str, BreakerState]
    """Per breaker id: ``inlet`` and each branch id."""
    relay_cycles: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Acquisition:
    """Everything the hardware delivers for one tick."""

    t0_s: float
    blocks: dict[str, SampleBlock]
    status: dict[str, PduStatus]
    sensors: tuple[SensorReading, ...] = ()
    levers: tuple[LeverReading, ...] = ()
    controller_power: PowerSource = PowerSource.FEED_A
    reader_entries: tuple[ReaderEntry, ...] = ()
    """Keypad and card-reader presentations since the last window (oldest first)."""
