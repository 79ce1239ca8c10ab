"""Versioned per-channel calibration coefficients with CRC32 integrity.

A channel's physical value is ``gain * (raw - offset)``; ``phase_deg`` is how far the channel's
signal lags the true one at the nominal frequency, modelled as a pure delay (so the correction at
harmonic h is h times larger). The DSP removes it by a phasor rotation of every spectral bin.

Each channel entry and the whole set carry a CRC32 over canonical JSON. A channel whose CRC (or
the set's CRC) does not match is *degraded*: its coefficients are not used and its values carry
``QualityFlag.CALIBRATION_DEGRADED``.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "CalibrationArrays",
    "CalibrationSet",
    "ChannelCoefficients",
    "voltage_channel_name",
]


def voltage_channel_name(row: int) -> str:
    """Calibration key of voltage row ``row`` (``voltage/L1`` for row 0)."""
    return f"voltage/L{row + 1}"


def _crc(obj: Any) -> int:
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return zlib.crc32(text.encode("utf-8"))


@dataclass(frozen=True, slots=True)
class ChannelCoefficients:
    """Gain, phase and offset of one channel; ``crc32`` covers the channel name and values."""

    gain: float = 1.0
    phase_deg: float = 0.0
    offset: float = 0.0
    crc32: int | None = None

    def canonical(self, channel: str) -> dict[str, Any]:
        return {
            "channel": channel,
            "gain": float(self.gain),
            "phase_deg": float(self.phase_deg),
            "offset": float(self.offset),
        }

    def sealed(self, channel: str) -> ChannelCoefficients:
        """Copy with the CRC computed for ``channel``."""
        return replace(self, crc32=_crc(self.canonical(channel)))

    def crc_ok(self, channel: str) -> bool:
        return self.crc32 is not None and self.crc32 == _crc(self.canonical(channel))


@dataclass(frozen=True, slots=True)
class CalibrationArrays:
    """Coefficients laid out for the DSP: one entry per voltage row and per current row."""

    v_gain: npt.NDArray[np.float64]
    v_phase_deg: npt.NDArray[np.float64]
    v_offset: npt.NDArray[np.float64]
    v_degraded: npt.NDArray[np.bool_]
    i_gain: npt.NDArray[np.float64]
    i_phase_deg: npt.NDArray[np.float64]
    i_offset: npt.NDArray[np.float64]
    i_degraded: npt.NDArray[np.bool_]

    @classmethod
    def identity(cls, n_voltage: int, n_current: int) -> CalibrationArrays:
        return cls(
            v_gain=np.ones(n_voltage),
            v_phase_deg=np.zeros(n_voltage),
            v_offset=np.zeros(n_voltage),
            v_degraded=np.zeros(n_voltage, dtype=bool),
            i_gain=np.ones(n_current),
            i_phase_deg=np.zeros(n_current),
            i_offset=np.zeros(n_current),
            i_degraded=np.zeros(n_current, dtype=bool),
        )


@dataclass(frozen=True, slots=True)
class CalibrationSet:
    """One version of all coefficients of a PDU.

    ``timestamp`` is supplied by the caller (RFC 3339 text) — domain code never reads a clock.
    """

    version: int
    timestamp: str
    source: str
    channels: Mapping[str, ChannelCoefficients] = field(default_factory=dict)
    crc32: int | None = None

    def _canonical(self) -> dict[str, Any]:
        """Metadata plus each channel's CRC (channel values are covered by their own CRC)."""
        return {
            "version": int(self.version),
            "timestamp": self.timestamp,
            "source": self.source,
            "channels": {name: c.crc32 for name, c in sorted(self.channels.items())},
        }

    @classmethod
    def create(
        cls,
        version: int,
        timestamp: str,
        source: str,
        channels: Mapping[str, ChannelCoefficients],
    ) -> CalibrationSet:
        """Build a sealed set (every channel CRC and the set CRC computed)."""
        sealed = {name: c.sealed(name) for name, c in channels.items()}
        unsealed = cls(version, timestamp, source, sealed)
        return replace(unsealed, crc32=_crc(unsealed._canonical()))

    def updated(
        self,
        changes: Mapping[str, ChannelCoefficients],
        version: int,
        timestamp: str,
        source: str,
    ) -> CalibrationSet:
        """New sealed version with ``changes`` applied; version must increase."""
        if version <= self.version:
            raise ValueError(f"calibration version must increase beyond {self.version}")
        merged = {**self.channels, **changes}
        return CalibrationSet.create(version, timestamp, source, merged)

    def set_crc_ok(self) -> bool:
        return self.crc32 is not None and self.crc32 == _crc(self._canonical())

    def degraded_channels(self) -> frozenset[str]:
        """Channels whose coefficients must not be used (all of them if the set CRC is bad)."""
        if not self.set_crc_ok():
            return frozenset(self.channels)
        return frozenset(n for n, c in self.channels.items() if not c.crc_ok(n))

    def arrays(
        self, voltage_names: Sequence[str], current_names: Sequence[str]
    ) -> CalibrationArrays:
        """Lay the coefficients out for the DSP; missing channels get unit coefficients."""
        bad = self.degraded_channels()

        def column(names: Sequence[str]) -> tuple[np.ndarray, ...]:
            gain = np.ones(len(names))
            phase = np.zeros(len(names))
            offset = np.zeros(len(names))
            degraded = np.zeros(len(names), dtype=bool)
            for k, name in enumerate(names):
                c = self.channels.get(name)
                if c is None:
                    continue
                if name in bad:
                    degraded[k] = True
                    continue
                gain[k], phase[k], offset[k] = c.gain, c.phase_deg, c.offset
            return gain, phase, offset, degraded

        vg, vp, vo, vd = column(voltage_names)
        ig, ip, io, idg = column(current_names)
        return CalibrationArrays(vg, vp, vo, vd, ig, ip, io, idg)

    def to_dict(self) -> dict[str, Any]:
        return {
            **self._canonical(),
            "channels": {
                name: {**c.canonical(name), "crc32": c.crc32}
                for name, c in sorted(self.channels.items())
            },
            "crc32": self.crc32,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CalibrationSet:
        """Load as stored, without resealing, so a corrupted record stays detectable."""
        channels = {
            name: ChannelCoefficients(
                gain=float(c["gain"]),
                phase_deg=float(c["phase_deg"]),
                offset=float(c["offset"]),
                crc32=None if c.get("crc32") is None else int(c["crc32"]),
            )
            for name, c in data.get("channels", {}).items()
        }
        crc = data.get("crc32")
        return cls(
            version=int(data["version"]),
            timestamp=str(data["timestamp"]),
            source=str(data["source"]),
            channels=channels,
            crc32=None if crc is None else int(crc),
        )
