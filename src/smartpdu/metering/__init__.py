"""Metering: IEC-grade power and quality metrics, aggregation, energy registers, calibration."""

from smartpdu.metering.aggregation import (
    AggregateRecord,
    Aggregator,
    DemandMeter,
    DemandReading,
    IntervalAggregator,
)
from smartpdu.metering.block import COMPUTED_NEUTRAL, BlockMetrics, measure_block
from smartpdu.metering.calibration import (
    CalibrationArrays,
    CalibrationSet,
    ChannelCoefficients,
    voltage_channel_name,
)
from smartpdu.metering.capture import CaptureAnalysis, CaptureError, analyze_capture
from smartpdu.metering.consistency import Finding, check_hierarchy, ghost_power
from smartpdu.metering.factory import (
    CalibrationError,
    FactoryResult,
    ReferencePoint,
    factory_calibrate,
)
from smartpdu.metering.flags import QualityFlag, flag_names, flag_tuple
from smartpdu.metering.frequency import estimate_frequency
from smartpdu.metering.registers import QUANTITIES, EnergyRegisters, RegisterReset
from smartpdu.metering.window import (
    MAX_ORDER,
    Harmonics,
    WindowMetrics,
    measure_window,
    nominal_cycles,
)

__all__ = [
    "COMPUTED_NEUTRAL",
    "MAX_ORDER",
    "QUANTITIES",
    "AggregateRecord",
    "Aggregator",
    "BlockMetrics",
    "CalibrationArrays",
    "CalibrationError",
    "CalibrationSet",
    "CaptureAnalysis",
    "CaptureError",
    "ChannelCoefficients",
    "DemandMeter",
    "DemandReading",
    "EnergyRegisters",
    "FactoryResult",
    "Finding",
    "Harmonics",
    "IntervalAggregator",
    "QualityFlag",
    "ReferencePoint",
    "RegisterReset",
    "WindowMetrics",
    "analyze_capture",
    "check_hierarchy",
    "estimate_frequency",
    "factory_calibrate",
    "flag_names",
    "flag_tuple",
    "ghost_power",
    "measure_block",
    "measure_window",
    "nominal_cycles",
    "voltage_channel_name",
]
