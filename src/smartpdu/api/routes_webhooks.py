"""Routes: webhook subscriptions (``/webhooks``): create, list, change, delete, rotate the
secret, send a test, read the delivery log, redeliver.

Every route needs the ``configure`` permission (URLs of chat webhooks carry their token) and
every change is audited by the service (``WEBHOOK_*`` events with the actor). The secret is
in the answer of ``POST /webhooks`` and ``POST /webhooks/{id}/rotate-secret`` only.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from smartpdu.access import Permission, Principal
from smartpdu.api.problems import ApiProblem, problem_responses
from smartpdu.api.requests import StrictRequest
from smartpdu.api.security import require
from smartpdu.events.outbox import DeliveryError
from smartpdu.events.webhook_store import WebhookRecord
from smartpdu.integrations.webhooks import WebhookChange, WebhookError, WebhookService

__all__ = ["router"]

router = APIRouter(tags=["webhooks"])
Configurer = Annotated[Principal, Depends(require(Permission.CONFIGURE))]
WebhookId = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[a-z0-9]+$")]
Severity = Literal["info", "warning", "critical"]
TemplateName = Literal["standard", "slack", "teams", "mattermost", "ticket"]
_SECRET_HELP = "whsec_ + base64 of 24-64 random bytes; generated when absent"


async def _service(request: Request) -> WebhookService:
    svc: WebhookService | None = getattr(request.app.state, "webhooks", None)
    if svc is None:
        raise ApiProblem(503, "Webhook delivery does not run in this server.", kind="unavailable")
    return svc


Service = Annotated[WebhookService, Depends(_service)]


class WebhookCreate(StrictRequest):
    url: str = Field(min_length=1, max_length=2048)
    secret: str | None = Field(None, max_length=128, description=_SECRET_HELP)
    event_codes: list[Annotated[str, Field(max_length=64)]] = Field(
        default_factory=list, max_length=64
    )
    min_severity: Severity = "info"
    sources: list[Annotated[str, Field(max_length=128)]] = Field(
        default_factory=list, max_length=64
    )
    pdu_ids: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list, max_length=64)
    template: TemplateName = "standard"
    description: str = Field("", max_length=200)


class WebhookPatch(StrictRequest):
    url: str | None = Field(None, min_length=1, max_length=2048)
    event_codes: list[Annotated[str, Field(max_length=64)]] | None = Field(None, max_length=64)
    min_severity: Severity | None = None
    sources: list[Annotated[str, Field(max_length=128)]] | None = Field(None, max_length=64)
    pdu_ids: list[Annotated[str, Field(max_length=64)]] | None = Field(None, max_length=64)
    template: TemplateName | None = None
    description: str | None = Field(None, max_length=200)
    enabled: bool | None = None


class RotateBody(StrictRequest):
    secret: str | None = Field(None, max_length=128, description=_SECRET_HELP)
    overlap_s: float | None = Field(
        None, ge=0, le=30 * 86400, description="How long the old secret keeps signing"
    )


class RedeliverBody(StrictRequest):
    pdu_id: str = Field(min_length=1, max_length=64)
    first_seq: int = Field(ge=1)
    last_seq: int | None = Field(None, ge=1, description="Default: first_seq")


class DeliveryStatusOut(BaseModel):
    failures: int = Field(description="Consecutive failed attempts (0 = healthy)")
    last_error: str
    delivered: int = Field(description="Events delivered since the server started")
    backlog: int | None = Field(description="Events waiting (null while disabled)")


class WebhookOut(BaseModel):
    id: str
    url: str
    description: str
    event_codes: list[str]
    min_severity: str
    sources: list[str]
    pdu_ids: list[str]
    template: str
    enabled: bool
    disabled_reason: str
    owner: str
    created_utc: str
    signing_secrets: int = Field(description="2 during a rotation overlap")
    status: DeliveryStatusOut | None = None


class WebhookCreated(WebhookOut):
    secret: str = Field(description="Shown once: store it in the receiver now")


class TestResult(BaseModel):
    ok: bool
    detail: str
    latency_s: float


class DeliveryOut(BaseModel):
    n: int
    delivery_id: str = Field(description="The webhook-id header: stable across retries")
    pdu_id: str
    first_seq: int
    last_seq: int
    events: int
    attempt: int
    ok: bool
    detail: str
    latency_s: float
    at_utc: str


class Redelivered(BaseModel):
    sent: int


async def _out(svc: WebhookService, rec: WebhookRecord) -> WebhookOut:
    st = svc.status(rec.id)
    status = None
    if st is not None or not rec.enabled:
        status = DeliveryStatusOut(
            failures=st.failures if st else 0,
            last_error=st.last_error if st else "",
            delivered=st.delivered if st else 0,
            backlog=await svc.backlog(rec.id),
        )
    return WebhookOut(
        id=rec.id, url=rec.url, description=rec.description,
        event_codes=list(rec.event_codes), min_severity=rec.min_severity,
        sources=list(rec.sources), pdu_ids=list(rec.pdu_ids), template=rec.template,
        enabled=rec.enabled, disabled_reason=rec.disabled_reason, owner=rec.owner,
        created_utc=rec.created_utc, signing_secrets=len(rec.secrets), status=status,
    )  # fmt: skip


def _get(svc: WebhookService, webhook_id: str) -> WebhookRecord:
    try:
        return svc.get(webhook_id)
    except KeyError:
        raise ApiProblem(404, f"No webhook {webhook_id!r}.", kind="not-found") from None


def _invalid(exc: WebhookError) -> ApiProblem:
    return ApiProblem(422, str(exc), kind="invalid-webhook")


_R = problem_responses(401, 403, 404, 422, 503)


@router.get("/webhooks", response_model=list[WebhookOut], responses=_R)
async def list_webhooks(_: Configurer, svc: Service) -> list[WebhookOut]:
    return [await _out(svc, r) for r in svc.all()]


@router.post("/webhooks", response_model=WebhookCreated, status_code=201, responses=_R)
async def create_webhook(body: WebhookCreate, who: Configurer, svc: Service) -> WebhookCreated:
    try:
        rec, secret = await svc.create(
            body.url, who.actor, secret=body.secret, event_codes=body.event_codes,
            min_severity=body.min_severity, sources=body.sources, pdu_ids=body.pdu_ids,
            template=body.template, description=body.description,
        )  # fmt: skip
    except WebhookError as exc:
        raise _invalid(exc) from None
    out = await _out(svc, rec)
    return WebhookCreated(**out.model_dump(), secret=secret)


@router.get("/webhooks/{webhook_id}", response_model=WebhookOut, responses=_R)
async def get_webhook(webhook_id: WebhookId, _: Configurer, svc: Service) -> WebhookOut:
    return await _out(svc, _get(svc, webhook_id))


@router.patch("/webhooks/{webhook_id}", response_model=WebhookOut, responses=_R)
async def update_webhook(
    webhook_id: WebhookId, body: WebhookPatch, who: Configurer, svc: Service
) -> WebhookOut:
    _get(svc, webhook_id)
    try:
        rec = await svc.update(webhook_id, WebhookChange(**body.model_dump()), who.actor)
    except WebhookError as exc:
        raise _invalid(exc) from None
    return await _out(svc, rec)


@router.delete("/webhooks/{webhook_id}", status_code=204, responses=_R)
async def delete_webhook(webhook_id: WebhookId, who: Configurer, svc: Service) -> Response:
    _get(svc, webhook_id)
    await svc.delete(webhook_id, who.actor)
    return Response(status_code=204)


@router.post("/webhooks/{webhook_id}/rotate-secret", response_model=WebhookCreated, responses=_R)
async def rotate_secret(
    webhook_id: WebhookId, who: Configurer, svc: Service, body: RotateBody | None = None
) -> WebhookCreated:
    _get(svc, webhook_id)
    body = body or RotateBody()
    try:
        rec, secret = await svc.rotate(
            webhook_id, who.actor, secret=body.secret, overlap_s=body.overlap_s
        )
    except WebhookError as exc:
        raise _invalid(exc) from None
    out = await _out(svc, rec)
    return WebhookCreated(**out.model_dump(), secret=secret)


@router.post("/webhooks/{webhook_id}/test", response_model=TestResult, responses=_R)
async def test_webhook(webhook_id: WebhookId, who: Configurer, svc: Service) -> TestResult:
    _get(svc, webhook_id)
    result, latency = await svc.test(webhook_id, who.actor)
    return TestResult(ok=result.ok, detail=result.detail, latency_s=round(latency, 6))


@router.get("/webhooks/{webhook_id}/deliveries", response_model=list[DeliveryOut], responses=_R)
async def deliveries(webhook_id: WebhookId, _: Configurer, svc: Service) -> list[DeliveryOut]:
    _get(svc, webhook_id)
    records = await svc.deliveries(webhook_id)
    return [DeliveryOut.model_validate(asdict(r)) for r in reversed(records)]  # newest first


@router.post(
    "/webhooks/{webhook_id}/redeliver",
    response_model=Redelivered,
    responses=problem_responses(401, 403, 404, 422, 502, 503),
)
async def redeliver(
    webhook_id: WebhookId, body: RedeliverBody, who: Configurer, svc: Service
) -> Redelivered:
    _get(svc, webhook_id)
    last = body.first_seq if body.last_seq is None else body.last_seq
    try:
        sent = await svc.redeliver(webhook_id, body.pdu_id, body.first_seq, last, who.actor)
    except WebhookError as exc:
        raise _invalid(exc) from None
    except DeliveryError as exc:
        raise ApiProblem(502, f"The receiver refused the redelivery: {exc}",
                         kind="delivery-failed") from None  # fmt: skip
    return Redelivered(sent=sent)
