"""``OPTIONS`` on every API path, answered from the routes themselves (see ``api.methods``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from smartpdu.api.methods import allow_header, allowed_methods
from smartpdu.api.problems import problem_response

__all__ = ["OPTIONS_MARKER", "options_response"]

OPTIONS_MARKER = "smartpdu-options"


async def options_response(request: Request) -> Response:
    """``OPTIONS`` on any API path: 204 with the real ``Allow``, or 404 for unknown paths."""
    methods = allowed_methods(list(request.app.router.routes), request.scope)
    if not methods:
        return problem_response(
            request, 404, "No such resource: check the path against /api/v1/openapi.json."
        )
    return Response(status_code=204, headers={"Allow": allow_header(methods)})
