"""Routes: capacity reserve, what-if, and the A/B redundancy audit (read-only; nothing on the
rack changes). Values come from the latest snapshot and the configuration (docs/safety.md)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from smartpdu.access import Permission, Principal
from smartpdu.analytics import CapacityRow, WhatIf
from smartpdu.api.deps import get_port
from smartpdu.api.problems import ApiProblem, FieldError, problem_responses
from smartpdu.api.security import require
from smartpdu.config import DeviceConfig
from smartpdu.events.model import format_timestamp
from smartpdu.runtime.port import RackPort

__all__ = ["CapacityRowOut", "RedundancyOut", "WhatIfBody", "router"]

router = APIRouter(tags=["capacity"])
MAX_BUCKETS = 20_000
"""History buckets one forecast request may read (as /history)."""
Reader = Annotated[Principal, Depends(require(Permission.READ))]
Services = Annotated[RackPort, Depends(get_port)]
_READ = problem_responses(401, 403, 503)


class CapacityRowOut(BaseModel):
    pdu_id: str
    feed: str
    entity: str = Field(description="branch/B1 or inlet/L1")
    rating_a: float
    limit_a: float = Field(description="80 % of the rating")
    measured_a: float
    reserve_a: float
    reserve_kw: float = Field(description="reserve at nominal voltage")
    n_projected_a: float = Field(description="current if the other feed failed")
    n_reserve_a: float
    n_reserve_kw: float


class WhatIfBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    add: list[dict[str, Any]] = Field([], max_length=64, description="Device configurations")
    remove: list[str] = Field([], max_length=64)
    move: dict[str, list[tuple[str, str]]] = Field(
        {}, description="device → new [pdu, outlet] per PSU, in PSU order"
    )


class ShareOut(BaseModel):
    device: str
    current_a: dict[str, float]
    share: dict[str, float | None]
    balanced: bool | None = Field(
        description="Every feed's share within 40–60 % (null when the device draws nothing)"
    )


class FailoverOut(BaseModel):
    failed_feed: str
    pdu_id: str
    entity: str
    measured_a: float
    moved_a: float
    projected_a: float
    rating_a: float
    pct: float


class MiswiredOut(BaseModel):
    device: str
    feed: str
    psus: int


class RedundancyOut(BaseModel):
    miswired: list[MiswiredOut]
    shares: list[ShareOut]
    failover: list[FailoverOut]


def _rows(rows: list[CapacityRow]) -> list[CapacityRowOut]:
    return [CapacityRowOut.model_validate(r.as_dict()) for r in rows]


@router.get("/capacity", response_model=list[CapacityRowOut], responses=_READ)
async def get_capacity(_: Reader, services: Services) -> list[CapacityRowOut]:
    """Reserve of every branch and inlet phase under the 80 % rule and under N redundancy."""
    return _rows(services.capacity())


class ForecastOut(BaseModel):
    pdu_id: str
    entity: str
    limit_a: float
    measured_a: float
    slope_a_per_day: float | None = Field(description="Least-squares trend of the history")
    limit_reached_utc: str | None = Field(description="When the trend reaches the 80 % limit")
    points: int


@router.get("/capacity/forecast", response_model=list[ForecastOut],
            responses=problem_responses(401, 403, 422, 503))  # fmt: skip
async def capacity_forecast(
    _: Reader,
    services: Services,
    days: Annotated[float, Query(gt=0, le=366)] = 14.0,
    step_s: Annotated[int, Query(ge=60, le=86400)] = 3600,
) -> list[ForecastOut]:
    """When each branch and inlet phase reaches its 80 % limit on its history's linear trend.

    ``days · 86400 / step_s`` may be at most 20,000 buckets."""
    if days * 86400.0 / step_s > MAX_BUCKETS:
        raise ApiProblem(
            422,
            f"Too many buckets: {days:g} days / {step_s} s > {MAX_BUCKETS}; increase 'step_s'.",
            errors=[FieldError(path="query.step_s", message=f"at most {MAX_BUCKETS} buckets")],
        )
    now = services.now_utc().timestamp()
    out = []
    for row, fc in await services.capacity_forecast(days, step_s):
        when = None
        if fc is not None and fc.seconds_to_limit is not None:
            when = format_timestamp(datetime.fromtimestamp(now + fc.seconds_to_limit, UTC))
        out.append(ForecastOut(pdu_id=row.pdu_id, entity=row.entity, limit_a=row.limit_a,
                               measured_a=row.measured_a,
                               slope_a_per_day=None if fc is None else fc.slope_per_day,
                               limit_reached_utc=when, points=0 if fc is None else fc.points))  # fmt: skip
    return out


@router.post(
    "/capacity/what-if",
    response_model=list[CapacityRowOut],
    responses=problem_responses(401, 403, 422, 503),
    summary="Capacity after adding, removing or moving devices (nothing changes on the rack)",
)
async def post_what_if(
    _: Reader, services: Services, body: Annotated[WhatIfBody, Body()]
) -> list[CapacityRowOut]:
    try:
        add = [DeviceConfig.model_validate(d) for d in body.add]
    except ValidationError as exc:
        errors = [FieldError(path="add." + ".".join(str(p) for p in e["loc"]), message=e["msg"])
                  for e in exc.errors()]  # fmt: skip
        raise ApiProblem(422, f"A device to add is invalid: {errors[0].path}: "
                         f"{errors[0].message}.", errors=errors) from None  # fmt: skip
    try:
        rows = services.what_if(WhatIf(add=add, remove=body.remove, move=body.move))
    except (KeyError, ValueError) as exc:
        raise ApiProblem(422, f"{str(exc).strip(chr(39))}. Nothing was computed.") from None
    return _rows(rows)


@router.get("/redundancy", response_model=RedundancyOut, responses=_READ)
async def get_redundancy(_: Reader, services: Services) -> RedundancyOut:
    """Miswired devices, share per feed of each dual-fed device, failover projection per feed."""
    miswired, shares, failover = services.redundancy()
    return RedundancyOut(
        miswired=[MiswiredOut(device=d, feed=f, psus=n) for d, f, n in miswired],
        shares=[
            ShareOut(
                device=s.device,
                current_a=s.current_a,
                share={k: (None if math.isnan(v) else v) for k, v in s.share.items()},
                balanced=s.balanced,
            )
            for s in shares
        ],
        failover=[
            FailoverOut(
                failed_feed=x.failed_feed,
                pdu_id=x.pdu_id,
                entity=x.entity,
                measured_a=x.measured_a,
                moved_a=x.moved_a,
                projected_a=x.projected_a,
                rating_a=x.limit_a,
                pct=x.pct,
            )
            for x in failover
        ],
    )
