"""Composition of the native REST API: ``create_app(port, auth)`` → a FastAPI app.

Everything lives under ``/api/v1`` (OpenAPI at ``/api/v1/openapi.json``, docs at
``/api/v1/docs``); ``/`` serves a small read-only live status page. The app owns no lifecycle:
the caller starts the runtime and serves the app (uvicorn).
"""

from __future__ import annotations

import time
from importlib import resources

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.staticfiles import StaticFiles

from smartpdu import __version__
from smartpdu.access import AuthService
from smartpdu.api import (
    routes_access,
    routes_alarms,
    routes_calibration,
    routes_capacity,
    routes_config,
    routes_data,
    routes_devices,
    routes_levers,
    routes_metrics,
    routes_rack,
    routes_system,
    routes_webhooks,
)
from smartpdu.api.deps import not_ready_problem
from smartpdu.api.encoded import ViewCache
from smartpdu.api.fastpath import CachedViewMiddleware
from smartpdu.api.limits import BodyLimitMiddleware, max_body_bytes_from_env
from smartpdu.api.options import OPTIONS_MARKER, options_response
from smartpdu.api.problems import install_problem_handlers, problem_response
from smartpdu.api.routes_metrics import QueueStats
from smartpdu.api.transport import SecurityHeadersMiddleware
from smartpdu.integrations.webhooks import WebhookService
from smartpdu.runtime.port import NotReadyError, RackPort, RuntimeBackend

__all__ = ["API_PREFIX", "DOCS_ASSETS", "create_app"]

API_PREFIX = "/api/v1"
DOCS_ASSETS = f"{API_PREFIX}/docs/assets"


def _status_page() -> str:
    return (resources.files("smartpdu.api") / "static" / "index.html").read_text(encoding="utf-8")


def _install_docs(app: FastAPI) -> None:
    """Swagger UI at ``/api/v1/docs`` from assets shipped in the package (works offline)."""
    app.mount(
        DOCS_ASSETS,
        StaticFiles(packages=[("smartpdu.api", "static/swagger")]),
        name="docs-assets",
    )

    @app.get(f"{API_PREFIX}/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=f"{API_PREFIX}/openapi.json",
            title="smartpdu native API",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
        )


def create_app(
    port: RackPort | RuntimeBackend,
    auth: AuthService,
    *,
    max_body_bytes: int | None = None,
    queue_stats: QueueStats | None = None,
    webhooks: WebhookService | None = None,
) -> FastAPI:
    """Build the API app over the port of a running runtime (or the runtime) and ``auth``.

    ``max_body_bytes`` limits every request body of the app, Redfish included once mounted
    (default 1 MiB or ``SMARTPDU_MAX_BODY_BYTES``). ``queue_stats`` gives ``/metrics`` the
    delivery queue depths of the outbox and ``webhooks`` the webhook service behind
    ``/api/v1/webhooks`` (the composition root owns both).
    """
    app = FastAPI(
        title="smartpdu native API",
        version=__version__,
        description=(
            "Native REST API of the smartpdu controller. Authenticate with "
            "`POST /api/v1/auth/login` and send `Authorization: Bearer <token>`. "
            "Errors are RFC 9457 `application/problem+json`."
        ),
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.port = RackPort.wrap(port)
    app.state.auth = auth
    app.state.queue_stats = queue_stats
    app.state.webhooks = webhooks
    app.state.views = ViewCache()  # the read routes' bodies, encoded once per snapshot
    app.state.started_monotonic = time.monotonic()
    install_problem_handlers(app)
    limit = max_body_bytes_from_env() if max_body_bytes is None else max_body_bytes
    app.add_middleware(CachedViewMiddleware, state=app.state)  # innermost: after the limits
    app.add_middleware(BodyLimitMiddleware, max_bytes=limit)
    app.add_middleware(SecurityHeadersMiddleware)

    @app.exception_handler(NotReadyError)
    async def _not_ready(request: Request, exc: NotReadyError) -> JSONResponse:
        problem = not_ready_problem()
        return problem_response(
            request, problem.status, problem.detail, kind=problem.kind, headers=problem.headers
        )

    api = APIRouter(prefix=API_PREFIX)
    modules = (routes_access, routes_rack, routes_calibration, routes_data, routes_config,
               routes_alarms, routes_capacity, routes_devices, routes_levers, routes_system,
               routes_webhooks)  # fmt: skip
    for module in modules:
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(routes_metrics.router)  # /metrics, where scrapers look
    app.add_route(
        f"{API_PREFIX}/{{path:path}}",
        options_response,
        methods=["OPTIONS"],
        name=OPTIONS_MARKER,
        include_in_schema=False,
    )
    _install_docs(app)

    page = _status_page()

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def status_page() -> HTMLResponse:
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    return app
