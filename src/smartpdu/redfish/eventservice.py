"""EventService and its Subscriptions collection (EventDestination resources)."""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import urlsplit

from starlette.responses import Response

from smartpdu.access import Permission
from smartpdu.redfish.context import ROOT, Ctx, check_props, collection, link, read_json_body
from smartpdu.redfish.delivery import EventDelivery
from smartpdu.redfish.errors import RedfishError
from smartpdu.redfish.responses import action_result, check_if_match, resource_response
from smartpdu.redfish.router import Endpoint
from smartpdu.redfish.subscriptions import (
    MAX_CONTEXT_CHARS,
    MAX_DESTINATION_CHARS,
    Subscription,
    SubscriptionLimitError,
)

__all__ = ["event_endpoints"]

ES: Final = f"{ROOT}/EventService"
SUBS: Final = f"{ES}/Subscriptions"


def _dest_body(sub: Subscription) -> dict[str, Any]:
    return {
        "@odata.type": "#EventDestination.v1_16_0.EventDestination",
        "@odata.id": f"{SUBS}/{sub.id}",
        "Id": sub.id,
        "Name": f"Subscription {sub.id}",
        "Destination": sub.destination,
        "Context": sub.context,
        "Protocol": "Redfish",
        "EventFormatType": "Event",
        "SubscriptionType": "RedfishEvent",
        "DeliveryRetryPolicy": "RetryForever",
        "Status": {"State": "Enabled", "Health": "OK"},
    }


def _excerpt(text: str) -> str:
    """Start of an over-long value, enough to recognise it in an error message."""
    return text if len(text) <= 40 else text[:40] + "..."


def _check_context(value: object) -> str | None:
    """Validate a ``Context`` value: a string of at most ``MAX_CONTEXT_CHARS``, or null."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise RedfishError(400, "PropertyValueTypeError", value, "Context", related=("#/Context",))
    if len(value) > MAX_CONTEXT_CHARS:
        raise RedfishError(
            400, "StringValueTooLong", _excerpt(value), MAX_CONTEXT_CHARS, related=("#/Context",)
        )
    return value


def event_endpoints(delivery: EventDelivery) -> list[Endpoint]:
    def event_service(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
        return {
            "@odata.type": "#EventService.v1_12_0.EventService",
            "@odata.id": ES,
            "Id": "EventService",
            "Name": "Event service",
            "ServiceEnabled": True,
            "Status": {"State": "Enabled", "Health": "OK"},
            "DeliveryRetryAttempts": 0,
            "DeliveryRetryIntervalSeconds": 1,
            "EventFormatTypes": ["Event"],
            "Subscriptions": link(SUBS),
        }

    async def subscriptions(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
        subs = await delivery.subs.list()
        return collection(
            "EventDestinationCollection",
            SUBS,
            "Event subscriptions",
            [f"{SUBS}/{s.id}" for s in subs],
        )

    async def _get(sid: str) -> Subscription:
        sub = await delivery.subs.get(sid)
        if sub is None:
            raise RedfishError(404, "ResourceNotFound", "EventDestination", sid)
        return sub

    async def subscription(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
        return _dest_body(await _get(p["sub"]))

    async def create(ctx: Ctx, p: dict[str, str], raw: bytes, h: dict[str, str]) -> Response:
        ctx.require(Permission.CONFIGURE)
        body = read_json_body(raw)
        check_props(
            body,
            {
                "Destination",
                "Context",
                "Protocol",
                "EventFormatType",
                "SubscriptionType",
                "DeliveryRetryPolicy",
            },
        )
        dest = body.get("Destination")
        if dest is None:
            raise RedfishError(400, "PropertyMissing", "Destination", related=("#/Destination",))
        if isinstance(dest, str) and len(dest) > MAX_DESTINATION_CHARS:
            raise RedfishError(
                400,
                "StringValueTooLong",
                _excerpt(dest),
                MAX_DESTINATION_CHARS,
                related=("#/Destination",),
            )
        if (
            not isinstance(dest, str)
            or urlsplit(dest).scheme not in ("http", "https")
            or not urlsplit(dest).netloc
        ):
            raise RedfishError(
                400, "PropertyValueIncorrect", "Destination", dest, related=("#/Destination",)
            )
        fixed = {
            "Protocol": "Redfish",
            "EventFormatType": "Event",
            "SubscriptionType": "RedfishEvent",
            "DeliveryRetryPolicy": "RetryForever",
        }
        for key, only in fixed.items():
            if key in body and body[key] != only:
                raise RedfishError(
                    400, "PropertyValueNotInList", body[key], key, related=(f"#/{key}",)
                )
        context = _check_context(body.get("Context"))
        try:
            sub = await delivery.subscribe(dest, context, ctx.actor)
        except SubscriptionLimitError:
            raise RedfishError(400, "EventSubscriptionLimitExceeded") from None
        out = _dest_body(sub)
        return resource_response(201, out, {"Location": out["@odata.id"]})

    async def patch(ctx: Ctx, p: dict[str, str], raw: bytes, h: dict[str, str]) -> Response:
        ctx.require(Permission.CONFIGURE)
        await _get(p["sub"])
        body = read_json_body(raw)
        check_props(
            body,
            {"Context"},
            readonly={
                "Destination",
                "Protocol",
                "Id",
                "Name",
                "EventFormatType",
                "SubscriptionType",
            },
        )
        context = _check_context(body.get("Context"))
        updated = await delivery.set_context(
            p["sub"], context, precondition=lambda cur: check_if_match(h, _dest_body(cur))
        )
        if updated is None:
            raise RedfishError(404, "ResourceNotFound", "EventDestination", p["sub"])
        out = _dest_body(updated)
        return resource_response(200, out)

    async def delete(ctx: Ctx, p: dict[str, str], raw: bytes, h: dict[str, str]) -> Response:
        ctx.require(Permission.CONFIGURE)
        if not await delivery.unsubscribe(p["sub"], ctx.actor):
            raise RedfishError(404, "ResourceNotFound", "EventDestination", p["sub"])
        return action_result(200, "Success")

    return [
        Endpoint(ES, event_service),
        Endpoint(SUBS, subscriptions, post=create, live=False),
        Endpoint(f"{SUBS}/{{sub}}", subscription, patch=patch, delete=delete, live=False),
    ]
