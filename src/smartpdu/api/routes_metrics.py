"""``GET /metrics``: the Prometheus exposition (text format, or OpenMetrics on request).

Open by default (scrapers on a management network rarely carry tokens); with
``delivery.prometheus.require_auth`` in the rack configuration it demands a bearer token with
the ``read`` permission. ``delivery.prometheus.enabled: false`` answers 404.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Final

from fastapi import APIRouter, Request
from fastapi.security.utils import get_authorization_scheme_param
from starlette.responses import Response

from smartpdu.access import AuthService, Permission
from smartpdu.api.deps import not_ready_problem
from smartpdu.api.problems import ApiProblem
from smartpdu.integrations.prometheus import AlarmSample, QueueSample, ScrapeInput, exposition
from smartpdu.runtime.port import AlarmsUnavailableError, NotReadyError, RackPort

__all__ = ["QueueStats", "device_map", "router"]

QueueStats = Callable[[], Awaitable[Sequence[QueueSample]]]
"""What the composition root hands the app: the outbox's queue depths (optional)."""

router = APIRouter(tags=["metrics"])
_CHALLENGE: Final = {"WWW-Authenticate": 'Bearer realm="smartpdu"'}


def device_map(port: RackPort) -> dict[tuple[str, str], str]:
    """``(pdu_id, outlet_id)`` → the device its PSU belongs to, from the configuration."""
    return {(p.pdu, p.outlet): d.name for d in port.config.devices for p in d.psus}


async def _check_auth(request: Request, auth: AuthService) -> None:
    scheme, token = get_authorization_scheme_param(request.headers.get("authorization"))
    if scheme.lower() != "bearer" or not token:
        raise ApiProblem(401, "This /metrics requires a bearer token.", kind="unauthorized",
                         headers=_CHALLENGE)  # fmt: skip
    principal = await auth.resolve_session(token)
    if principal is None:
        raise ApiProblem(401, "The token is unknown or expired.", kind="unauthorized",
                         headers=_CHALLENGE)  # fmt: skip
    if not principal.can(Permission.READ):
        raise ApiProblem(403, "Scraping needs the read permission.", kind="forbidden")


def _alarms(port: RackPort) -> list[AlarmSample] | None:
    try:
        active = port.active_alarms()
    except AlarmsUnavailableError:
        return None
    return [AlarmSample(a.pdu_id, a.rule, a.entity, a.metric, a.severity, a.state) for a in active]


@router.get(
    "/metrics",
    summary="Prometheus metrics (text exposition 0.0.4 or OpenMetrics)",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}},
)
async def metrics(request: Request) -> Response:
    state = request.app.state
    port: RackPort = state.port
    settings = port.config.delivery.prometheus
    if not settings.enabled:
        raise ApiProblem(404, "Prometheus metrics are disabled in this configuration.",
                         kind="not-found")  # fmt: skip
    if settings.require_auth:
        await _check_auth(request, state.auth)
    try:
        snap = port.snapshot
    except NotReadyError:
        raise not_ready_problem() from None
    stats: QueueStats | None = getattr(state, "queue_stats", None)
    queues = list(await stats()) if stats is not None else []
    scrape = ScrapeInput(snap, device_map(port), _alarms(port), queues, port.tick_overruns)
    body, ctype = exposition(scrape, request.headers.get("accept", ""))
    return Response(body, media_type=ctype, headers={"Cache-Control": "no-store"})
