"""The Redfish ASGI application: authentication, routing, per-snapshot byte cache, errors.

``create_redfish_app(port, auth)`` returns a FastAPI app that serves the full paths
``/redfish`` and ``/redfish/v1/...``. Use it as the top-level app, or mount it with
``app.mount("/redfish", redfish_app)`` next to the native API (it reconstructs the full path from
``root_path``). A mounted app gets no lifespan events: then enter
``redfish_app.state.redfish.delivery`` (an :class:`EventDelivery`) in the host app's lifespan.

Performance: GET bodies of snapshot-derived resources are serialised once per snapshot (tick)
and served as cached bytes with a precomputed ETag. Sessions and Basic credentials are checked by
the shared :class:`~smartpdu.access.AuthService` (its cache is invalidated at once when a user
changes, on any interface), so a cached GET costs a few dict lookups.
"""

from __future__ import annotations

import inspect
import logging
from base64 import b64decode
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final
from urllib.parse import parse_qsl

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from smartpdu.access import AuthError, AuthService, Principal
from smartpdu.api.encoded import EncodedView, ViewCache
from smartpdu.redfish.accounts import SESSIONS, account_endpoints
from smartpdu.redfish.chassis import chassis_endpoints
from smartpdu.redfish.context import ROOT, Ctx
from smartpdu.redfish.delivery import EventDelivery
from smartpdu.redfish.errors import RedfishError
from smartpdu.redfish.eventservice import event_endpoints
from smartpdu.redfish.managers import manager_endpoints
from smartpdu.redfish.metadata import metadata_xml, odata_document, service_root
from smartpdu.redfish.power import power_endpoints
from smartpdu.redfish.responses import (
    BASE_HEADERS,
    JSON_TYPE,
    described_by,
    json_response,
    resource_bytes,
)
from smartpdu.redfish.router import Endpoint, Router
from smartpdu.runtime.port import NotReadyError, RackPort, RuntimeBackend

__all__ = ["RedfishService", "create_redfish_app", "mount_redfish"]

