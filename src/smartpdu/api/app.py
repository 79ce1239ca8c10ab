"""Composition of the native REST API: ``create_app(services, auth)`` → a FastAPI app.

Everything lives under ``/api/v1`` (OpenAPI at ``/api/v1/openapi.json``, docs at
``/api/v1/docs``); ``/`` serves a small read-only live status page. The app owns no lifecycle:
the caller starts the runtime and serves the app (uvicorn).
"""

from __future__ import annotations

import time
from importlib import resources

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse

from smartpdu import __version__
from smartpdu.access import AuthService
from smartpdu.api import routes_access, routes_config, routes_data, routes_rack
from smartpdu.api.problems import install_problem_handlers
from smartpdu.runtime.services import RuntimeServices

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/api/v1"


def _status_page() -> str:
    return (resources.files("smartpdu.api") / "static" / "index.html").read_text(encoding="utf-8")


def create_app(services: RuntimeServices, auth: AuthService) -> FastAPI:
    """Build the API app over a running runtime and the access service."""
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
    app.state.services = services
    app.state.auth = auth
    app.state.started_monotonic = time.monotonic()
    install_problem_handlers(app)

    api = APIRouter(prefix=API_PREFIX)
    for module in (routes_access, routes_rack, routes_data, routes_config):
        api.include_router(module.router)
    app.include_router(api)

    page = _status_page()

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def status_page() -> HTMLResponse:
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    return app
