"""Calibration of a running rack: ``POST /pdus/{pdu}/outlets/{outlet}/calibrate`` (admin).

The running instance is the only writer of its data directory, so calibrating it goes through
here (``smartpdu calibrate`` does when the directory is locked by a running instance): the
runtime stores the set, measures with it from the next window and audits
``CALIBRATION_CHANGED`` with the caller as actor. Issue 11 item 5.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from pydantic import Field

from smartpdu.access import Permission, Principal
from smartpdu.api.deps import OutletId, PduId, get_port
from smartpdu.api.problems import ApiProblem, problem_responses
from smartpdu.api.requests import StrictRequest
from smartpdu.api.security import require
from smartpdu.metering import CalibrationError
from smartpdu.runtime.port import CalibrationUnavailableError, RackPort

__all__ = ["router"]

router = APIRouter(tags=["calibration"])
Admin = Annotated[Principal, Depends(require(Permission.CONFIGURE))]
Services = Annotated[RackPort, Depends(get_port)]


class CalibrateBody(StrictRequest):
    bench_seed: int = Field(
        7, ge=0, le=2**31 - 1, description="Seed of the unit's front-end errors (twin bench)"
    )


@router.post(
    "/pdus/{pdu_id}/outlets/{outlet_id}/calibrate",
    responses=problem_responses(401, 403, 404, 409, 422, 503),
    summary="Factory-calibrate one outlet channel of the running rack (admin, audited)",
)
async def calibrate_outlet(
    pdu_id: PduId,
    outlet_id: OutletId,
    principal: Admin,
    services: Services,
    body: Annotated[CalibrateBody | None, Body()] = None,
) -> dict[str, Any]:
    seed = body.bench_seed if body is not None else CalibrateBody().bench_seed
    try:
        return await services.calibrate_outlet(pdu_id, outlet_id, seed, principal.actor)
    except KeyError as exc:
        raise ApiProblem(404, str(exc.args[0]), kind="not-found") from None
    except CalibrationError as exc:
        raise ApiProblem(
            422, f"Calibration failed verification, nothing stored: {exc}", kind="calibration"
        ) from None
    except CalibrationUnavailableError as exc:
        raise ApiProblem(409, f"{exc}.", kind="calibration-unavailable") from None
