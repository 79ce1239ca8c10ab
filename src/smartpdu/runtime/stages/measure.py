"""Measure stage: DSP on each PDU's sample block with its calibration laid out for the block."""

from __future__ import annotations

from collections.abc import Mapping

from smartpdu.hardware import SampleBlock
from smartpdu.metering import (
    CalibrationArrays,
    CalibrationSet,
    measure_block,
    voltage_channel_name,
)
from smartpdu.metering.block import measured_channels
from smartpdu.runtime.pipeline import Phase, StageBase, TickFrame

__all__ = ["MeasureStage"]


class MeasureStage(StageBase):
    """``PduFrame.metered`` for every PDU: values with quality flags, NaN kept."""

    name = "measure"
    phase = Phase.MEASURE

    def __init__(self, calibration: Mapping[str, CalibrationSet] | None = None) -> None:
        self._calibration = dict(calibration or {})
        self._arrays: dict[tuple[str, int, tuple[str, ...]], CalibrationArrays] = {}

    def run(self, frame: TickFrame) -> None:
        for pdu_id, pf in frame.pdus.items():
            pf.metered = measure_block(pf.block, self.arrays(pdu_id, pf.block))

    def set_calibration(self, pdu_id: str, calibration: CalibrationSet) -> None:
        """Measure ``pdu_id`` with ``calibration`` from the next window on (any thread)."""
        self._calibration = {**self._calibration, pdu_id: calibration}

    def arrays(self, pdu_id: str, block: SampleBlock) -> CalibrationArrays | None:
        """The PDU's coefficients laid out for this block's channels (CRC checks done once)."""
        cal = self._calibration.get(pdu_id)
        if cal is None:
            return None
        # The version is in the key: a set installed while running never meets stale arrays.
        key = (pdu_id, cal.version, block.channels)
        arrays = self._arrays.get(key)
        if arrays is None:
            vnames = [voltage_channel_name(r) for r in range(block.voltage_v.shape[0])]
            arrays = self._arrays[key] = cal.arrays(vnames, measured_channels(block))
        return arrays
