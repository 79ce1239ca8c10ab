"""Shared FastAPI dependencies: the port, its latest snapshot, and resource lookups (404s)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from smartpdu.api.problems import ApiProblem
from smartpdu.model.snapshot import OutletSnapshot, PduSnapshot, RackSnapshot
from smartpdu.runtime.port import NotReadyError, RackPort

__all__ = [
    "BranchId",
    "GroupName",
    "OutletId",
    "PduId",
    "Port",
    "get_port",
    "get_snapshot",
    "lookup_outlet",
    "lookup_pdu",
    "not_ready_problem",
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


def get_port(request: Request) -> RackPort:
    port: RackPort = request.app.state.port
    return port


Port = Annotated[RackPort, Depends(get_port)]


def not_ready_problem() -> ApiProblem:
    """503 with Retry-After: the controller has not measured its first window yet."""
    return ApiProblem(
        503,
        "The controller is starting and has no measurements yet; retry in a second.",
        kind="not-ready",
        headers={"Retry-After": "1"},
    )


def get_snapshot(port: Port) -> RackSnapshot:
    try:
        return port.snapshot
    except NotReadyError:
        raise not_ready_problem() from None


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
