"""Pydantic response models of the native API (they make the OpenAPI document precise).

Request models live in :mod:`smartpdu.api.requests`.
Measurement fields are ``float | None``: ``None`` means "not measured / not finite", never a
made-up zero. Units are in the field names (DESIGN §8).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from smartpdu.access import Role
from smartpdu.model.metrics import Level, metrics_for

__all__ = [
    "BranchOut",
    "CommandResultOut",
    "ConfigApplied",
    "ConfigOut",
    "ConfigVersionOut",
    "EnergyChannelOut",
    "EnergyHistoryOut",
    "EnergyPointOut",
    "EnergyResetOut",
    "EventOut",
    "EventPage",
    "HarmonicsOut",
    "Health",
    "HistoryOut",
    "HistoryPointOut",
    "InletOut",
    "LeverOut",
    "LoginResponse",
    "Me",
    "OutletOut",
    "OutletOutcomeOut",
    "PduOut",
    "PduSummary",
    "PhaseOut",
    "SensorOut",
    "UserOut",
]

Num = float | None


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _metric_model(name: str, level: Level) -> type[_Out]:
    """A model holding the catalogue's REST fields of one level (unit and meaning documented)."""
    fields: dict[str, Any] = {
        m.rest: (
            int | None if m.precision == 0 else Num,
            Field(description=f"{m.description} [{m.unit}, {m.kind}]"),
        )
        for m in metrics_for(level)
        if m.rest
    }
    return create_model(name, __base__=_Out, **fields)


if TYPE_CHECKING:  # mypy sees the plain base; the fields come from the metric catalogue
    _PhaseMetrics = _Out
    _InletMetrics = _Out
    _BranchMetrics = _Out
    _OutletMetrics = _Out
else:
    _PhaseMetrics = _metric_model("_PhaseMetrics", Level.PHASE)
    _InletMetrics = _metric_model("_InletMetrics", Level.INLET)
    _BranchMetrics = _metric_model("_BranchMetrics", Level.BRANCH)
    _OutletMetrics = _metric_model("_OutletMetrics", Level.OUTLET)


class Health(_Out):
    status: str = Field(description='"ok" once the runtime publishes snapshots, else "starting"')
    version: str
    uptime_s: float
    tick: int | None
    last_window_utc: str | None = Field(description="RFC 3339 end time of the last window")
    rack_name: str | None
    tick_overruns: int = Field(
        0, description="Times the tick loop fell behind and resynchronised (TICK_OVERRUN events)"
    )


class LoginResponse(_Out):
    token: str = Field(description="Send as `Authorization: Bearer <token>`")
    expires_utc: datetime
    role: Role


class Me(_Out):
    username: str
    role: Role
    permissions: list[str]


class UserOut(_Out):
    username: str
    role: Role
    created_utc: datetime
    disabled: bool


class PhaseOut(_PhaseMetrics):
    """One inlet phase; every measurement field comes from the metric catalogue."""

    id: str = Field(description="L1, L2 or L3")


class InletOut(_InletMetrics):
    """Inlet state and totals (catalogue fields) plus the per-phase readings."""

    feed: str
    feed_present: bool
    rating_a: Num
    breaker_state: str = Field(description='"closed" or "tripped"')
    demand_current_a: dict[str, Num] = Field(description="15-min demand current per phase")
    max_demand_current_a: dict[str, Num] = Field(description="Maximum demand current per phase")
    phases: list[PhaseOut]


class BranchOut(_BranchMetrics):
    """A branch circuit: breaker and configuration, plus the catalogue's branch metrics."""

    id: str
    name: str
    line: str
    breaker_kind: str
    curve: str
    rating_a: Num
    breaker_state: str = Field(description='"closed" or "tripped"')
    outlets: list[str]


class OutletOut(_OutletMetrics):
    """An outlet: state and configuration, plus the catalogue's outlet metrics."""

    id: str
    name: str
    state: str = Field(description='"on" or "off" as sensed by relay feedback')
    priority: str
    group: str | None
    branch: str
    line: str
    connector: str
    rating_a: Num
    locked_out: bool
    commanded_on: bool
    relay_closed: bool
    flags: list[str] = Field(description="Quality flags of the last window (why a value is null)")


class HarmonicsOut(_Out):
    """Harmonic group rms (IEC 61000-4-7) per order 1..50 of one channel, index 0 = order 1."""

    pdu_id: str
    channel: str = Field(description="Entity id inside the PDU: inlet/L1 or outlet/7")
    orders: list[int]
    current_a: list[Num]
    current_phase_deg: list[Num] = Field(
        description="Phase vs. the fundamental of the channel's voltage, per order"
    )
    voltage_v: list[Num]
    voltage_phase_deg: list[Num]


class PduSummary(_Out):
    id: str
    name: str
    feed: str
    phases: int
    nominal_voltage_v: Num
    nominal_frequency_hz: Num
    power_w: Num
    apparent_va: Num
    energy_wh: Num
    outlet_count: int
    outlets_on: int


class PduOut(PduSummary):
    inlet: InletOut
    branches: list[str]
    outlets: list[str]
    outlet_groups: list[str]


class SensorOut(_Out):
    id: str
    kind: str
    name: str
    value: Num
    unit: str
    status: str
    pdu: str | None


class LeverOut(_Out):
    id: str
    name: str
    position: str
    locked: bool
    handle_open: bool
    state: Literal["locked", "unlocked", "open", "forced"] = Field(
        description="locked; unlocked (bolt open, door closed); open (door open after an "
        "unlock); forced (door open while locked)"
    )


class OutletOutcomeOut(_Out):
    outlet_id: str
    status: str
    detail: str
    event_code: str | None


class CommandResultOut(_Out):
    command_id: str
    status: str = Field(
        description="done, accepted, failed, denied, locked_out, rejected or interrupted"
    )
    detail: str
    outlets: list[OutletOutcomeOut]
    event_sequence_ids: list[int]


class EnergyResetOut(_Out):
    pdu_id: str
    channel: str | None
    registers_reset: int


class EventOut(_Out):
    sequence_id: int
    timestamp_utc: str
    pdu_id: str
    source: str
    event_code: str
    severity: str
    action_taken: str
    reason_code: str | None
    evidence: dict[str, Any]
    actor: str | None
    command_id: str | None
    message: str
    prev_hash: str
    hash: str


class EventPage(_Out):
    events: list[EventOut]
    next_since_seq: dict[str, int] = Field(
        description="Per PDU: the highest sequence_id returned (pass as since_seq next time)"
    )


class HistoryPointOut(_Out):
    ts: datetime
    min: Num
    avg: Num
    max: Num
    count: int


class HistoryOut(_Out):
    pdu_id: str
    key: str
    step_s: int
    from_utc: datetime
    to_utc: datetime
    points: list[HistoryPointOut]


class EnergyPointOut(_Out):
    ts: datetime
    energy_wh: Num = Field(description="Register total at the end of the bucket")
    delta_wh: Num = Field(description="Energy consumed within the bucket")


class EnergyChannelOut(_Out):
    channel: str
    key: str
    points: list[EnergyPointOut]


class EnergyHistoryOut(_Out):
    pdu_id: str
    step_s: int
    from_utc: datetime
    to_utc: datetime
    channels: list[EnergyChannelOut]


class ConfigOut(_Out):
    version: int | None
    created_utc: datetime | None
    author: str | None
    comment: str | None
    yaml: str


class ConfigVersionOut(_Out):
    version: int
    created_utc: datetime
    author: str
    comment: str


class ConfigApplied(_Out):
    version: int
