"""Shared FastAPI dependencies: the runtime, its latest snapshot, and resource lookups (404s)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from smartpdu.api.problems import ApiProblem
from smartpdu.model.snapshot import OutletSnapshot, PduSnapshot, RackSnapshot
from smartpdu.runtime.services import RuntimeServices

__all__ = [
    "BranchId",
    "GroupName",
    "OutletId",
    "PduId",
    "get_services",
    "get_snapshot",
    "lookup_outlet",
    "lookup_pdu",
]

PduId = Annotated[
    str, Path(min_length=1, max_length=64, description="Stable PDU id", examples=["pdu-a"])
]
OutletId = Annotated[
    str, Path(min_length=1, max_length=64, description="Stable outlet id", examples=["1"])
]
BranchId = Annotated[
    str, Path(min_length=1, max_length=64, description="Stable branch id", examples=["B1"])
]
GroupName = Annotated[
    str, Path(min_length=1, max_length=64, description="Outlet group", examples=["compute"])
]


def get_services(request: Request) -> RuntimeServices:
    services: RuntimeServices = request.app.state.services
    return services


def get_snapshot(
    services: Annotated[RuntimeServices, Depends(get_services)],
) -> RackSnapshot:
    snap = services.snapshot
    if snap is None:
        raise ApiProblem(
            503,
            "The controller is starting and has no measurements yet; retry in a second.",
            headers={"Retry-After": "1"},
        )
    return snap


def lookup_pdu(snap: RackSnapshot, pdu_id: str) -> PduSnapshot:
    pdu = snap.pdus.get(pdu_id)
    if pdu is None:
        known = ", ".join(sorted(snap.pdus)) or "none"
        raise ApiProblem(404, f"No PDU {pdu_id!r}; known PDUs: {known}.", kind="pdu-not-found")
    return pdu


def lookup_outlet(snap: RackSnapshot, pdu_id: str, outlet_id: str) -> OutletSnapshot:
    """The outlet of the snapshot, or a 404 problem naming the PDU or the outlet that is missing."""
    outlet = lookup_pdu(snap, pdu_id).outlets.get(outlet_id)
    if outlet is None:
        raise ApiProblem(404, f"PDU {pdu_id!r} has no outlet {outlet_id!r}.", kind="not-found")
    return outlet
