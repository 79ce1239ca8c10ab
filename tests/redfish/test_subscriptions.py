"""EventService subscriptions over real HTTP: unique never-reused ids, field limits, audit,
and a subscriber that never answers delays nobody else."""

from __future__ import annotations

import asyncio

import httpx
from redfish_env import ADMIN_PW
from redfish_fake_runtime import FakeRuntime

from http_receiver import HttpReceiver
from smartpdu.events.model import NewEvent
from smartpdu.redfish import SubscriptionStore
from smartpdu.redfish.subscriptions import MAX_CONTEXT_CHARS, SubscriptionLimitError
from smartpdu.runtime.port import RackPort


def _subs(runtime: FakeRuntime, limit: int = 64) -> SubscriptionStore:
    """The subscriptions as Redfish sees them: through the port, never the store."""
    return SubscriptionStore(RackPort(runtime).subscriptions, limit=limit)


SUBS = "/redfish/v1/EventService/Subscriptions"
ADMIN = ("admin", ADMIN_PW)


def ext(r: httpx.Response) -> dict:
    return r.json()["error"]["@Message.ExtendedInfo"][0]


async def test_concurrent_creates_get_distinct_ids_never_reused(
    server: str, runtime: FakeRuntime
) -> None:
    async with httpx.AsyncClient(base_url=server, timeout=60) as http:
        login = await http.post(
            "/redfish/v1/SessionService/Sessions", json={"UserName": "admin", "Password": ADMIN_PW}
        )
        http.headers["X-Auth-Token"] = login.headers["X-Auth-Token"]  # cheap auth: real overlap
        posts = [
            http.post(SUBS, json={"Destination": f"http://dcim.invalid/{i}", "Context": f"c{i}"})
            for i in range(8)
        ]
        replies = await asyncio.gather(*posts)
        assert [r.status_code for r in replies] == [201] * 8, [r.text for r in replies]
        ids = sorted(int(r.json()["Id"]) for r in replies)
        assert ids == list(range(1, 9))  # no id handed out twice, none lost
        members = (await http.get(SUBS)).json()["Members"]
        assert sorted(m["@odata.id"] for m in members) == sorted(
            r.headers["Location"] for r in replies
        )
        by_id = {r.json()["Id"]: r.json()["Context"] for r in replies}
        for sid, context in by_id.items():  # each POST kept its own body
            assert (await http.get(f"{SUBS}/{sid}")).json()["Context"] == context

        assert (await http.delete(f"{SUBS}/8")).status_code == 200
        again = await http.post(SUBS, json={"Destination": "http://dcim.invalid/x"})
        assert again.json()["Id"] == "9"  # the deleted id 8 is not reused
    # ... nor after a restart: the counter is persisted
    assert await _subs(runtime).allocate_id() == "10"


async def test_allocation_from_many_worker_threads_at_once_never_repeats(
    runtime: FakeRuntime,
) -> None:
    store = _subs(runtime, limit=100)
    got = await asyncio.gather(*(store.allocate_id() for _ in range(80)))  # one thread each
    assert sorted(map(int, got)) == list(range(1, 81))


async def test_concurrent_deletes_of_one_subscription_delete_and_audit_once(
    client: httpx.AsyncClient, runtime: FakeRuntime
) -> None:
    r = await client.post(SUBS, json={"Destination": "http://dcim.invalid/a"}, auth=ADMIN)
    sid = r.json()["Id"]
    replies = await asyncio.gather(*(client.delete(f"{SUBS}/{sid}", auth=ADMIN) for _ in range(4)))
    assert sorted(r.status_code for r in replies) == [200, 404, 404, 404]
    audit = [e for e in runtime.store.events_since("pdu-a") if e.source == f"subscription/{sid}"]
    assert [(e.event_code, e.actor) for e in audit] == [
        ("SUBSCRIPTION_CREATED", "redfish/admin"),
        ("SUBSCRIPTION_DELETED", "redfish/admin"),
    ]