log = logging.getLogger(__name__)
PUBLIC_GET: Final = frozenset({"/redfish", f"{ROOT}", f"{ROOT}/odata", f"{ROOT}/$metadata"})
_METHODS: Final = ["GET", "HEAD", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"]
_UNAUTHORIZED: Final = {"WWW-Authenticate": 'Basic realm="smartpdu Redfish"'}
_MEMBERS: Final = "/Members"
ODATA_VERSION: Final = "4.0"


class RedfishService:
    """State of one Redfish front-end: router, caches, event delivery."""

    def __init__(
        self,
        port: RackPort | RuntimeBackend,
        auth: AuthService,
        delivery: EventDelivery | None = None,
        *,
        require_tls: bool = False,
    ) -> None:
        if delivery is None:
            if isinstance(port, RackPort):
                # The outbox is a long-lived task: the composition root (smartpdu.app) builds
                # it from the port and runs it as an interface of the registry.
                raise TypeError("pass the EventDelivery built by the composition root")
            delivery = EventDelivery(port)  # composed here around a bare runtime (tests)
        self.port = RackPort.wrap(port)
        self.auth = auth
        self.require_tls = require_tls
        """TLS is on: credentials (Basic auth, session login) arriving over plain HTTP are
        refused, whatever route they took (a second listener, a proxy that forgot TLS)."""
        self.delivery = delivery
        self.router = Router()
        endpoints: list[Endpoint] = [
            Endpoint(ROOT, service_root),
            Endpoint(f"{ROOT}/odata", odata_document),
            *power_endpoints(),
            *chassis_endpoints(),
            *manager_endpoints(),
            *account_endpoints(),
            *event_endpoints(self.delivery),
        ]
        for ep in endpoints:
            self.router.add(ep)
        self._cache: ViewCache[str] = ViewCache()
        """GET bodies of ``live`` resources by path, encoded once per snapshot."""

    def invalidate(self, credentials: bool = False) -> None:
        """Forget cached bodies after a write through this interface (logins are AuthService's)."""
        self._cache.clear()

    # -- authentication -----------------------------------------------------------------------
    def _refuse_cleartext(self, request: Request) -> None:
        """Under TLS, never accept a password sent in clear (Redfish: Basic requires HTTPS)."""
        if self.require_tls and request.scope.get("scheme") != "https":
            raise RedfishError(403, "AccessForbidden")

    async def _principal(self, request: Request) -> tuple[Principal | None, str | None]:
        token = request.headers.get("x-auth-token")
        if token:
            principal = await self.auth.resolve_session(token)
            if principal is None:
                raise RedfishError(401, "NoValidSession", headers=_UNAUTHORIZED)
            return principal, token
        header = request.headers.get("authorization")
        if header and header[:6].lower() == "basic ":
            self._refuse_cleartext(request)
            try:
                user, _, password = b64decode(header[6:].strip()).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                raise RedfishError(401, "NoValidSession", headers=_UNAUTHORIZED) from None
            remote = request.client.host if request.client else None
            try:
                principal = await self.auth.check_basic(
                    user, password, interface="redfish", remote=remote
                )
            except AuthError:
                raise RedfishError(401, "NoValidSession", headers=_UNAUTHORIZED) from None
            return principal, None
        return None, None

    # -- request handling ---------------------------------------------------------------------
    async def handle(self, request: Request) -> Response:
        principal: list[Principal | None] = [None]
        try:
            return await self._handle(request, principal)
        except RedfishError as exc:
            who = principal[0]
            if exc.status == 403 and who is not None:
                await self.auth.audit_denied(
                    who,
                    interface="redfish",
                    operation=f"{request.method} {request.url.path}",
                    permission=exc.key,
                    remote=request.client.host if request.client else None,
                )
            return json_response(exc.status, exc.body(), exc.headers)
        except NotReadyError:
            return json_response(
                503,
                RedfishError(503, "ServiceTemporarilyUnavailable", 1).body(),
                {"Retry-After": "1"},
            )
        except Exception:
            log.exception("redfish request %s %s failed", request.method, request.url.path)
            return json_response(500, RedfishError(500, "InternalError").body())

    async def _handle(self, request: Request, who: list[Principal | None]) -> Response:
        scope = request.scope
        path: str = scope["path"]
        if not path.startswith("/redfish"):
            path = scope.get("root_path", "") + path
        if len(path) > 1 and path.endswith("/"):
            path = path.rstrip("/")
        method = request.method
        _check_protocol(request)
        if method == "POST" and path.endswith(_MEMBERS):
            # POST to a collection's Members property is the same create (Redfish spec 7.7).
            path = path[: -len(_MEMBERS)]
        if path == "/redfish":
            if method not in ("GET", "HEAD"):
                raise RedfishError(405, "OperationNotAllowed", headers={"Allow": "GET, HEAD"})
            return json_response(200, {"v1": f"{ROOT}/"})
        if path == f"{ROOT}/$metadata":
            if method not in ("GET", "HEAD"):
                raise RedfishError(405, "OperationNotAllowed", headers={"Allow": "GET, HEAD"})
            return Response(
                metadata_xml(),
                200,
                headers=BASE_HEADERS,
                media_type="application/xml;charset=utf-8",
            )
        principal, token = await self._principal(request)
        who[0] = principal
        public = path in PUBLIC_GET and method in ("GET", "HEAD")
        login = path == SESSIONS and method == "POST"
        if login:
            self._refuse_cleartext(request)
        if principal is None and not (public or login):
            raise RedfishError(401, "NoValidSession", headers=_UNAUTHORIZED)

        snap = self.port.snapshot
        if method in ("GET", "HEAD"):
            hit = self._cache.get(snap, path)
            if hit is not None:
                return hit.response(request.headers.get("if-none-match"))

        found = self.router.resolve(path)
        if found is None:
            raise RedfishError(404, "ResourceMissingAtURI", path)
        ep, params = found
        ctx = Ctx(
            self.port,
            self.auth,
            principal,
            snap,
            token=token,
            remote=request.client.host if request.client else None,
            on_change=self.invalidate,
        )
        if method in ("GET", "HEAD") and ep.get is not None:
            body = ep.get(ctx, params)
            if inspect.isawaitable(body):
                body = await body
            data, etag = resource_bytes(body)
            headers = {**BASE_HEADERS, "Allow": ep.allow}
            link = described_by(body)
            if link is not None:
                headers["Link"] = link
            view = EncodedView(data, JSON_TYPE, headers, etag=etag)
            if ep.live:
                self._cache.put(snap, path, view)
            return view.response(request.headers.get("if-none-match"))
        handler = {"POST": ep.post, "PATCH": ep.patch, "DELETE": ep.delete}.get(method)
        if handler is None:
            raise RedfishError(405, "OperationNotAllowed", headers={"Allow": ep.allow or "GET"})
        raw = await request.body()
        headers_in = {k.lower(): v for k, v in request.headers.items()}
        return await handler(ctx, params, raw, headers_in)


def _check_protocol(request: Request) -> None:
    """Refuse what the service cannot honour instead of silently ignoring it.

    An ``OData-Version`` other than 4.0 is 412 (OData 4.01 section 8.2.6); a query parameter
    starting with ``$`` is 501, because the service root advertises no query support
    (``ProtocolFeaturesSupported``) and answering the unfiltered resource would mislead.
    Other query parameters are ignored, as the Redfish specification asks.
    """
    version = request.headers.get("odata-version")
    if version is not None and version.strip() != ODATA_VERSION:
        raise RedfishError(412, "HeaderInvalid", f"OData-Version: {version}")
    query: bytes = request.scope.get("query_string", b"")
    if query and (b"$" in query or b"%24" in query.lower()):
        for name, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if name.startswith("$"):
                raise RedfishError(501, "QueryParameterUnsupported", name)


def create_redfish_app(
    port: RackPort | RuntimeBackend,
    auth: AuthService,
    *,
    delivery: EventDelivery | None = None,
    require_tls: bool = False,
) -> FastAPI:
    """Build the Redfish app; its lifespan runs the EventService delivery worker.

    ``require_tls``: the server runs TLS, so passwords sent over plain HTTP are refused.
    """
    service = RedfishService(port, auth, delivery, require_tls=require_tls)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await service.delivery.start()
        try:
            yield
        finally:
            await service.delivery.aclose()

    app = FastAPI(
        title="smartpdu Redfish", lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None
    )
    app.state.redfish = service

    async def endpoint(request: Request) -> Response:
        return await service.handle(request)

    app.add_route("/{path:path}", endpoint, methods=_METHODS, include_in_schema=False)
    return app


def mount_redfish(host: FastAPI, redfish: FastAPI) -> None:
    """Mount ``redfish`` at ``/redfish`` on ``host``, serving ``/redfish`` itself without redirect.

    The host's lifespan must run ``redfish.state.redfish.delivery`` (mounted apps get none).
    """
    service: RedfishService = redfish.state.redfish

    async def version_document(request: Request) -> Response:
        return await service.handle(request)

    host.add_route("/redfish", version_document, methods=_METHODS, include_in_schema=False)
    host.mount("/redfish", redfish)
