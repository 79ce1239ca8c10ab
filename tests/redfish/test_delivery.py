"""EventService delivery: store-backed cursors survive restarts; failures back off and retry."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from redfish_fake_runtime import FakeRuntime

from smartpdu.events.model import Event, NewEvent
from smartpdu.events.outbox_store import OutboxRepository
from smartpdu.redfish import EventDelivery, Subscription, event_payload
from smartpdu.redfish.delivery import DELIVERY_ID_HEADER, destination_id
from smartpdu.storage import sqlite_store
from smartpdu.storage.sqlite_store import SqliteStore


class Sink:
    """An httpx transport standing in for the destination; can be told to refuse."""

    def __init__(self) -> None:
        self.up = True
        self.attempts = 0
        self.bodies: list[dict] = []
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        self.requests.append(request)
        if not self.up:
            return httpx.Response(503)
        self.bodies.append(json.loads(request.content))
        return httpx.Response(204)

    def seqs(self, pdu: str = "pdu-b") -> list[int]:
        """Delivered sequence ids of ``pdu`` (pdu-a also carries the subscription audit)."""
        return [
            r["Oem"]["SmartPDU"]["sequence_id"]
            for b in self.bodies
            for r in b["Events"]
            if r["Oem"]["SmartPDU"]["pdu_id"] == pdu
        ]


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


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def chain(rt: FakeRuntime, pdu: str) -> list[Event]:
    return rt.store.events_since(pdu)


async def test_subscription_starts_at_head_and_survives_restart(runtime: FakeRuntime) -> None:
    emit(runtime, 3)  # history before the subscription is not replayed
    sink = Sink()
    d1 = EventDelivery(runtime, transport=httpx.MockTransport(sink))
    sub = await d1.subscribe("http://dcim.invalid/events", "ctx", "redfish/admin")
    emit(runtime, 2)
    assert await d1.deliver_once() is None
    assert sink.seqs() == [4, 5] and sink.bodies[0]["Context"] == "ctx"
    await d1.aclose()
    emit(runtime, 2)
    d2 = EventDelivery(runtime, transport=httpx.MockTransport(sink))  # "after a restart"
    await d2.deliver_once()
    assert sink.seqs() == [4, 5, 6, 7]  # continues from the stored cursor: no loss, no repeat
    cursor = OutboxRepository(runtime.store).cursor(destination_id(sub.id), "pdu-b")
    assert cursor.delivered == 7 and cursor.pending_last is None
    await d2.aclose()


async def test_failures_back_off_exponentially_then_deliver_in_order(runtime: FakeRuntime) -> None:
    sink = Sink()
    clock = FakeClock()
    d = EventDelivery(
        runtime,
        transport=httpx.MockTransport(sink),
        base_backoff_s=1.0,
        max_backoff_s=4.0,
        jitter=0.0,
        clock=clock,
    )
    await d.subscribe("http://dcim.invalid/e", None, "redfish/admin")
    emit(runtime, 2)
    sink.up = False
    retry_at = [await d.deliver_once()]
    assert retry_at == [1.0]
    clock.t = 0.5
    assert await d.deliver_once() == 1.0  # not yet due: no attempt
    assert sink.attempts == 1
    for now in (1.0, 3.0, 7.0, 11.0):
        clock.t = now
        retry_at.append(await d.deliver_once())
    assert retry_at == [1.0, 3.0, 7.0, 11.0, 15.0]  # 1, 2, 4, 4 (capped) seconds
    ids = {r.headers[DELIVERY_ID_HEADER] for r in sink.requests}
    assert len(ids) == 1  # every retry carried the same delivery id
    sink.up = True
    emit(runtime, 1)
    clock.t = 15.0
    assert await d.deliver_once() is None
    assert sink.seqs() == [1, 2, 3]
    assert sink.seqs("pdu-a") == [1]  # its own SUBSCRIPTION_CREATED, logged after the seed
    assert sink.bodies[0]["Id"] == ids.pop()  # the Event Id is the stable delivery id
    await d.aclose()


async def test_retry_after_of_a_busy_receiver_is_honoured(runtime: FakeRuntime) -> None:
    clock = FakeClock()

    def busy(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "30"})

    d = EventDelivery(
        runtime, transport=httpx.MockTransport(busy), jitter=0.0, max_backoff_s=60.0, clock=clock
    )
    sub = await d.subscribe("http://dcim.invalid/e", None, "redfish/admin")
    emit(runtime, 1)
    assert await d.deliver_once() == 30.0
    status = d.status(sub.id)
    assert status is not None and status.last_error == "HTTP 429"
    log = await d.delivery_log(sub.id)
    assert [(r.ok, r.detail) for r in log] == [(False, "HTTP 429")]
    await d.aclose()


async def test_cursors_of_an_earlier_release_are_adopted(tmp_path: Path) -> None:
    """A database written before the outbox: subscription 4 had delivered pdu-b up to 2.

    Migration 6 moved the subscription out of kv, migration 8 its kv cursor into the outbox."""
    old = SqliteStore(tmp_path / "smartpdu.db", migrations=sqlite_store.MIGRATIONS[:7])
    old.redfish_subscriptions.save(
        Subscription("4", "http://dcim.invalid/e", None, "redfish/admin", "t0")
    )
    old.kv_set("redfish/cursor/4/pdu-b", "2")
    old.close()
    runtime = FakeRuntime(tmp_path)  # opens and upgrades the same database
    try:
        assert runtime.store.kv_items("redfish/cursor/") == {}
        emit(runtime, 4)
        sink = Sink()
        d = EventDelivery(runtime, transport=httpx.MockTransport(sink))
        await d.deliver_once()
        assert sink.seqs() == [3, 4]
        sub = await d.subscribe("http://dcim.invalid/f", None, "redfish/admin")
        assert sub.id == "5"  # the counter continues after the ids an earlier release handed out
        await d.aclose()
    finally:
        runtime.close()


async def test_create_and_delete_are_audited_without_credentials(runtime: FakeRuntime) -> None:
    d = EventDelivery(runtime, transport=httpx.MockTransport(Sink()))
    sub = await d.subscribe(
        "https://bob:s3cret@dcim.example:8443/hook?token=abc", "c", "redfish/al"
    )
    assert await d.unsubscribe(sub.id, "redfish/bob")
    assert not await d.unsubscribe(sub.id, "redfish/bob")  # already gone: no second audit
    audit = [e for e in chain(runtime, "pdu-a") if e.source == f"subscription/{sub.id}"]
    assert [(e.event_code, e.actor) for e in audit] == [
        ("SUBSCRIPTION_CREATED", "redfish/al"),
        ("SUBSCRIPTION_DELETED", "redfish/bob"),
    ]
    assert audit[0].evidence["destination"] == "https://dcim.example:8443/hook"
    assert "s3cret" not in json.dumps([e.to_dict() for e in audit])
    assert runtime.store.outbox.cursors(destination_id(sub.id)) == {}
    assert runtime.store.outbox.log(destination_id(sub.id)) == []
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
    assert body["Id"] == rec["EventId"]  # without a delivery id: the first record's entry id
    assert event_payload([ev], "c", "redfish-1.pdu-a.9-9")["Id"] == "redfish-1.pdu-a.9-9"
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
