"""Routes: PDUs, inlet phases, branches, outlets, sensors, levers (read) and outlet commands.

Reads come from the latest snapshot only, each view encoded once per snapshot and shared by all
readers (:func:`~smartpdu.api.deps.serve_view`; ``ETag``/``If-None-Match``). Commands go to
``RackPort.outlet_command``, which audits them; the HTTP status reflects the :class:`CommandStatus`:
done → 200, accepted → 202, denied → 403, locked_out / failed → 409, rejected → 422.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Header, Path, Request
from fastapi.responses import JSONResponse, Response

from smartpdu.access import Permission, Principal
from smartpdu.api.deps import (
    BranchId,
    GroupName,
    OutletId,
    PduId,
    get_port,
    get_snapshot,
    lookup_outlet,
    lookup_pdu,
    serve_view,
)
from smartpdu.api.problems import ApiProblem, problem_responses
from smartpdu.api.requests import CommandBody, EnergyResetBody
from smartpdu.api.schemas import (
    BranchOut,
    CommandResultOut,
    EnergyResetOut,
    EventOut,
    HarmonicsOut,
    LeverOut,
    OutletOut,
    PduOut,
    PduSummary,
    PhaseOut,
    SensorOut,
)
from smartpdu.api.security import require
from smartpdu.api.views import (
    branch_outlets,
    branch_view,
    command_result_view,
    harmonics_view,
    inlet_view,
    lever_view,
    outlet_groups,
    outlet_view,
    pdu_summary,
    pdu_view,
    sensor_view,
)
from smartpdu.model.commands import CommandStatus, OutletAction, OutletCommand
from smartpdu.model.ids import canonical_channel
from smartpdu.model.snapshot import RackSnapshot
from smartpdu.runtime.port import RackPort

__all__ = ["router"]

router = APIRouter(tags=["rack"])
Reader = Annotated[Principal, Depends(require(Permission.READ))]
Operator = Annotated[Principal, Depends(require(Permission.CONTROL))]
Configurer = Annotated[Principal, Depends(require(Permission.CONFIGURE))]
Snap = Annotated[RackSnapshot, Depends(get_snapshot)]
Services = Annotated[RackPort, Depends(get_port)]
_READ = {
    304: {"description": "Not Modified: the ETag sent in If-None-Match is still current"},
    **problem_responses(401, 403, 404, 422, 503),
}
PhaseLine = Annotated[Literal["L1", "L2", "L3"], Path(description="Inlet line")]
_CMD = problem_responses(401, 403, 404, 409, 422, 503)


@router.get("/pdus", response_model=list[PduSummary], responses=_READ)
async def list_pdus(_: Reader, request: Request) -> Response:
    return serve_view(request, lambda s: [pdu_summary(p) for p in s.pdus.values()])


@router.get("/pdus/{pdu_id}", response_model=PduOut, responses=_READ)
async def get_pdu(pdu_id: PduId, _: Reader, request: Request) -> Response:
    return serve_view(request, lambda s: pdu_view(lookup_pdu(s, pdu_id)))


@router.get("/pdus/{pdu_id}/phases", response_model=list[PhaseOut], responses=_READ)
async def list_phases(pdu_id: PduId, _: Reader, request: Request) -> Response:
    return serve_view(request, lambda s: inlet_view(lookup_pdu(s, pdu_id).inlet).phases)


@router.get("/pdus/{pdu_id}/branches", response_model=list[BranchOut], responses=_READ)
async def list_branches(pdu_id: PduId, _: Reader, request: Request) -> Response:
    def build(snap: RackSnapshot) -> list[BranchOut]:
        pdu = lookup_pdu(snap, pdu_id)
        return [branch_view(b, branch_outlets(pdu, b.id)) for b in pdu.branches.values()]

    return serve_view(request, build)


@router.get("/pdus/{pdu_id}/branches/{branch_id}", response_model=BranchOut, responses=_READ)
async def get_branch(pdu_id: PduId, branch_id: BranchId, _: Reader, request: Request) -> Response:
    def build(snap: RackSnapshot) -> BranchOut:
        pdu = lookup_pdu(snap, pdu_id)
        b = pdu.branches.get(branch_id)
        if b is None:
            raise ApiProblem(404, f"PDU {pdu_id!r} has no branch {branch_id!r}.", kind="not-found")
        return branch_view(b, branch_outlets(pdu, b.id))

    return serve_view(request, build)


@router.get("/pdus/{pdu_id}/outlets", response_model=list[OutletOut], responses=_READ)
async def list_outlets(pdu_id: PduId, _: Reader, request: Request) -> Response:
    return serve_view(
        request,
        lambda s: [outlet_view(o) for o in lookup_pdu(s, pdu_id).outlets.values()],
    )


@router.get("/pdus/{pdu_id}/outlets/{outlet_id}", response_model=OutletOut, responses=_READ)
async def get_outlet(pdu_id: PduId, outlet_id: OutletId, _: Reader, request: Request) -> Response:
    return serve_view(
        request,
        lambda s: outlet_view(lookup_outlet(s, pdu_id, outlet_id)),
    )


def _harmonics(snap: RackSnapshot, pdu_id: str, channel: str) -> HarmonicsOut:
    pdu = lookup_pdu(snap, pdu_id)
    h = pdu.harmonics.of(channel) if pdu.harmonics is not None else None
    if h is None:
        raise ApiProblem(
            404, f"PDU {pdu_id!r} has no harmonic spectrum of {channel!r}.", kind="not-found"
        )
    return harmonics_view(pdu.id, h)


@router.get(
    "/pdus/{pdu_id}/outlets/{outlet_id}/harmonics", response_model=HarmonicsOut, responses=_READ
)
async def outlet_harmonics(
    pdu_id: PduId, outlet_id: OutletId, _: Reader, request: Request
) -> Response:
    """Harmonic group rms and phases, orders 1..50, of one outlet's current and voltage."""

    def build(snap: RackSnapshot) -> HarmonicsOut:
        o = lookup_outlet(snap, pdu_id, outlet_id)
        return _harmonics(snap, pdu_id, f"outlet/{o.id}")

    return serve_view(request, build)


