"""Bearer-token authentication and per-route permission checks (FastAPI dependencies).

Usage in a router::

    @router.get("/pdus", dependencies=[Depends(require(Permission.READ))])
    async def pdus(...): ...

    async def switch(principal: Annotated[Principal, Depends(require(Permission.CONTROL))]): ...
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from smartpdu.access import AuthService, Permission, Principal
from smartpdu.api.problems import ApiProblem
from smartpdu.api.strict_query import reject_unknown_query

__all__ = ["bearer_token", "get_auth", "require"]

_bearer = HTTPBearer(auto_error=False, description="Token from POST /api/v1/auth/login")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="smartpdu"'}


async def get_auth(request: Request) -> AuthService:
    auth: AuthService = request.app.state.auth
    return auth


def _token_of(creds: HTTPAuthorizationCredentials | None) -> str:
    if creds is None or creds.scheme.lower() != "bearer" or not creds.credentials:
        raise ApiProblem(
            401,
            "Authentication required: send 'Authorization: Bearer <token>' with a token from "
            "POST /api/v1/auth/login.",
            kind="unauthorized",
            headers=_CHALLENGE,
        )
    return creds.credentials


async def bearer_token(
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """Return the bearer token of the request or answer 401 with a challenge."""
    return _token_of(creds)


async def _principal_of(auth: AuthService, token: str) -> Principal:
    principal = await auth.resolve_session(token)
    if principal is None:
        raise ApiProblem(
            401,
            "The token is unknown or expired: log in again at POST /api/v1/auth/login.",
            kind="unauthorized",
            headers={"WWW-Authenticate": 'Bearer realm="smartpdu", error="invalid_token"'},
        )
    return principal


def require(permission: Permission) -> Callable[..., Awaitable[Principal]]:
    """Dependency: the authenticated principal, or 401/403 if missing or not permitted (a 403
    is audited as ACCESS_DENIED).

    One dependency (plus the bearer scheme that documents itself in OpenAPI): FastAPI's cost
    grows with every node of a dependency chain, and every route pays it."""

    async def _check(
        request: Request,
        creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        auth: AuthService = request.app.state.auth
        principal = await _principal_of(auth, _token_of(creds))
        if not principal.can(permission):
            await auth.audit_denied(
                principal,
                interface="api",
                operation=f"{request.method} {request.url.path}",
                permission=str(permission),
                remote=request.client.host if request.client else None,
            )
            raise ApiProblem(
                403,
                f"Role {principal.role!s} lacks the {permission!s} permission for this request; "
                "ask an administrator for a role that has it.",
                kind="forbidden",
            )
        reject_unknown_query(request)
        return principal

    return _check
