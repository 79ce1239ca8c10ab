"""Runtime: clock, tick loop, composition root, the snapshot every interface reads."""

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
from smartpdu.runtime.engine import RackRuntime
from smartpdu.runtime.factory import build_demo_runtime, build_twin_runtime
from smartpdu.runtime.services import RuntimeServices

__all__ = [
    "BranchSnapshot",
    "ChannelReading",
    "Clock",
    "CommandResult",
    "CommandStatus",
    "InletSnapshot",
    "LeverSnapshot",
    "OutletAction",
    "OutletCommand",
    "OutletOutcome",
    "OutletSnapshot",
    "PduSnapshot",
    "RackRuntime",
    "RackSnapshot",
    "RuntimeServices",
    "SensorSnapshot",
    "SimClock",
    "WallClock",
    "build_demo_runtime",
    "build_twin_runtime",
]
