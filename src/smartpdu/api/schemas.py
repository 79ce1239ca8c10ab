"""Pydantic request/response models of the native API (they make the OpenAPI document precise).

Measurement fields are ``float | None``: ``None`` means "not measured / not finite", never a
made-up zero. Units are in the field names (DESIGN §8).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from smartpdu.access import Role

__all__ = [
    "BranchOut",
    "CommandBody",
    "CommandResultOut",
    "ConfigApplied",
    "ConfigOut",
    "ConfigVersionOut",
    "EnergyChannelOut",
    "EnergyHistoryOut",
    "EnergyPointOut",
    "EnergyResetBody",
    "EnergyResetOut",
    "EventOut",
    "EventPage",
    "Health",
    "HistoryOut",
    "HistoryPointOut",
    "InletOut",
    "LeverOut",
    "LoginRequest",
    "LoginResponse",
    "Me",
    "OutletOut",
    "OutletOutcomeOut",
    "PduOut",
    "PduSummary",
    "PhaseOut",
    "SensorOut",
    "UserCreate",
    "UserOut",
    "UserUpdate",
]

Num = float | None


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Health(_Out):
    status: str = Field(description='"ok" once the runtime publishes snapshots, else "starting"')
    version: str
    uptime_s: float
    tick: int | None
    last_window_utc: str | None = Field(description="RFC 3339 end time of the last window")
    rack_name: str | None


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


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


class UserCreate(BaseModel):
    username: str = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9][a-z0-9._-]{0,31}$")
    password: str = Field(min_length=8, max_length=256)
    role: Role


class UserUpdate(BaseModel):
    role: Role | None = None
    password: str | None = Field(None, min_length=8, max_length=256)
    disabled: bool | None = None


class PhaseOut(_Out):
    id: str = Field(description="L1, L2 or L3")
    voltage_v: Num
    current_a: Num
    power_w: Num
    apparent_va: Num
    reactive_var: Num
    pf: Num
    cos_phi: Num
    thd_u_pct: Num
    thd_i_pct: Num
    crest_factor: Num
    frequency_hz: Num
    energy_wh: Num


class InletOut(_Out):
    feed: str
    feed_present: bool
    rating_a: Num
    breaker_state: str
    neutral_a: Num
    residual_ma: Num
    power_w: Num
    apparent_va: Num
    energy_wh: Num
    frequency_hz: Num
    demand_power_w: Num = Field(description="15-min sliding average of the inlet power")
    max_demand_power_w: Num = Field(description="Maximum full-window demand since start")
    demand_current_a: dict[str, Num] = Field(description="15-min demand current per phase")
    max_demand_current_a: dict[str, Num] = Field(description="Maximum demand current per phase")
    phases: list[PhaseOut]


class BranchOut(_Out):
    id: str
    name: str
    line: str
    breaker_kind: str
    curve: str
    rating_a: Num
    breaker_state: str = Field(description='"closed" or "tripped"')
    residual_ma: Num
    trip_risk_pct: Num
    voltage_v: Num
    current_a: Num
    power_w: Num
    apparent_va: Num
    pf: Num
    thd_i_pct: Num
    crest_factor: Num
    energy_wh: Num
    outlets: list[str]


class OutletOut(_Out):
    id: str
    name: str
    state: str = Field(description='"on" or "off" as sensed by relay feedback')
    current_a: Num
    power_w: Num
    energy_wh: Num = Field(description="Active energy import, non-resettable total")
    voltage_v: Num
    pf: Num
    apparent_va: Num
    reactive_var: Num
    thd_i_pct: Num
    crest_factor: Num
    peak_current_a: Num
    energy_export_wh: Num
    energy_varh: Num
    energy_vah: Num
    priority: str
    group: str | None
    branch: str
    line: str
    connector: str
    rating_a: Num
    locked_out: bool
    commanded_on: bool
    relay_closed: bool
    terminal_temp_c: Num
    relay_cycles: int
    flags: list[str]


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


class CommandBody(BaseModel):
    command_id: str | None = Field(
        None,
        min_length=1,
        max_length=128,
        description="Idempotency key (same as the Idempotency-Key header)",
    )
    off_period_s: float | None = Field(None, ge=0, le=3600, description="For cycle")


class OutletOutcomeOut(_Out):
    outlet_id: str
    status: str
    detail: str
    event_code: str | None


class CommandResultOut(_Out):
    command_id: str
    status: str = Field(description="done, accepted, failed, denied, locked_out or rejected")
    detail: str
    outlets: list[OutletOutcomeOut]
    event_sequence_ids: list[int]


class EnergyResetBody(BaseModel):
    channel: str | None = Field(
        None, max_length=64, description="One channel (e.g. `outlet/7`); all of the PDU if absent"
    )


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
