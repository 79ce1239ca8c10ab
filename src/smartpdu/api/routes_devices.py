"""Routes: devices as objects — their PSUs across PDU A and B, and device power commands.

``POST /devices/{name}/actions/on|off|cycle`` switches every PSU's outlet in order across the
PDUs as one audited command; ``on`` and ``cycle`` check branch and phase headroom first and
answer 409 with the evidence when it is missing (nothing is switched).
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from smartpdu.access import Permission, Principal
from smartpdu.api.deps import get_port
from smartpdu.api.problems import ApiProblem, problem_responses
from smartpdu.api.security import require
from smartpdu.model.commands import OutletAction
from smartpdu.runtime.port import AlarmsUnavailableError, RackPort

__all__ = ["DeviceCommandOut", "DeviceOut", "PairsOut", "router"]

router = APIRouter(tags=["devices"])
Reader = Annotated[Principal, Depends(require(Permission.READ))]
Operator = Annotated[Principal, Depends(require(Permission.CONTROL))]
Services = Annotated[RackPort, Depends(get_port)]
DeviceName = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
]


class PsuOut(BaseModel):
    pdu_id: str
    outlet_id: str
    feed: str
    phase: str
    branch: str
    current_a: float | None
    share: float | None = Field(description="Fraction of the device's current on this PSU")
    on: bool | None


class DeviceOut(BaseModel):
    name: str
    model: str
    tenant: str | None
    psus: list[PsuOut]


class DeviceCommandOut(BaseModel):
    command_id: str
    device: str
    action: str
    status: Literal["done", "accepted", "partial"]
    outlets: list[dict[str, str]] = Field(description="Per PDU step: command id and its status")


@router.get("/devices", response_model=list[DeviceOut], responses=problem_responses(401, 403, 503))
async def list_devices(_: Reader, services: Services) -> list[DeviceOut]:
    return [DeviceOut.model_validate(asdict(d)) for d in services.devices()]


@router.get("/devices/{name}", response_model=DeviceOut,
            responses=problem_responses(401, 403, 404, 422, 503))  # fmt: skip
async def get_device(name: DeviceName, _: Reader, services: Services) -> DeviceOut:
    found = next((d for d in services.devices() if d.name == name), None)
    if found is None:
        raise ApiProblem(404, f"No device {name!r} in the rack.", kind="not-found")
    return DeviceOut.model_validate(asdict(found))


class PairOut(BaseModel):
    a: str = Field(description="pdu/outlet on one feed")
    b: str = Field(description="pdu/outlet on the other feed")
    confidence: float = Field(description="|correlation| of the 1-s current changes, 0..1")
    correlation: float
    configured: bool = Field(description="The configuration has these as one device's PSUs")


class PairsOut(BaseModel):
    window_s: int = Field(description="Seconds of 1-s outlet currents seen so far")
    pairs: list[PairOut]


@router.get("/psu-pairs", response_model=PairsOut, responses=problem_responses(401, 403, 503))
async def psu_pairs(_: Reader, services: Services) -> PairsOut:
    """PSU pairs proposed from load correlation (no power cycling), with their confidence."""
    try:
        samples, found = services.psu_pairs()
    except AlarmsUnavailableError as exc:
        raise ApiProblem(503, f"{exc}.", headers={"Retry-After": "1"}) from None
    return PairsOut(
        window_s=samples,
        pairs=[PairOut(a="/".join(p.a), b="/".join(p.b), confidence=p.confidence,
                       correlation=p.correlation, configured=c) for p, c in found],
    )  # fmt: skip


@router.post(
    "/devices/{name}/actions/{action}",
    response_model=DeviceCommandOut,
    responses={
        202: {"model": DeviceCommandOut, "description": "Accepted (still sequencing)"},
        **problem_responses(401, 403, 404, 409, 422, 503),
    },
    summary="Switch a device (all its PSUs across the PDUs) on, off or cycle it",
)
async def device_action(
    name: DeviceName,
    action: Annotated[Literal["on", "off", "cycle"], Path()],
    principal: Operator,
    services: Services,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> JSONResponse:
    cid = idempotency_key or str(uuid.uuid4())
    try:
        room, results = await services.device_command(
            name, OutletAction(action), principal.actor, cid
        )
    except KeyError:
        raise ApiProblem(404, f"No device {name!r} in the rack.", kind="not-found") from None
    if room is not None and not room.ok:
        raise ApiProblem(
            409,
            f"Device {name} {action} refused, nothing was switched: " + "; ".join(room.problems),
            kind="no-headroom",
            result={"evidence": room.evidence, "problems": room.problems},
        )
    statuses = [str(r.status) for r in results]
    status = (
        "done"
        if all(s == "done" for s in statuses)
        else ("accepted" if all(s in ("done", "accepted") for s in statuses) else "partial")
    )
    body = DeviceCommandOut(
        command_id=cid, device=name, action=action, status=status,
        outlets=[{"command_id": r.command_id, "status": str(r.status)} for r in results],
    )  # fmt: skip
    return JSONResponse(body.model_dump(), status_code=200 if status == "done" else 202)
