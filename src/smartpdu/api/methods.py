"""Honest ``Allow`` headers: ``OPTIONS`` and ``405`` list every method a path really accepts.

Starlette answers a method mismatch with the methods of the *first* route whose path matches,
so ``/config`` (GET and PUT, two routes) claimed ``Allow: GET``. Here every method is probed
against all routes instead (FastAPI nests included routers, so routes are asked, not read).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

from smartpdu.api.problems import problem_response

__all__ = ["allow_header", "allowed_methods", "options_response"]

OPTIONS_MARKER = "smartpdu-options"


_PROBED = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(routes: list[BaseRoute], scope: Scope) -> set[str]:
    """Methods some route (included routers too) fully matches for ``scope``'s path."""
    found: set[str] = set()
    for method in _PROBED:
        probe = {**scope, "type": "http", "method": method}
        if any(route.matches(probe)[0] is Match.FULL for route in routes):
            found.add(method)
    return found


def allow_header(methods: set[str]) -> str:
    """The ``Allow`` value: the methods plus OPTIONS (answered for every known path)."""
    return ", ".join(sorted(methods | {"OPTIONS"}))


async def options_response(request: Request) -> Response:
    """``OPTIONS`` on any API path: 204 with the real ``Allow``, or 404 for unknown paths."""
    methods = allowed_methods(list(request.app.router.routes), request.scope)
    if not methods:
        return problem_response(
            request, 404, "No such resource: check the path against /api/v1/openapi.json."
        )
    return Response(status_code=204, headers={"Allow": allow_header(methods)})
