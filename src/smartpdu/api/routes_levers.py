"""Routes: rack access — unlock/lock levers, the access log (JSON or CSV), lever credentials,
lock-down.

Every route goes through :class:`~smartpdu.runtime.port.RackPort` (which audits) and checks one
permission: ``unlock`` for lever commands (operators, admins, remote-hands — the latter only
within their schedule, which the runtime checks), ``audit`` for the access log, ``manage_users``
for credentials and lifting a lock-down. Unlock answers: 200 unlocked, 202 pending (two-person
rule: a second person must follow), 403 denied (reason in the problem), 404 unknown lever.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Header, Path, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from smartpdu.access import Permission, Principal
from smartpdu.api.deps import get_port
from smartpdu.api.problems import ApiProblem, problem_responses
from smartpdu.api.security import require
from smartpdu.events.model import parse_timestamp
from smartpdu.hardware import LeverAction
from smartpdu.model.access import AccessEntry, AccessMethod, AccessQuery, AccessResult
from smartpdu.model.errors import ConflictError
from smartpdu.runtime.port import CredentialError, LeverOutcome, LeverRequest, RackPort

__all__ = ["router"]

router = APIRouter(tags=["access"])
Unlocker = Annotated[Principal, Depends(require(Permission.UNLOCK))]
Auditor = Annotated[Principal, Depends(require(Permission.AUDIT))]
Reader = Annotated[Principal, Depends(require(Permission.READ))]
Admin = Annotated[Principal, Depends(require(Permission.MANAGE_USERS))]
Services = Annotated[RackPort, Depends(get_port)]
LeverId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
_CMD = problem_responses(401, 403, 404, 422, 503)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UnlockBody(_In):
    for_s: float | None = Field(
        None, gt=0, le=3600, description="Seconds the lever stays unlocked unless opened "
        "(capped by access.max_unlock_s); default: the lever's auto_relock_s."
    )  # fmt: skip
    command_id: str | None = Field(None, min_length=1, max_length=128)


class LeverOutcomeOut(BaseModel):
    lever_id: str
    action: Literal["unlock", "lock"]
    status: Literal["unlocked", "locked", "pending", "denied"]
    reason: str
    actor: str
    unlock_s: float | None = None
    command_id: str | None = None


class AccessEntryOut(BaseModel):
    id: int | None
    timestamp_utc: str
    lever_id: str
    actor: str
    method: AccessMethod
    result: AccessResult
    reason: str
    opened_utc: str | None
    closed_utc: str | None
    open_s: float | None
    command_id: str | None


class CredentialsBody(_In):
    pin: str | None = Field(None, min_length=4, max_length=12, pattern=r"^[0-9]+$")
    card: str | None = Field(None, min_length=1, max_length=64)
    schedule: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(
        None, max_length=32, examples=[["mon-fri 08:00-18:00"]]
    )
    tz: str | None = Field(None, min_length=1, max_length=64, examples=["Europe/Berlin"])
    clear_pin: bool = False
    clear_card: bool = False


class CredentialsOut(BaseModel):
    """What is set — never the PIN or the card id themselves."""

    username: str
    has_pin: bool
    has_card: bool
    schedule: list[str]
    tz: str
    updated_utc: str


class LockdownOut(BaseModel):
    active: bool


def _outcome(out: LeverOutcome) -> JSONResponse:
    body = LeverOutcomeOut(lever_id=out.lever_id, action=out.action,  # type: ignore[arg-type]
                           status=out.status, reason=out.reason,  # type: ignore[arg-type]
                           actor=out.actor, unlock_s=out.hold_s,
                           command_id=out.command_id).model_dump()  # fmt: skip
    if out.status == "denied":
        raise ApiProblem(403, f"{out.action} of {out.lever_id} denied: {out.reason}.",
                         kind="access-denied", result=body)  # fmt: skip
    return JSONResponse(body, status_code=202 if out.status == "pending" else 200)


async def _command(
    services: RackPort,
    principal: Principal,
    lever_id: str,
    action: LeverAction,
    for_s: float | None,
    command_id: str | None,
) -> JSONResponse:
    if all(lv.id != lever_id for lv in services.config.levers):
        known = ", ".join(lv.id for lv in services.config.levers) or "none"
        raise ApiProblem(404, f"No lever {lever_id!r}; levers: {known}.", kind="not-found")
    req = LeverRequest(lever_id, action, principal, AccessMethod.API, for_s, command_id)
    return _outcome(await services.lever_command(req))


IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=128)]


@router.post("/levers/{lever_id}/unlock", response_model=LeverOutcomeOut,
             responses={202: {"model": LeverOutcomeOut, "description": "Pending (two-person)"},
                        **_CMD},
             summary="Unlock a lever (relocks after for_s unless opened; relocks when closed)")  # fmt: skip
async def unlock(
    lever_id: LeverId,
    principal: Unlocker,
    services: Services,
    body: Annotated[UnlockBody | None, Body()] = None,
    idempotency_key: IdemKey = None,
) -> JSONResponse:
    cid = idempotency_key or (body.command_id if body else None)
    return await _command(services, principal, lever_id, LeverAction.UNLOCK,
                          body.for_s if body else None, cid)  # fmt: skip


@router.post("/levers/{lever_id}/lock", response_model=LeverOutcomeOut, responses=_CMD,
             summary="Lock a lever now (or as soon as its handle closes)")  # fmt: skip
async def lock(
    lever_id: LeverId, principal: Unlocker, services: Services, idempotency_key: IdemKey = None
) -> JSONResponse:
    return await _command(services, principal, lever_id, LeverAction.LOCK, None, idempotency_key)


_RFC3339 = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)


def _utc(text: str | None) -> datetime | None:
    """An RFC 3339 time with an offset (no bare numbers: ``0.5`` is not a time)."""
    if text is None:
        return None
    try:
        return parse_timestamp(text)
    except (ValueError, OverflowError):
        raise ApiProblem(
            422,
            f"{text!r} is not an RFC 3339 time such as 2026-01-01T00:00:00Z.",
            kind="validation-error",
        ) from None


_CSV_COLUMNS = ("id", "timestamp_utc", "lever_id", "actor", "method", "result", "reason",
                "opened_utc", "closed_utc", "open_s", "command_id")  # fmt: skip


def _csv(rows: list[AccessEntry]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(_CSV_COLUMNS)
    for r in rows:
        w.writerow(["" if (v := getattr(r, c)) is None else str(v) for c in _CSV_COLUMNS])
    return buf.getvalue()


@router.get("/access-log", response_model=list[AccessEntryOut],
            responses={200: {"content": {"text/csv": {}}}, **problem_responses(401, 403, 422)},
            summary="Who opened which lever when, how, and for how long (JSON or CSV)")  # fmt: skip
async def access_log(
    _: Auditor,
    services: Services,
    lever: Annotated[str | None, Query(max_length=64)] = None,
    actor: Annotated[str | None, Query(max_length=128, examples=["user/alice"])] = None,
    method: AccessMethod | None = None,
    result: AccessResult | None = None,
    since: Annotated[
        str | None,
        Query(
            pattern=_RFC3339, description="RFC 3339, inclusive", examples=["2026-01-01T00:00:00Z"]
        ),
    ] = None,
    until: Annotated[str | None, Query(pattern=_RFC3339, description="RFC 3339, exclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
    format: Literal["json", "csv"] = "json",
) -> Response:
    q = AccessQuery(lever, actor, method.value if method else None,
                    result.value if result else None, _utc(since), _utc(until), limit)  # fmt: skip
    rows = await services.access_log(q)
    if format == "csv":
        return Response(_csv(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="access-log.csv"'})  # fmt: skip
    return JSONResponse([AccessEntryOut.model_validate(r, from_attributes=True).model_dump(mode="json")
                         for r in rows])  # fmt: skip


@router.get("/users/{username}/lever-credentials", response_model=CredentialsOut,
            responses=problem_responses(401, 403, 404, 422))  # fmt: skip
async def get_credentials(
    username: Annotated[str, Path(min_length=1, max_length=64)], _: Admin, services: Services
) -> CredentialsOut:
    cred = await services.lever_credential(username)
    if cred is None:
        raise ApiProblem(404, f"User {username!r} has no lever credentials.", kind="not-found")
    return CredentialsOut(username=cred.username, has_pin=cred.pin_hash is not None,
                          has_card=cred.card_digest is not None, schedule=list(cred.schedule),
                          tz=cred.tz, updated_utc=cred.updated_utc)  # fmt: skip


@router.put("/users/{username}/lever-credentials", response_model=CredentialsOut,
            responses=problem_responses(401, 403, 404, 409, 422),
            summary="Set a user's lever PIN (argon2id), card (keyed digest) and schedule")  # fmt: skip
async def put_credentials(
    username: Annotated[str, Path(min_length=1, max_length=64)],
    body: CredentialsBody,
    principal: Admin,
    services: Services,
) -> CredentialsOut:
    try:
        await services.set_lever_credentials(
            username, pin=body.pin, card=body.card,
            schedule=tuple(body.schedule) if body.schedule is not None else None, tz=body.tz,
            clear_pin=body.clear_pin, clear_card=body.clear_card, actor=principal.actor,
        )  # fmt: skip
    except KeyError:
        raise ApiProblem(404, f"No user {username!r}.", kind="not-found") from None
    except CredentialError as exc:
        raise ApiProblem(422, str(exc), kind="validation-error") from None
    except ConflictError as exc:
        raise ApiProblem(409, str(exc), kind="conflict") from None
    return await get_credentials(username, principal, services)


@router.get("/access/lockdown", response_model=LockdownOut, responses=problem_responses(401, 403))
async def get_lockdown(_: Reader, services: Services) -> LockdownOut:
    return LockdownOut(active=services.lockdown)


@router.delete("/access/lockdown", response_model=LockdownOut,
               responses=problem_responses(401, 403),
               summary="Lift a tamper lock-down (administrators; audited)")  # fmt: skip
async def lift_lockdown(principal: Admin, services: Services) -> LockdownOut:
    try:
        await services.lift_lockdown(principal)
    except PermissionError as exc:
        raise ApiProblem(403, str(exc), kind="forbidden") from None
    return LockdownOut(active=services.lockdown)
