"""The bottom floor: snapshot dataclasses, commands, typed states, entity ids, the metric catalogue.

Everything above (metering, protection, control, runtime, every interface) may import it; it
imports nothing of the controller.
"""

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

__all__ = [
    "BranchSnapshot",
    "ChannelReading",
    "CommandResult",
    "CommandStatus",
    "InletSnapshot",
    "LeverSnapshot",
    "OutletAction",
    "OutletCommand",
    "OutletOutcome",
    "OutletSnapshot",
    "PduSnapshot",
    "RackSnapshot",
    "SensorSnapshot",
]