async def test_oversized_fields_are_refused_with_a_redfish_error(
    client: httpx.AsyncClient, runtime: FakeRuntime
) -> None:
    huge = "x" * (10 * 1024 * 1024)
    r = await client.post(SUBS, json={"Destination": "http://d.invalid/e", "Context": huge},
                          auth=ADMIN)  # fmt: skip
    assert r.status_code == 400
    info = ext(r)
    assert info["MessageId"].endswith("StringValueTooLong")
    assert info["RelatedProperties"] == ["#/Context"]
    assert info["MessageArgs"][1] == str(MAX_CONTEXT_CHARS)
    assert len(r.content) < 4096  # the error does not echo the 10 MB back
    assert await _subs(runtime).list() == []

    over = {"Destination": "http://d.invalid/e", "Context": "y" * (MAX_CONTEXT_CHARS + 1)}
    assert (await client.post(SUBS, json=over, auth=ADMIN)).status_code == 400
    long_dest = {"Destination": "http://d.invalid/" + "p" * 2048}
    r = await client.post(SUBS, json=long_dest, auth=ADMIN)
    assert r.status_code == 400 and ext(r)["RelatedProperties"] == ["#/Destination"]

    ok = {"Destination": "http://d.invalid/e", "Context": "z" * MAX_CONTEXT_CHARS}
    r = await client.post(SUBS, json=ok, auth=ADMIN)
    assert r.status_code == 201
    uri = r.headers["Location"]
    r = await client.patch(uri, json={"Context": "w" * (MAX_CONTEXT_CHARS + 1)}, auth=ADMIN)
    assert r.status_code == 400 and ext(r)["RelatedProperties"] == ["#/Context"]
    assert (await client.get(uri, auth=ADMIN)).json()["Context"] == "z" * MAX_CONTEXT_CHARS


async def test_subscription_limit_is_a_redfish_error(
    client: httpx.AsyncClient, app, runtime: FakeRuntime
) -> None:
    app.state.redfish.delivery.subs.limit = 1
    one = {"Destination": "http://d.invalid/e"}
    assert (await client.post(SUBS, json=one, auth=ADMIN)).status_code == 201
    r = await client.post(SUBS, json=one, auth=ADMIN)
    assert r.status_code == 400 and ext(r)["MessageId"].endswith("EventSubscriptionLimitExceeded")
    store = _subs(runtime, limit=1)
    try:
        await store.allocate_id()
    except SubscriptionLimitError as exc:
        assert "limit 1" in str(exc)
    else:
        raise AssertionError("allocate_id went past the limit")


async def test_a_subscriber_that_never_answers_does_not_delay_the_others(
    server: str, runtime: FakeRuntime
) -> None:
    def outlet_seqs(rx: HttpReceiver) -> list[int]:
        return [
            rec["Oem"]["SmartPDU"]["sequence_id"]
            for r in rx.received
            for rec in r.body["Events"]
            if rec["Oem"]["SmartPDU"]["pdu_id"] == "pdu-b"
        ]

    async with (
        HttpReceiver(hang=True) as stuck,
        HttpReceiver() as healthy,
        httpx.AsyncClient(base_url=server, auth=ADMIN, timeout=60) as http,
    ):
        for rx in (stuck, healthy):
            r = await http.post(SUBS, json={"Destination": rx.url})
            assert r.status_code == 201, r.text
        await stuck.wait_until(lambda r: r.attempts >= 1)  # stuck holds its first POST
        for n in range(1, 4):
            await asyncio.to_thread(
                runtime.events.append,
                NewEvent(pdu_id="pdu-b", source="outlet/1", event_code="OUTLET_ON", message="on"),
            )
            await healthy.wait_until(lambda r, n=n: outlet_seqs(r) == list(range(1, n + 1)))
        assert stuck.received == []  # still waiting for the first answer
        stuck.release()
        await stuck.wait_until(lambda r: outlet_seqs(r) == [1, 2, 3])
        ids = [r.headers["x-smartpdu-delivery-id"] for r in healthy.received]
        assert len(ids) == len(set(ids))  # every batch its own stable id
