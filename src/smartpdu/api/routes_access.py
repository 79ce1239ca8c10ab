"""Routes: health (no auth), login/logout/me, and user administration (admin)."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from smartpdu import __version__
from smartpdu.access import (
    ROLE_PERMISSIONS,
    AuthError,
    AuthService,
    LastAdminError,
    LoginThrottledError,
    Permission,
    PolicyError,
    Principal,
    UserExistsError,
    UserInfo,
    UserNotFoundError,
)
from smartpdu.api.deps import get_port
from smartpdu.api.problems import ApiProblem, problem_responses
from smartpdu.api.requests import LoginRequest, UserCreate, UserUpdate
from smartpdu.api.schemas import Health, LoginResponse, Me, UserOut
from smartpdu.api.security import bearer_token, get_auth, require
from smartpdu.model.snapshot import RackSnapshot
from smartpdu.runtime.port import NotReadyError, RackPort

__all__ = ["router"]

router = APIRouter()
_AUTH = problem_responses(401, 403, 422)
Auth = Annotated[AuthService, Depends(get_auth)]


@router.get("/health", response_model=Health, tags=["system"], summary="Liveness (no auth)")
async def health(request: Request, port: Annotated[RackPort, Depends(get_port)]) -> Health:
    try:
        snap: RackSnapshot | None = port.snapshot
    except NotReadyError:
        snap = None
    started: float = request.app.state.started_monotonic
    return Health(
        status="ok" if snap is not None else "starting",
        version=__version__,
        uptime_s=round(time.monotonic() - started, 3),
        tick=snap.tick if snap is not None else None,
        last_window_utc=snap.timestamp_utc if snap is not None else None,
        rack_name=snap.rack_name if snap is not None else None,
        tick_overruns=port.tick_overruns,
    )


@router.post(
    "/auth/login",
    response_model=LoginResponse,
    tags=["auth"],
    summary="Exchange username/password for a bearer token",
    responses=problem_responses(401, 422, 429),
)
async def login(body: LoginRequest, request: Request, auth: Auth) -> LoginResponse:
    remote = request.client.host if request.client else None
    try:
        principal = await auth.authenticate(
            body.username, body.password, interface="api", remote=remote
        )
    except LoginThrottledError as exc:
        wait = max(1, round(exc.retry_after_s))
        raise ApiProblem(
            429,
            f"Too many failed logins for this user or address; try again in {wait} s.",
            kind="login-throttled",
            headers={"Retry-After": str(wait)},
        ) from None
    except AuthError:
        raise ApiProblem(
            401,
            "Invalid username or password.",
            kind="login-failed",
            headers={"WWW-Authenticate": 'Bearer realm="smartpdu"'},
        ) from None
    session = await auth.create_session(principal, interface="api")
    return LoginResponse(token=session.token, expires_utc=session.expires_utc, role=principal.role)


@router.post(
    "/auth/logout",
    status_code=204,
    tags=["auth"],
    summary="End this token's session",
    responses=problem_responses(401),
)
async def logout(
    token: Annotated[str, Depends(bearer_token)],
    _: Annotated[Principal, Depends(require(Permission.READ))],
    auth: Auth,
) -> Response:
    await auth.end_session(token)
    return Response(status_code=204)


@router.get("/auth/me", response_model=Me, tags=["auth"], responses=problem_responses(401))
async def me(principal: Annotated[Principal, Depends(require(Permission.READ))]) -> Me:
    perms = sorted(str(p) for p in ROLE_PERMISSIONS[principal.role])
    return Me(username=principal.username, role=principal.role, permissions=perms)


# -- users ------------------------------------------------------------------------------------
Admin = Annotated[Principal, Depends(require(Permission.MANAGE_USERS))]


def _user(u: UserInfo) -> UserOut:
    return UserOut(username=u.username, role=u.role, created_utc=u.created_utc, disabled=u.disabled)


def _map(exc: Exception) -> ApiProblem:
    if isinstance(exc, UserNotFoundError):
        return ApiProblem(404, str(exc), kind="user-not-found")
    if isinstance(exc, UserExistsError):
        return ApiProblem(409, str(exc), kind="user-exists")
    if isinstance(exc, LastAdminError):
        return ApiProblem(409, str(exc), kind="last-admin")
    assert isinstance(exc, PolicyError)
    return ApiProblem(422, str(exc), kind="policy")


@router.get("/users", response_model=list[UserOut], tags=["users"], responses=_AUTH)
async def list_users(_: Admin, auth: Auth) -> list[UserOut]:
    return [_user(u) for u in await auth.users.list_users()]


@router.post(
    "/users",
    response_model=UserOut,
    status_code=201,
    tags=["users"],
    responses=problem_responses(401, 403, 409, 422),
)
async def create_user(body: UserCreate, principal: Admin, auth: Auth) -> UserOut:
    try:
        u = await auth.users.create_user(
            body.username, body.password, body.role, actor=principal.actor
        )
    except (UserExistsError, PolicyError) as exc:
        raise _map(exc) from None
    return _user(u)


@router.get(
    "/users/{username}",
    response_model=UserOut,
    tags=["users"],
    responses=problem_responses(401, 403, 404, 422),
)
async def get_user(username: str, _: Admin, auth: Auth) -> UserOut:
    try:
        return _user(await auth.users.get_user(username))
    except UserNotFoundError as exc:
        raise _map(exc) from None


@router.patch(
    "/users/{username}",
    response_model=UserOut,
    tags=["users"],
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def update_user(username: str, body: UserUpdate, principal: Admin, auth: Auth) -> UserOut:
    try:
        u = await auth.users.update_user(
            username,
            actor=principal.actor,
            role=body.role,
            password=body.password,
            disabled=body.disabled,
        )
    except (UserNotFoundError, LastAdminError, PolicyError) as exc:
        raise _map(exc) from None
    return _user(u)


@router.delete(
    "/users/{username}",
    status_code=204,
    tags=["users"],
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def delete_user(username: str, principal: Admin, auth: Auth) -> Response:
    try:
        existed = await auth.users.delete_user(username, actor=principal.actor)
    except LastAdminError as exc:
        raise _map(exc) from None
    if not existed:
        raise _map(UserNotFoundError(f"no user named {username!r}"))
    return Response(status_code=204)
