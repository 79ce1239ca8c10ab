"""Webhooks on the shared outbox, received by a real HTTP endpoint that verifies every request
with the `standardwebhooks` reference library."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redfish_fake_runtime import DEMO, FakeRuntime
from webhook_receiver import WebhookReceiver, seqs

from smartpdu.config import load_config
from smartpdu.events.model import NewEvent
from smartpdu.integrations.core import DeliveryCore
from smartpdu.integrations.webhooks import WebhookChange, WebhookError, WebhookService


def fast_config():  # type: ignore[no-untyped-def]
    cfg = load_config(DEMO)
    wh = cfg.delivery.webhooks.model_copy(
        update={"base_backoff_s": 0.02, "max_backoff_s": 0.2, "timeout_s": 2.0}
    )
    return cfg.model_copy(update={"delivery": cfg.delivery.model_copy(update={"webhooks": wh})})


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[FakeRuntime]:
    rt = FakeRuntime(tmp_path, fast_config())
    yield rt
    rt.close()


class Stack:
    def __init__(self, rt: FakeRuntime, **kw: object) -> None:
        self.core = DeliveryCore(rt, poll_s=0.5, **kw)  # type: ignore[arg-type]
        self.svc = WebhookService(self.core, health_every_s=3600)

    async def __aenter__(self) -> Stack:
        await self.svc.start()
        await self.core.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.svc.aclose()
        await self.core.aclose()


def emit(rt: FakeRuntime, n: int, *, pdu: str = "pdu-b", code: str = "OUTLET_ON") -> None:
    for i in range(n):
        rt.events.append(NewEvent(pdu_id=pdu, source=f"outlet/{i % 8 + 1}", event_code=code,
                                  message="switched", actor="user/test"))  # fmt: skip


async def test_every_event_arrives_signed_in_order(runtime: FakeRuntime) -> None:
    emit(runtime, 3)  # history before the webhook is not replayed
    async with Stack(runtime) as st, WebhookReceiver([]) as rx:
        rec, secret = await st.svc.create(rx.url, "user/admin", pdu_ids=["pdu-b"])
        assert secret.startswith("whsec_") and rec.secrets[0].secret == secret
        rx.secrets.append(secret)
        emit(runtime, 20)
        await rx.wait_until(lambda r: len(r.accepted) >= 20)
        assert rx.rejected == []
        assert seqs(rx.accepted, "pdu-b") == list(range(4, 24))
        first = rx.accepted[0]
        assert first.body["type"] == "event.OUTLET_ON"
        assert first.body["data"]["hash"] and first.body["data"]["timestamp_utc"]
        assert first.msg_id == f"webhook-{rec.id}.pdu-b.4-4"
        log = await st.svc.deliveries(rec.id)
        assert [r.delivery_id for r in log][:2] == [f"webhook-{rec.id}.pdu-b.4-4",
                                                    f"webhook-{rec.id}.pdu-b.5-5"]  # fmt: skip
        assert all(r.ok and r.latency_s >= 0 for r in log)
    audit = [e for e in runtime.store.events_since("pdu-a") if e.event_code == "WEBHOOK_CREATED"]
    assert len(audit) == 1 and audit[0].actor == "user/admin"
    assert "abc" not in str(audit[0].evidence) and secret not in str(audit[0].to_dict())


async def test_filters_codes_severity_sources(runtime: FakeRuntime) -> None:
    async with Stack(runtime) as st, WebhookReceiver([]) as rx:
        _, secret = await st.svc.create(
            rx.url, "user/admin", event_codes=["OUTLET_OFF"], sources=["outlet/2", "outlet/5*"],
            pdu_ids=["pdu-b"],
        )  # fmt: skip
        rx.secrets.append(secret)
        emit(runtime, 8, code="OUTLET_ON")
        emit(runtime, 8, code="OUTLET_OFF")
        await rx.wait_until(lambda r: len(r.accepted) >= 2)
        await asyncio.sleep(0.3)  # nothing else may come
        got = [(d.body["data"]["event_code"], d.body["data"]["source"]) for d in rx.accepted]
        assert got == [("OUTLET_OFF", "outlet/2"), ("OUTLET_OFF", "outlet/5")]
        await st.svc.create(rx.url, "user/admin", min_severity="critical",
                                    template="slack")  # fmt: skip
        for bad in (
            {"event_codes": ["NOPE"]},
            {"min_severity": "loud"},
            {"sources": ["../etc"]},
            {"pdu_ids": ["pdu-z"]},
            {"template": "fax"},
            {"secret": "whsec_short"},
        ):
            with pytest.raises(WebhookError):
                await st.svc.create(rx.url, "user/admin", **bad)  # type: ignore[arg-type]
        for url in ("ftp://x/y", "http://user:pw@h/x", "/relative"):
            with pytest.raises(WebhookError):
                await st.svc.create(url, "user/admin")


async def test_receiver_down_then_everything_arrives_once_in_order(runtime: FakeRuntime) -> None:
    async with Stack(runtime) as st, WebhookReceiver([]) as rx:
        rec, secret = await st.svc.create(rx.url, "user/admin", pdu_ids=["pdu-b"])
        rx.secrets.append(secret)
        emit(runtime, 5)
        await rx.wait_until(lambda r: len(r.accepted) >= 5)
        await rx.stop()  # receiver down: connection refused
        emit(runtime, 30)
        for _ in range(100):  # let it fail and back off a few times
            st_ = st.svc.status(rec.id)
            if st_ is not None and st_.failures >= 3:
                break
            await asyncio.sleep(0.05)
        assert st.svc.status(rec.id).failures >= 3  # type: ignore[union-attr]
        assert await st.svc.backlog(rec.id) == 30
        await rx.start()  # recovery on the same port
        await rx.wait_until(lambda r: len(r.unique()) >= 35)
        assert seqs(rx.unique(), "pdu-b") == list(range(1, 36))
        ids = [d.msg_id for d in rx.accepted]
        assert len(ids) == len(set(ids)), "nothing was acknowledged twice"
        for _ in range(200):  # the cursor moves right after the receiver's answer
            if await st.svc.backlog(rec.id) == 0:
                break
            await asyncio.sleep(0.02)
        assert await st.svc.backlog(rec.id) == 0


async def test_restart_resumes_without_loss(runtime: FakeRuntime) -> None:
    async with WebhookReceiver([]) as rx:
        async with Stack(runtime) as st:
            _, secret = await st.svc.create(rx.url, "user/admin", pdu_ids=["pdu-b"])
            rx.secrets.append(secret)
            emit(runtime, 4)
            await rx.wait_until(lambda r: len(r.accepted) >= 4)
        emit(runtime, 6)  # while "the controller is down"
        async with Stack(runtime):
            await rx.wait_until(lambda r: len(r.unique()) >= 10)
        assert seqs(rx.unique(), "pdu-b") == list(range(1, 11))


async def test_secret_rotation_signs_with_both_during_overlap(runtime: FakeRuntime) -> None:
    async with Stack(runtime) as st, WebhookReceiver([]) as old_rx:
        rec, old = await st.svc.create(old_rx.url, "user/admin", pdu_ids=["pdu-b"])
        old_rx.secrets.append(old)
        rec, new = await st.svc.rotate(rec.id, "user/admin", overlap_s=3600)
        assert new != old and [s.secret for s in rec.secrets] == [new, old]
        emit(runtime, 1)
        await old_rx.wait_until(lambda r: len(r.accepted) >= 1)  # old secret still verifies
        sig = old_rx.accepted[0].headers["webhook-signature"]
        assert len(sig.split(" ")) == 2
        new_rx = WebhookReceiver([new])
        async with new_rx:
            await st.svc.update(rec.id, WebhookChange(url=new_rx.url), "user/admin")
            emit(runtime, 1)
            await new_rx.wait_until(lambda r: len(r.accepted) >= 1)
            # overlap 0: the old secret stops signing at once
            await st.svc.rotate(rec.id, "user/admin", overlap_s=0)
            newest = st.svc.get(rec.id).secrets[0].secret
            new_rx.secrets[:] = [old]
            emit(runtime, 1)
            await asyncio.sleep(0.3)
            assert new_rx.rejected, "a receiver with the old secret must reject after expiry"
            new_rx.secrets[:] = [newest]
            await new_rx.wait_until(lambda r: len(r.accepted) >= 2)
    codes = [e.event_code for e in runtime.store.events_since("pdu-a")]
    assert codes.count("WEBHOOK_SECRET_ROTATED") == 2


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


async def test_auto_disable_after_failing_period_then_reenable(runtime: FakeRuntime) -> None:
    clock = FakeClock()
    core = DeliveryCore(runtime, clock=clock)
    svc = WebhookService(core, health_every_s=3600)
    await svc.start()
    try:
        rx = WebhookReceiver([])
        await rx.start()
        await rx.stop()  # a port that refuses
        rec, secret = await svc.create(rx.url, "user/admin", pdu_ids=["pdu-b"])
        rx.secrets.append(secret)
        emit(runtime, 3)
        limit = runtime.config.delivery.webhooks.disable_after_s
        await core.outbox.deliver_once()
        assert svc.status(rec.id).failing_since == 0.0  # type: ignore[union-attr]
        clock.t = limit - 1
        await core.outbox.deliver_once()
        assert await svc.check_health() == []
        clock.t = limit + 1
        assert await svc.check_health() == [rec.id]
        assert not svc.get(rec.id).enabled and "failing for" in svc.get(rec.id).disabled_reason
        disabled = [e for e in runtime.store.events_since("pdu-a")
                    if e.event_code == "WEBHOOK_DISABLED"]  # fmt: skip
        assert len(disabled) == 1 and disabled[0].severity == "warning"
        stats = {q.destination: q for q in await core.queue_stats()}
        assert stats[f"webhook-{rec.id}"].enabled is False
        with pytest.raises(WebhookError):
            await svc.redeliver(rec.id, "pdu-b", 1, 1, "user/admin")
        await rx.start()
        await svc.update(rec.id, WebhookChange(enabled=True), "user/admin")
        clock.t += 1000
        await core.outbox.deliver_once()
        assert seqs(rx.unique(), "pdu-b") == [1, 2, 3]  # the backlog kept while disabled
        n = await svc.redeliver(rec.id, "pdu-b", 2, 2, "user/admin")
        assert n == 1 and rx.accepted[-1].msg_id == rx.accepted[1].msg_id  # same webhook-id
        result, _ = await svc.test(rec.id, "user/admin")
        assert result.ok and rx.accepted[-1].body["type"] == "webhook.test"
        await svc.delete(rec.id, "user/admin")
        with pytest.raises(KeyError):
            svc.get(rec.id)
        assert not await core.outbox.has_cursors(f"webhook-{rec.id}")
        await rx.stop()
    finally:
        await svc.aclose()
        await core.aclose()
