"""Measure a whole ``SampleBlock``: per-channel metrics keyed by the block's channel names."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smartpdu.hardware.samples import SampleBlock
from smartpdu.metering.calibration import CalibrationArrays, CalibrationSet, voltage_channel_name
from smartpdu.metering.window import WindowMetrics, measure_window

__all__ = ["COMPUTED_NEUTRAL", "BlockMetrics", "measure_block", "measured_channels"]

COMPUTED_NEUTRAL = "inlet/N"
_PHASES = ("inlet/L1", "inlet/L2", "inlet/L3")


@dataclass(frozen=True, slots=True)
class BlockMetrics:
    """Metrics of one block; ``channels[k]`` names row k of every array in ``metrics``."""

    pdu_id: str
    t0_s: float
    channels: tuple[str, ...]
    metrics: WindowMetrics
    neutral_computed: bool
    residual_ma: dict[str, float]

    def index(self, channel: str) -> int:
        return self.channels.index(channel)


def measured_channels(block: SampleBlock) -> tuple[str, ...]:
    """Names of the rows :func:`measure_block` reports (the block's, plus a computed neutral)."""
    channels = block.channels
    if COMPUTED_NEUTRAL not in channels and all(p in channels for p in _PHASES):
        return (*channels, COMPUTED_NEUTRAL)
    return channels


def measure_block(
    block: SampleBlock, calibration: CalibrationSet | CalibrationArrays | None = None
) -> BlockMetrics:
    """Measure every current channel against its phase voltage.

    Without a measured ``inlet/N`` but with all three inlet phases, the neutral current is computed
    as the instantaneous sum of the phase currents and appended as ``inlet/N``.
    """
    channels = block.channels
    current = block.current_a
    phase = np.asarray(block.channel_phase, dtype=np.intp)
    computed = False
    if COMPUTED_NEUTRAL not in channels and all(p in channels for p in _PHASES):
        rows = [channels.index(p) for p in _PHASES]
        neutral = current[rows].sum(axis=0)
        current = np.vstack([current, neutral[None]])
        phase = np.append(phase, 0)
        channels = (*channels, COMPUTED_NEUTRAL)
        computed = True
    if isinstance(calibration, CalibrationSet):
        vnames = [voltage_channel_name(r) for r in range(block.voltage_v.shape[0])]
        cal: CalibrationArrays | None = calibration.arrays(vnames, channels)
    else:
        cal = calibration
    metrics = measure_window(
        block.voltage_v,
        current,
        block.sample_rate_hz,
        block.nominal_hz,
        cal,
        channel_phase=phase,
    )
    residual = {
        name: float(x)
        for name, x in zip(block.residual_channels, np.asarray(block.residual_ma), strict=False)
    }
    return BlockMetrics(block.pdu_id, block.t0_s, channels, metrics, computed, residual)