@router.get("/pdus/{pdu_id}/phases/{line}/harmonics", response_model=HarmonicsOut, responses=_READ)
async def phase_harmonics(pdu_id: PduId, line: PhaseLine, _: Reader, request: Request) -> Response:
    """Harmonic group rms and phases, orders 1..50, of one inlet phase."""
    return serve_view(
        request,
        lambda s: _harmonics(s, pdu_id, f"inlet/{line}"),
    )


@router.get("/sensors", response_model=list[SensorOut], responses=_READ)
async def list_sensors(_: Reader, request: Request) -> Response:
    return serve_view(request, lambda s: [sensor_view(x) for x in s.sensors.values()])


@router.get("/levers", response_model=list[LeverOut], responses=_READ)
async def list_levers(_: Reader, request: Request) -> Response:
    return serve_view(request, lambda s: [lever_view(lv) for lv in s.levers.values()])


# -- commands -----------------------------------------------------------------------------------
_STATUS_HTTP = {
    CommandStatus.DONE: 200,
    CommandStatus.ACCEPTED: 202,
    CommandStatus.DENIED: 403,
    CommandStatus.LOCKED_OUT: 409,
    CommandStatus.FAILED: 409,
    CommandStatus.REJECTED: 422,
    CommandStatus.INTERRUPTED: 409,
}
_STATUS_DETAIL = {
    CommandStatus.DENIED: "The command was refused by policy or an access lock.",
    CommandStatus.LOCKED_OUT: "Protection holds the outlet(s) off; acknowledge the cause first.",
    CommandStatus.FAILED: "At least one outlet did not reach the requested state; see the events.",
    CommandStatus.REJECTED: "The command was rejected as invalid.",
    CommandStatus.INTERRUPTED: (
        "A controller restart interrupted the command; see the relay state found. "
        "It is not executed again: send a new key to retry."
    ),
}


