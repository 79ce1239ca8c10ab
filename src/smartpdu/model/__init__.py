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
from smartpdu.model.harmonics import ChannelHarmonics, HarmonicSpectra
from smartpdu.model.ids import (
    EntityId,
    EntityKind,
    canonical_channel,
    canonical_metric_key,
    parse_entity_id,
)
from smartpdu.model.metrics import CATALOGUE, Kind, Level, Metric, RedfishProperty, display
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
from smartpdu.model.states import AlarmState, BreakerState, LeverState, OutletState, RelayState

__all__ = [
    "CATALOGUE",
    "AlarmState",
    "BranchSnapshot",
    "BreakerState",
    "ChannelHarmonics",
    "ChannelReading",
    "CommandResult",
    "CommandStatus",
    "EntityId",
    "EntityKind",
    "HarmonicSpectra",
    "InletSnapshot",
    "Kind",
    "Level",
    "LeverSnapshot",
    "LeverState",
    "Metric",
    "OutletAction",
    "OutletCommand",
    "OutletOutcome",
    "OutletSnapshot",
    "OutletState",
    "PduSnapshot",
    "RackSnapshot",
    "RedfishProperty",
    "RelayState",
    "SensorSnapshot",
    "canonical_channel",
    "canonical_metric_key",
    "display",
    "parse_entity_id",
]
