"""Outbox over real HTTP on loopback: retries keep their delivery id; a hung receiver is alone."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from http_receiver import HttpReceiver
from smartpdu.events.bus import EventBus
from smartpdu.events.log import EventLog
from smartpdu.events.model import Event, NewEvent
from smartpdu.events.outbox import DeliveryResult, Destination, Outbox
from smartpdu.events.outbox_plan import RetryPolicy
from smartpdu.events.outbox_store import OutboxRepository
from smartpdu.events.signing import load_or_create_device_key
from smartpdu.storage.factory import open_store

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class JsonSender:
    """The smallest HTTP push channel: a JSON list of events, the delivery id in a header."""

    def __init__(self, client: httpx.AsyncClient, url: str) -> None:
        self._client, self._url = client, url

    async def send(self, batch: Sequence[Event], delivery_id: str) -> DeliveryResult:
        try:
            r = await self._client.post(
                self._url, json=[e.to_dict() for e in batch], headers={"Delivery-Id": delivery_id}
            )
        except httpx.HTTPError as exc:
            return DeliveryResult(False, type(exc).__name__)
        return DeliveryResult(r.is_success, f"HTTP {r.status_code}")


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[tuple[EventLog, Outbox, httpx.AsyncClient]]:
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    bus = EventBus()
    log = EventLog(store, load_or_create_device_key(tmp_path), lambda: T0, bus=bus)
    outbox = Outbox(
        store,
        OutboxRepository(store),
        bus=bus,
        policy=RetryPolicy(base_s=0.01, max_s=0.05, jitter=0.5),
        rng=random.Random(3),
        poll_s=0.5,
    )
    async with httpx.AsyncClient(timeout=30) as client, outbox:
        yield log, outbox, client
    log.close()
    store.close()


def emit(log: EventLog, n: int) -> None:
    for i in range(n):
        log.append(NewEvent(pdu_id="pdu-a", source=f"outlet/{i + 1}", event_code="OUTLET_ON",
                            message="on"))  # fmt: skip


def seqs(rx: HttpReceiver) -> list[int]:
    return [e["sequence_id"] for r in rx.received for e in r.body]


async def test_refused_batches_are_retried_with_the_same_delivery_id(rig) -> None:
    log, outbox, client = rig
    async with HttpReceiver(fail_first=2) as rx:
        await asyncio.to_thread(emit, log, 3)
        outbox.add(Destination("hook-1", JsonSender(client, rx.url)))
        await rx.wait_until(lambda r: seqs(r) == [1, 2, 3])
        assert rx.attempts == 3
        assert [r.headers["delivery-id"] for r in rx.received] == ["hook-1.pdu-a.1-3"]
        while not outbox.status("hook-1").delivered:  # the ack is logged after the response
            await asyncio.sleep(0.01)
        records = await outbox.log("hook-1")
        assert [(r.delivery_id, r.attempt, r.ok) for r in records] == [
            ("hook-1.pdu-a.1-3", 1, False),
            ("hook-1.pdu-a.1-3", 2, False),
            ("hook-1.pdu-a.1-3", 3, True),
        ]
        await outbox.aclose()


async def test_a_receiver_that_never_answers_does_not_delay_a_healthy_one(rig) -> None:
    log, outbox, client = rig
    async with HttpReceiver(hang=True) as stuck, HttpReceiver() as healthy:
        outbox.add(Destination("stuck", JsonSender(client, stuck.url)))
        outbox.add(Destination("healthy", JsonSender(client, healthy.url)))
        for n in range(1, 4):
            await asyncio.to_thread(emit, log, 1)
            await healthy.wait_until(lambda r, n=n: seqs(r) == list(range(1, n + 1)))
        assert stuck.attempts == 1 and stuck.received == []  # still waiting on its first POST
        assert outbox.status("stuck").delivered == 0
        stuck.release()
        await stuck.wait_until(lambda r: seqs(r) == [1, 2, 3])
        await outbox.aclose()