async def _run(
    services: RackPort,
    principal: Principal,
    pdu_id: str,
    outlet_ids: tuple[str, ...],
    action: OutletAction,
    body: CommandBody | None,
    idempotency_key: str | None,
) -> JSONResponse:
    body_key = body.command_id if body else None
    if idempotency_key is not None and body_key is not None and body_key != idempotency_key:
        raise ApiProblem(
            422,
            f"Idempotency-Key {idempotency_key!r} and body command_id {body_key!r} differ; "
            "send one key (either place) per request.",
            kind="idempotency-conflict",
        )
    command_id = idempotency_key or body_key
    command = OutletCommand(
        pdu_id=pdu_id,
        outlet_ids=outlet_ids,
        action=action,
        actor=principal.actor,
        command_id=command_id,
        off_period_s=body.off_period_s if body else None,
        interface="api",
    )
    result = command_result_view(await services.outlet_command(command))
    status = _STATUS_HTTP.get(CommandStatus(result.status), 500)
    if status >= 400:
        detail = result.detail or _STATUS_DETAIL[CommandStatus(result.status)]
        raise ApiProblem(
            status,
            detail,
            kind=f"command-{result.status.replace('_', '-')}",
            result=result.model_dump(),
        )
    return JSONResponse(result.model_dump(), status_code=status)


IdemKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=128,
        description=(
            "Repeat a command safely: the same key sent again by the same user with the same "
            "request replays the first result; with a different request it is a 422 conflict. "
            "Keys are per user."
        ),
    ),
]
OptBody = Annotated[CommandBody | None, Body()]


@router.post(
    "/pdus/{pdu_id}/outlets/{outlet_id}/actions/{action}",
    response_model=CommandResultOut,
    responses={202: {"model": CommandResultOut, "description": "Accepted"}, **_CMD},
    summary="Switch one outlet on/off or power-cycle it",
)
async def outlet_action(
    pdu_id: PduId,
    outlet_id: OutletId,
    action: OutletAction,
    principal: Operator,
    services: Services,
    snap: Snap,
    idempotency_key: IdemKey = None,
    body: OptBody = None,
) -> JSONResponse:
    lookup_outlet(snap, pdu_id, outlet_id)
    return await _run(services, principal, pdu_id, (outlet_id,), action, body, idempotency_key)


@router.post(
    "/pdus/{pdu_id}/outlets/{outlet_id}/acknowledge",
    response_model=EventOut,
    responses=_CMD,
    summary="Acknowledge a protection hold (trip cause) so the outlet may be switched on again",
)
async def outlet_acknowledge(
    pdu_id: PduId, outlet_id: OutletId, principal: Operator, services: Services, snap: Snap
) -> EventOut:
    lookup_outlet(snap, pdu_id, outlet_id)
    event = await services.acknowledge_outlet(pdu_id, outlet_id, principal.actor)
    return EventOut.model_validate(event.to_dict())


@router.post(
    "/pdus/{pdu_id}/outlet-groups/{group}/actions/{action}",
    response_model=CommandResultOut,
    responses={202: {"model": CommandResultOut, "description": "Accepted"}, **_CMD},
    summary="Switch every outlet of a group (sequenced by the runtime)",
)
async def group_action(
    pdu_id: PduId,
    group: GroupName,
    action: OutletAction,
    principal: Operator,
    services: Services,
    snap: Snap,
    idempotency_key: IdemKey = None,
    body: OptBody = None,
) -> JSONResponse:
    pdu = lookup_pdu(snap, pdu_id)
    ids = pdu.outlet_groups().get(group, ())
    if not ids:
        known = ", ".join(outlet_groups(pdu)) or "none"
        raise ApiProblem(
            404, f"PDU {pdu_id!r} has no outlet group {group!r}; groups: {known}.", kind="not-found"
        )
    return await _run(services, principal, pdu_id, ids, action, body, idempotency_key)


@router.post(
    "/pdus/{pdu_id}/energy/reset",
    response_model=EnergyResetOut,
    responses=problem_responses(401, 403, 404, 422, 503),
    summary="Reset resettable (trip) energy registers; totals never reset (audited)",
)
async def reset_energy(
    pdu_id: PduId,
    principal: Configurer,
    services: Services,
    snap: Snap,
    body: Annotated[EnergyResetBody | None, Body()] = None,
) -> EnergyResetOut:
    lookup_pdu(snap, pdu_id)
    channel = canonical_channel(body.channel) if body and body.channel else None
    try:
        count = await services.reset_energy(pdu_id, channel, principal.actor)
    except (KeyError, LookupError, ValueError) as exc:
        raise ApiProblem(
            404, f"Cannot reset {channel!r} of {pdu_id!r}: {exc}", kind="not-found"
        ) from None
    return EnergyResetOut(pdu_id=pdu_id, channel=channel, registers_reset=count)
