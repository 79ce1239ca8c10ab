"""Routes: alarms (active, history, acknowledge) and alarm rules (read, replace).

Acknowledging needs the ``control`` permission (operators handle alarms) and is audited as
``ALARM_ACKNOWLEDGED`` with the user and comment. Rules are part of the rack configuration:
``PUT /alarm-rules`` validates the alarm section and applies the whole configuration as a new,
audited version (``CONFIG_CHANGED``), exactly as ``PUT /config`` would.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from smartpdu.access import Permission, Principal
from smartpdu.alarms import Alarm, AlarmError
from smartpdu.api.deps import get_port
from smartpdu.api.problems import ApiProblem, FieldError, problem_responses
from smartpdu.api.requests import StrictRequest
from smartpdu.api.schemas import ConfigApplied
from smartpdu.api.security import require
from smartpdu.config import ConfigError, dump_config
from smartpdu.config.alarms import AlarmsConfig
from smartpdu.runtime.port import AlarmsUnavailableError, RackPort

__all__ = ["AckBody", "AlarmOut", "AlarmRulesOut", "ResidualOut", "RiskOut", "router"]

router = APIRouter(tags=["alarms"])
Reader = Annotated[Principal, Depends(require(Permission.READ))]
Operator = Annotated[Principal, Depends(require(Permission.CONTROL))]
Configurer = Annotated[Principal, Depends(require(Permission.CONFIGURE))]
Services = Annotated[RackPort, Depends(get_port)]
AlarmId = Annotated[int, Path(ge=1, le=2**53, description="Alarm occurrence id")]


class AlarmOut(BaseModel):
    """One alarm occurrence, from raise to clear."""

    model_config = ConfigDict(extra="forbid")
    id: int
    key: str = Field(description="Stable identity across occurrences: rule/entity/condition")
    rule: str
    condition: str = Field(description="high_warning, high_critical, low_…, or rate")
    severity: Literal["warning", "critical"]
    entity: str
    pdu_id: str
    metric: str
    unit: str
    limit: float
    value: float | None
    peak: float | None
    state: Literal["raised", "acknowledged", "cleared"]
    raised_utc: str
    event_code: str
    latched: bool
    returned: bool = Field(description="Latched and back to normal: waits for an acknowledgement")
    stale: bool = Field(description="The last value was missing or flagged: state unknown")
    acknowledged_by: str | None
    ack_comment: str | None
    acknowledged_utc: str | None
    cleared_utc: str | None
    window_s: float
    hysteresis: float


class AckBody(StrictRequest):
    comment: str = Field("", max_length=500, description="Why / what is being done about it")


class AlarmRulesOut(BaseModel):
    """The alarm section of the active configuration and the rules in effect."""

    config: dict[str, Any] = Field(description="The configuration's `alarms` section")
    effective: list[dict[str, Any]] = Field(description="Defaults, overrides and additions")


def _out(a: Alarm) -> AlarmOut:
    return AlarmOut.model_validate(a.to_dict())


def _unavailable(exc: AlarmsUnavailableError) -> ApiProblem:
    return ApiProblem(503, f"{exc}.", headers={"Retry-After": "1"})


_READ = problem_responses(401, 403, 422, 503)


@router.get("/alarms", response_model=list[AlarmOut], responses=_READ)
async def list_alarms(
    _: Reader,
    services: Services,
    state: Annotated[Literal["active", "cleared", "all"], Query()] = "active",
) -> list[AlarmOut]:
    """Active alarms (default), recently cleared ones, or both — newest first."""
    try:
        found = [] if state == "cleared" else services.active_alarms()
        if state != "active":
            found += services.alarm_history()
    except AlarmsUnavailableError as exc:
        raise _unavailable(exc) from None
    return [_out(a) for a in found]


@router.get("/alarms/{alarm_id}", response_model=AlarmOut,
            responses=problem_responses(401, 403, 404, 422, 503))  # fmt: skip
async def get_alarm(alarm_id: AlarmId, _: Reader, services: Services) -> AlarmOut:
    try:
        alarm = services.alarm(alarm_id)
    except AlarmsUnavailableError as exc:
        raise _unavailable(exc) from None
    if alarm is None:
        raise ApiProblem(
            404, f"No alarm {alarm_id} (active or recently cleared).", kind="not-found"
        )
    return _out(alarm)


@router.post(
    "/alarms/{alarm_id}/acknowledge",
    response_model=AlarmOut,
    responses=problem_responses(401, 403, 404, 409, 422, 503),
    summary="Acknowledge an active alarm (audited with user and comment)",
)
async def acknowledge_alarm(
    alarm_id: AlarmId,
    principal: Operator,
    services: Services,
    body: Annotated[AckBody | None, Body()] = None,
) -> AlarmOut:
    comment = body.comment if body is not None else ""
    try:
        if services.alarm(alarm_id) is None:
            raise ApiProblem(404, f"No alarm {alarm_id}.", kind="not-found")
        alarm = await services.acknowledge_alarm(alarm_id, principal.actor, comment)
    except AlarmsUnavailableError as exc:
        raise _unavailable(exc) from None
    except AlarmError as exc:
        raise ApiProblem(409, f"{exc}; nothing was changed.", kind="conflict") from None
    return _out(alarm)


class ResidualOut(BaseModel):
    """Residual (RCM) current of one inlet, monitored branch or monitored outlet with its trend."""

    entity: str
    pdu_id: str
    level: str = Field(description="inlet, branch or outlet")
    value_ma: float | None
    warning_ma: float | None = Field(description="Warning level of the matching alarm rule")
    critical_ma: float | None = Field(description="Critical level of the matching alarm rule")
    slope_ma_per_week: float | None = Field(description="Least-squares trend of the bucket means")
    buckets: int
    forecast_critical_utc: str | None = Field(description="When the critical level is reached")


@router.get("/residual-current", response_model=list[ResidualOut], responses=_READ)
async def residual_current(_: Reader, services: Services) -> list[ResidualOut]:
    """Residual current per inlet, RCBO branch and (where the PDU monitors each outlet) outlet:
    levels, slope per week and forecast."""
    try:
        views = services.residual_current()
    except AlarmsUnavailableError as exc:
        raise _unavailable(exc) from None
    return [ResidualOut.model_validate(asdict(v)) for v in views]


class RiskFactorOut(BaseModel):
    name: str
    points: float = Field(description="Points of this factor before combining (0–100)")
    detail: str


class RiskOut(BaseModel):
    """Risk score 0–100 = 100·(1 − Π(1 − points/100)) over the factors (docs/safety.md)."""

    score: float
    factors: list[RiskFactorOut]
    tick: int | None = Field(None, description="Tick of the snapshot that carries this score")
    timestamp_utc: str | None = Field(None, description="End of that snapshot's window")


@router.get("/risk", response_model=RiskOut, responses=_READ)
async def risk(_: Reader, services: Services) -> RiskOut:
    """The rack's risk score with its contributing factors."""
    try:
        latest = services.risk()
    except AlarmsUnavailableError as exc:
        raise _unavailable(exc) from None
    if latest is None:
        raise ApiProblem(503, "No risk score yet; retry in a second.", headers={"Retry-After": "1"})
    snap = services.snapshot
    return RiskOut(
        score=latest.score,
        factors=[RiskFactorOut(**asdict(f)) for f in latest.factors],
        tick=snap.tick,
        timestamp_utc=snap.timestamp_utc,
    )


