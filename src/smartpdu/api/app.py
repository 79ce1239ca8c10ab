"""Composition of the native REST API: ``create_app(port, auth)`` → a FastAPI app.

Everything lives under ``/api/v1`` (OpenAPI at ``/api/v1/openapi.json``, docs at
``/api/v1/docs``); ``/`` serves a small read-only live status page. The app owns no lifecycle:
the caller starts the runtime and serves the app (uvicorn).
"""

from __future__ import annotations

import time
from importlib import resources

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse

from smartpdu import __version__
from smartpdu.access import AuthService
from smartpdu.api import routes_access, routes_config, routes_data, routes_rack
from smartpdu.api.deps import not_ready_problem
from smartpdu.api.problems import install_problem_handlers, problem_response
from smartpdu.runtime.port import NotReadyError, RackPort, RuntimeBackend

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/api/v1"


def _status_page() -> str:
    return (resources.files("smartpdu.api") / "static" / "index.html").read_text(encoding="utf-8")


def create_app(port: RackPort | RuntimeBackend, auth: AuthService) -> FastAPI:
    """Build the API app over the port of a running runtime (or the runtime) and ``auth``."""
    app = FastAPI(
        title="smartpdu native API",
        version=__version__,
        description=(
            "Native REST API of the smartpdu controller. Authenticate with "
            "`POST /api/v1/auth/login` and send `Authorization: Bearer <token>`. "
            "Errors are RFC 9457 `application/problem+json`."
        ),
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    app.state.port = RackPort.wrap(port)
    app.state.auth = auth
    app.state.started_monotonic = time.monotonic()
    install_problem_handlers(app)

    @app.exception_handler(NotReadyError)
    async def _not_ready(request: Request, exc: NotReadyError) -> JSONResponse:
        problem = not_ready_problem()
        return problem_response(
            request, problem.status, problem.detail, kind=problem.kind, headers=problem.headers
        )

    api = APIRouter(prefix=API_PREFIX)
    for module in (routes_access, routes_rack, routes_data, routes_config):
        api.include_router(module.router)
    app.include_router(api)

    page = _status_page()

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def status_page() -> HTMLResponse:
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    return app
