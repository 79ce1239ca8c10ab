"""Runtime: clock, tick loop, the snapshot and the port every interface reads through."""

from smartpdu.model.commands import (
    CommandResult,
    CommandStatus,
    OutletAction,
    OutletCommand,
    OutletOutcome,
)
from smartpdu.model.snapshot import (
    BranchSnapshot,
    ChannelReading,
    InletSnapshot,
    LeverSnapshot,
    OutletSnapshot,
    PduSnapshot,
    RackSnapshot,
    SensorSnapshot,
)
from smartpdu.runtime.clock import Clock, SimClock, WallClock
from smartpdu.runtime.port import NotReadyError, RackPort, RuntimeBackend
from smartpdu.runtime.rack import RackRuntime
from smartpdu.runtime.services import RuntimeServices

__all__ = [
    "BranchSnapshot",
    "ChannelReading",
    "Clock",
    "CommandResult",
    "CommandStatus",
    "InletSnapshot",
    "LeverSnapshot",
    "NotReadyError",
    "OutletAction",
    "OutletCommand",
    "OutletOutcome",
    "OutletSnapshot",
    "PduSnapshot",
    "RackPort",
    "RackRuntime",
    "RackSnapshot",
    "RuntimeBackend",
    "RuntimeServices",
    "SensorSnapshot",
    "SimClock",
    "WallClock",
]
