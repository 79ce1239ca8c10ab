"""Outlet control: commands, sequencing, priority load shedding and protection actions."""

from smartpdu.control.commands import CommandLedger, OpPhase, OutletOp, PendingCommand, aggregate
from smartpdu.control.plane import ControlPlane
from smartpdu.control.sequencer import PendingOn, PowerOnSequencer
from smartpdu.control.settings import ControlSettings, SheddingSettings, VerifySettings
from smartpdu.control.shedding import (
    LevelChange,
    LoadShedder,
    ScopeLoad,
    ShedCandidate,
    ShedDecision,
)
from smartpdu.control.types import (
    CommandTicket,
    KeyValue,
    MemoryKv,
    RelayCommand,
    TickOutput,
    as_kv,
)

__all__ = [
    "CommandLedger",
    "CommandTicket",
    "ControlPlane",
    "ControlSettings",
    "KeyValue",
    "LevelChange",
    "LoadShedder",
    "MemoryKv",
    "OpPhase",
    "OutletOp",
    "PendingCommand",
    "PendingOn",
    "PowerOnSequencer",
    "RelayCommand",
    "ScopeLoad",
    "ShedCandidate",
    "ShedDecision",
    "SheddingSettings",
    "TickOutput",
    "VerifySettings",
    "aggregate",
    "as_kv",
]
