"""Today's set of stages, built from the parts the runtime owns."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

from smartpdu.config import RackConfig
from smartpdu.control import ControlPlane
from smartpdu.events import EventLog
from smartpdu.hardware import RackHardware
from smartpdu.metering import CalibrationSet
from smartpdu.runtime.energy import EnergyBook
from smartpdu.runtime.lever_desk import LeverDesk
from smartpdu.runtime.pipeline import Stage
from smartpdu.runtime.stages.alarms import AlarmStage
from smartpdu.runtime.stages.arc import ArcStage
from smartpdu.runtime.stages.decide import DecideStage
from smartpdu.runtime.stages.demand import DemandStage
from smartpdu.runtime.stages.energy import EnergyStage
from smartpdu.runtime.stages.hotspot import HotspotStage
from smartpdu.runtime.stages.levers import LeverStage
from smartpdu.runtime.stages.measure import MeasureStage
from smartpdu.runtime.stages.pairing import PairingStage
from smartpdu.runtime.stages.persist import PersistStage, retention_policy
from smartpdu.runtime.stages.publish import EventsStage
from smartpdu.runtime.stages.redundancy import RedundancyStage
from smartpdu.runtime.stages.residual import ResidualStage
from smartpdu.runtime.stages.risk import RiskStage
from smartpdu.runtime.stages.safety import FireStage, TamperStage
from smartpdu.runtime.stages.snapshot import SnapshotStage
from smartpdu.runtime.stages.surge import SurgeStage
from smartpdu.runtime.stages.watchers import QualityWatchStage, TransitionStage
from smartpdu.runtime.writer import StoreWriter
from smartpdu.storage import Store

__all__ = ["StageParts", "default_stages"]


@dataclass(frozen=True, slots=True)
class StageParts:
    """What the runtime hands to whoever builds its stages."""

    config: RackConfig
    hardware: RackHardware
    store: Store
    events: EventLog
    control: ControlPlane
    energy: EnergyBook
    writer: StoreWriter
    control_lock: threading.RLock
    calibration: Mapping[str, CalibrationSet]
    persist_interval_s: float = 1.0
    demand_window_s: float = 900.0
    levers: LeverDesk | None = None
    """Rack access desk; its stage runs when given (the runtime always gives one)."""


def default_stages(parts: StageParts) -> list[Stage]:
    """measure → energy, demand, snapshot, surge, arc, watchers, alarms, fire, tamper, residual
    trend, hotspot, redundancy, risk, psu-pairing → levers, decide → events → persist."""
    alarms = AlarmStage(parts.config, parts.store.alarm_state, parts.writer, parts.events)
    fire = FireStage(parts.config, parts.control, parts.hardware, parts.control_lock)
    residual = ResidualStage(parts.config, parts.store.residual_trends, parts.writer)
    hotspot = HotspotStage(parts.config)
    redundancy = RedundancyStage()
    return [
        MeasureStage(parts.calibration),
        EnergyStage(parts.energy),
        DemandStage(
            parts.config,
            parts.store.max_demand,
            parts.writer,
            window_s=parts.demand_window_s,
            # a rising maximum is saved at most once a minute (flash wear; lost on kill -9: ≤ 60 s
            # of a rise, the stop saves it)
            save_interval_s=max(60.0, parts.persist_interval_s),
        ),
        SnapshotStage(parts.control),
        # right after the snapshot: they lay their counters over it, which the alarm rules read
        SurgeStage(parts.config),
        ArcStage(parts.config, parts.control, parts.control_lock),
        TransitionStage(),
        QualityWatchStage(),
        alarms,
        fire,
        TamperStage(parts.config, parts.levers.watch.authorised if parts.levers else None),
        residual,
        hotspot,
        redundancy,
        RiskStage(alarms, residual, hotspot, redundancy, fire),
        PairingStage(),
        *([LeverStage(parts.levers)] if parts.levers else []),
        DecideStage(parts.control, parts.hardware, parts.control_lock, parts.events),
        EventsStage(parts.events),
        PersistStage(
            parts.store,
            parts.writer,
            parts.energy,
            interval_s=parts.persist_interval_s,
            retention=retention_policy(parts.config.storage),
        ),
    ]