@router.get("/alarm-rules", response_model=AlarmRulesOut, responses=_READ)
async def get_alarm_rules(_: Reader, services: Services) -> AlarmRulesOut:
    try:
        rules = services.alarm_rules()
    except AlarmsUnavailableError as exc:
        raise _unavailable(exc) from None
    return AlarmRulesOut(
        config=services.config.alarms.model_dump(mode="json"),
        effective=[r.model_dump(mode="json") for r in rules],
    )


@router.put(
    "/alarm-rules",
    response_model=ConfigApplied,
    responses=problem_responses(401, 403, 422),
    summary="Replace the alarm section of the configuration (new audited version)",
)
async def put_alarm_rules(
    principal: Configurer,
    services: Services,
    body: Annotated[dict[str, Any], Body(description="The `alarms` section (see AlarmsConfig)")],
    comment: Annotated[str, Query(max_length=500)] = "",
) -> ConfigApplied:
    try:
        section = AlarmsConfig.model_validate(body)
    except ValidationError as exc:
        errors = [
            FieldError(path="alarms." + ".".join(str(p) for p in e["loc"]), message=e["msg"])
            for e in exc.errors()
        ]
        listing = "; ".join(f"{e.path}: {e.message}" for e in errors[:5])
        raise ApiProblem(
            422,
            f"The alarm rules are invalid ({len(errors)} problem(s)): {listing}. "
            "Nothing was changed.",
            kind="invalid-configuration",
            title="Invalid configuration",
            errors=errors,
        ) from None
    new = services.config.model_copy(update={"alarms": section})
    try:
        version = await services.apply_config(
            dump_config(new), principal.actor, comment or "alarm rules changed"
        )
    except ConfigError as exc:
        errors = [FieldError(path=i.path, message=i.message) for i in exc.issues]
        raise ApiProblem(422, f"The configuration is invalid: {exc}", errors=errors) from None
    return ConfigApplied(version=version)
