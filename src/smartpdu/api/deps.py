"""Shared FastAPI dependencies: the port, its latest snapshot, resource lookups (404s), and the
pre-encoded snapshot views every read route answers with.

Dependencies are ``async def`` on purpose: FastAPI runs a plain ``def`` dependency in the thread
pool, a hop per dependency per request for what is a dict lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Final

import pydantic_core
from fastapi import Depends, Path, Request
from pydantic import BaseModel
from starlette.responses import Response

from smartpdu.api.encoded import EncodedView, ViewCache
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
    "serve_view",
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


async def get_port(request: Request) -> RackPort:
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


async def get_snapshot(port: Port) -> RackSnapshot:
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


JSON: Final = "application/json"
_VIEW_HEADERS: Final = {"Cache-Control": "no-cache"}
"""Clients may keep a body but must revalidate it (ETag) — it changes every tick."""

ViewModel = BaseModel | Sequence[BaseModel]


def serve_view(request: Request, build: Callable[[RackSnapshot], ViewModel]) -> Response:
    """Answer a read with this path's view of the current snapshot, encoded once per snapshot.

    ``build`` maps the snapshot to the route's response model (raising :class:`ApiProblem` for a
    missing resource: nothing is cached then). The bytes are the response model's JSON, so the
    OpenAPI document (``response_model``) describes them; FastAPI does not re-validate a
    ``Response``. ``If-None-Match`` with the current ETag answers ``304``. Further GETs of the
    path in the same tick are answered before routing (:mod:`smartpdu.api.fastpath`) to any
    principal with the ``read`` permission: use this only in routes that require exactly that.
    """
    state = request.app.state
    try:
        snap: RackSnapshot = state.port.snapshot
    except NotReadyError:
        raise not_ready_problem() from None
    views: ViewCache[str] = state.views
    path: str = request.scope["path"]
    view = views.get(snap, path)
    if view is None:
        body = pydantic_core.to_json(build(snap))
        view = views.put(snap, path, EncodedView(body, JSON, _VIEW_HEADERS))
    return view.response(request.headers.get("if-none-match"))
