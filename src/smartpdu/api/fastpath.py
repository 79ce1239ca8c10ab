"""Answer a repeated read of the current snapshot before routing, as Redfish does.

FastAPI's routing (nested routers matched twice) and dependency solving cost more per request
than sending a few hundred cached bytes. Within one tick every reader of
``GET /api/v1/pdus/pdu-a/outlets/7`` gets the same bytes, so once a read route has encoded a
view (:func:`~smartpdu.api.deps.serve_view`, keyed by the request path) a further ``GET`` of the
same path during the same snapshot is answered here, after the same authentication the route
does: the bearer token's cached resolution (dropped at once on logout or any change of the user,
see :class:`~smartpdu.access.AuthService`) and the ``read`` permission. Anything else — no view
yet, a new tick, a token not in the cache, a role without ``read``, another method — goes
through FastAPI unchanged, which answers and audits as before.
"""

from __future__ import annotations

from typing import Final

from starlette.datastructures import State
from starlette.types import ASGIApp, Receive, Scope, Send

from smartpdu.access import AuthService, Permission
from smartpdu.api.encoded import EncodedView, ViewCache
from smartpdu.runtime.port import NotReadyError, RackPort

__all__ = ["CachedViewMiddleware"]

_AUTHORIZATION: Final = b"authorization"
_IF_NONE_MATCH: Final = b"if-none-match"


class CachedViewMiddleware:
    """Serve an already encoded view of the current snapshot to an authorised reader."""

    def __init__(self, app: ASGIApp, state: State) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # a query string goes through routing: its names are validated there (strict_query)
        if scope["type"] == "http" and scope["method"] == "GET" and not scope["query_string"]:
            hit = self._hit(scope)
            if hit is not None:
                view, if_none_match = hit
                await view.response(if_none_match)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _hit(self, scope: Scope) -> tuple[EncodedView, str | None] | None:
        views: ViewCache[str] | None = getattr(self.state, "views", None)
        port: RackPort | None = getattr(self.state, "port", None)
        auth: AuthService | None = getattr(self.state, "auth", None)
        if not views or port is None or auth is None:
            return None
        try:
            view = views.get(port.snapshot, scope["path"])
        except NotReadyError:
            return None
        if view is None:
            return None
        authorization: str | None = None
        if_none_match: str | None = None
        for name, value in scope["headers"]:
            if name == _AUTHORIZATION and authorization is None:
                authorization = value.decode("latin-1")
            elif name == _IF_NONE_MATCH and if_none_match is None:
                if_none_match = value.decode("latin-1")
        if authorization is None:
            return None
        scheme, _, token = authorization.partition(" ")  # as FastAPI's HTTPBearer splits it
        if scheme.lower() != "bearer":
            return None
        principal = auth.cached_principal(token.strip())
        if principal is None or not principal.can(Permission.READ):
            return None
        return view, if_none_match
