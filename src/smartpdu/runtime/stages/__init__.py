"""The stages of today's tick, one module each, and :func:`default_stages` to register them."""

from smartpdu.runtime.stages.alarms import AlarmStage
from smartpdu.runtime.stages.decide import DecideStage, metered_outlets, overlay_decisions
from smartpdu.runtime.stages.defaults import StageParts, default_stages
from smartpdu.runtime.stages.demand import DemandStage
from smartpdu.runtime.stages.energy import EnergyStage
from smartpdu.runtime.stages.hotspot import HotspotStage
from smartpdu.runtime.stages.measure import MeasureStage
from smartpdu.runtime.stages.pairing import PairingStage
from smartpdu.runtime.stages.persist import PersistStage
from smartpdu.runtime.stages.publish import EventsStage
from smartpdu.runtime.stages.redundancy import RedundancyStage
from smartpdu.runtime.stages.residual import ResidualStage
from smartpdu.runtime.stages.risk import RiskStage
from smartpdu.runtime.stages.safety import FireStage, TamperStage
from smartpdu.runtime.stages.snapshot import SnapshotStage
from smartpdu.runtime.stages.watchers import QualityWatchStage, TransitionStage

__all__ = [
    "AlarmStage",
    "DecideStage",
    "DemandStage",
    "EnergyStage",
    "EventsStage",
    "FireStage",
    "HotspotStage",
    "MeasureStage",
    "PairingStage",
    "PersistStage",
    "QualityWatchStage",
    "RedundancyStage",
    "ResidualStage",
    "RiskStage",
    "SnapshotStage",
    "StageParts",
    "TamperStage",
    "TransitionStage",
    "default_stages",
    "metered_outlets",
    "overlay_decisions",
]
