"""Hardware boundary: sample/state data types and the interface twin and drivers implement."""

from smartpdu.hardware.interface import LeverAction, RackHardware
from smartpdu.hardware.samples import (
    Acquisition,
    BreakerState,
    LeverReading,
    PduStatus,
    PowerSource,
    ReaderEntry,
    SampleBlock,
    SensorReading,
    SensorStatus,
)

__all__ = [
    "Acquisition",
    "BreakerState",
    "LeverAction",
    "LeverReading",
    "PduStatus",
    "PowerSource",
    "RackHardware",
    "ReaderEntry",
    "SampleBlock",
    "SensorReading",
    "SensorStatus",
]
