"""EventService delivery: store-backed cursors survive restarts; failures back off and retry."""

from __future__ import annotations

import json

import httpx
import pytest
from redfish_fake_runtime import FakeRuntime

from smartpdu.events.model import NewEvent
from smartpdu.redfish import EventDelivery, SubscriptionStore, event_payload


class Sink:
    """An httpx transport standing in for the destination; can be told to refuse."""

    def __init__(self) -> None:
        self.up = True
        self.attempts = 0
        self.bodies: list[dict] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        if not self.up:
            return httpx.Response(503)
        self.bodies.append(json.loads(request.content))
        return httpx.Response(204)

    def seqs(self) -> list[int]:
        return [r["Oem"]["SmartPDU"]["sequence_id"] for b in self.bodies for r in b["Events"]]


def emit(rt: FakeRuntime, n: int) -> None:
    for i in range(n):
        rt.events.append(
            NewEvent(
                pdu_id="pdu-b",
                source=f"outlet/{i + 1}",
                event_code="OUTLET_ON",
                message="on",
                actor="redfish/test",
            )
        )


async def test_subscription_starts_at_head_and_survives_restart(runtime: FakeRuntime) -> None:
    emit(runtime, 3)  # history before the subscription is not replayed
    sink = Sink()
    subs = SubscriptionStore(runtime.store)
    sub = subs.create("http://dcim.invalid/events", "ctx", "redfish/admin", "t0")
    emit(runtime, 2)
    d1 = EventDelivery(runtime, transport=httpx.MockTransport(sink))
    assert await d1.deliver_once(now=0.0) is None
    assert sink.seqs() == [4, 5] and sink.bodies[0]["Context"] == "ctx"
    await d1.aclose()
    emit(runtime, 2)
    d2 = EventDelivery(runtime, transport=httpx.MockTransport(sink))  # "after a restart"
    await d2.deliver_once(now=0.0)
    assert sink.seqs() == [4, 5, 6, 7]  # continues from the stored cursor: no loss, no repeat
    assert subs.cursor(sub.id, "pdu-b") == 7
    await d2.aclose()


async def test_failures_back_off_exponentially_then_deliver_in_order(runtime: FakeRuntime) -> None:
    sink = Sink()
    SubscriptionStore(runtime.store).create("http://dcim.invalid/e", None, "redfish/admin", "t0")
    d = EventDelivery(
        runtime, transport=httpx.MockTransport(sink), base_backoff_s=1.0, max_backoff_s=4.0
    )
    emit(runtime, 2)
    sink.up = False
    retry_at = [await d.deliver_once(now=0.0)]
    assert retry_at == [1.0]
    assert await d.deliver_once(now=0.5) == 1.0  # not yet due: no attempt
    assert sink.attempts == 1
    for now in (1.0, 3.0, 7.0, 11.0):
        retry_at.append(await d.deliver_once(now=now))
    assert retry_at == [1.0, 3.0, 7.0, 11.0, 15.0]  # 1, 2, 4, 4 (capped) seconds
    sink.up = True
    emit(runtime, 1)
    assert await d.deliver_once(now=15.0) is None
    assert sink.seqs() == [1, 2, 3]
    await d.aclose()


def test_event_payload_shape() -> None:
    from smartpdu.events.model import Event

    ev = Event.from_dict(
        {
            "sequence_id": 9,
            "timestamp_utc": "2026-01-01T00:00:00.000000Z",
            "pdu_id": "pdu-a",
            "source": "branch/B2",
            "event_code": "BRANCH_TRIPPED",
            "severity": "critical",
            "action_taken": "trip",
            "reason_code": None,
            "evidence": {},
            "actor": None,
            "command_id": None,
            "message": "tripped",
            "prev_hash": "0" * 64,
            "hash": "1" * 64,
        }
    )
    body = event_payload([ev], None)
    rec = body["Events"][0]
    assert body["@odata.type"] == "#Event.v1_13_0.Event" and "Context" not in body
    assert rec["OriginOfCondition"]["@odata.id"].endswith("/RackPDUs/pdu-a/Branches/B2")
    assert (rec["MessageSeverity"], rec["EventType"]) == ("Critical", "Alert")


@pytest.mark.parametrize(
    ("body", "status", "prop"),
    [
        ({"Context": "x"}, 400, "Destination"),
        ({"Destination": "ftp://x/y"}, 400, "Destination"),
        ({"Destination": "http://x/y", "Protocol": "SNMPv2c"}, 400, "Protocol"),
        ({"Destination": "http://x/y", "Colour": 1}, 400, "Colour"),
    ],
)
async def test_subscription_bad_requests_name_the_property(
    client: httpx.AsyncClient, body: dict, status: int, prop: str
) -> None:
    from redfish_env import ADMIN_PW

    r = await client.post(
        "/redfish/v1/EventService/Subscriptions", json=body, auth=("admin", ADMIN_PW)
    )
    assert r.status_code == status
    assert r.json()["error"]["@Message.ExtendedInfo"][0]["RelatedProperties"] == [f"#/{prop}"]
