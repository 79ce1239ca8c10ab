"""/api/v1/webhooks and `smartpdu webhook` against a real server on the demo runtime, with a
receiver that verifies every request with the `standardwebhooks` library."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import httpx
import pytest
from api_env import PASSWORDS, Served, running, serve
from typer.testing import CliRunner
from webhook_receiver import WebhookReceiver

from smartpdu.cli import app


async def test_rest_crud_rbac_validation_and_delivery(tmp_path: Path) -> None:
    async with running(tmp_path, delivery=True) as env, WebhookReceiver([]) as rx:
        transport = httpx.ASGITransport(app=env.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t/api/v1") as c:
            body = {"url": rx.url, "pdu_ids": ["pdu-a"], "sources": ["outlet/*"],
                    "event_codes": ["OUTLET_OFF", "OUTLET_ON"]}  # fmt: skip
            for user, code in (("viewer", 403), ("op", 403)):
                assert (
                    await c.post("/webhooks", json=body, headers=env.h(user))
                ).status_code == code
            assert (await c.get("/webhooks")).status_code == 401
            r = await c.post("/webhooks", json=body, headers=env.h("admin"))
            assert r.status_code == 201, r.text
            created = r.json()
            wid, secret = created["id"], created["secret"]
            rx.secrets.append(secret)
            listed = (await c.get("/webhooks", headers=env.h("admin"))).json()
            assert [w["id"] for w in listed] == [wid] and "secret" not in listed[0]
            assert secret not in (await c.get(f"/webhooks/{wid}", headers=env.h("admin"))).text
            for bad in ({"url": "ftp://x"}, {"url": rx.url, "event_codes": ["NOPE"]},
                        {"url": rx.url, "min_severity": "loud"}, {"url": rx.url, "extra": 1},
                        {"url": rx.url, "pdu_ids": ["pdu-zz"]}):  # fmt: skip
                r = await c.post("/webhooks", json=bad, headers=env.h("admin"))
                assert r.status_code == 422, (bad, r.text)
            assert (await c.get("/webhooks/nope", headers=env.h("admin"))).status_code == 404
            # a real command produces real events that arrive signed
            r = await c.post("/pdus/pdu-a/outlets/3/actions/off", headers=env.h("op"))
            assert r.status_code in (200, 202), r.text
            await rx.wait_until(lambda x: any(d.body["data"]["event_code"] == "OUTLET_OFF"
                                              for d in x.accepted))  # fmt: skip
            assert rx.rejected == []
            assert all(d.body["data"]["source"].startswith("outlet/") for d in rx.accepted)
            for _ in range(200):  # the log is written right after the receiver's answer
                log = (await c.get(f"/webhooks/{wid}/deliveries", headers=env.h("admin"))).json()
                if any(e["ok"] for e in log):
                    break
                await asyncio.sleep(0.02)
            assert log and all(e["ok"] for e in log)
            first = log[-1]
            r = await c.post(f"/webhooks/{wid}/redeliver", headers=env.h("admin"),
                             json={"pdu_id": "pdu-a", "first_seq": first["first_seq"]})  # fmt: skip
            assert r.status_code == 200 and r.json() == {"sent": 1}
            assert rx.accepted[-1].msg_id == first["delivery_id"]
            r = await c.post(f"/webhooks/{wid}/test", headers=env.h("admin"))
            assert r.status_code == 200 and r.json()["ok"] is True
            r = await c.post(f"/webhooks/{wid}/rotate-secret", headers=env.h("admin"))
            assert r.status_code == 200 and r.json()["signing_secrets"] == 2
            r = await c.patch(f"/webhooks/{wid}", json={"enabled": False}, headers=env.h("admin"))
            assert r.status_code == 200 and r.json()["enabled"] is False
            r = await c.patch(f"/webhooks/{wid}", json={"template": "fax"}, headers=env.h("admin"))
            assert r.status_code == 422
            metrics = (await c.get("http://t/metrics")).text
            assert f'smartpdu_delivery_enabled{{destination="webhook-{wid}"}} 0.0' in metrics
            assert (await c.delete(f"/webhooks/{wid}", headers=env.h("admin"))).status_code == 204
            assert (await c.delete(f"/webhooks/{wid}", headers=env.h("admin"))).status_code == 404
        codes = [e.event_code for e in env.runtime.store.events_since("pdu-a", 0, 100_000)
                 if e.source == f"webhook/{wid}"]  # fmt: skip
        assert codes == ["WEBHOOK_CREATED", "WEBHOOK_REDELIVERED", "WEBHOOK_SECRET_ROTATED",
                         "WEBHOOK_UPDATED", "WEBHOOK_DELETED"]  # fmt: skip


runner = CliRunner()


@pytest.fixture
def served(tmp_path: Path):  # type: ignore[no-untyped-def]
    with serve(tmp_path, delivery=True) as s:
        yield s


def test_cli_add_list_test_deliveries_redeliver(served: Served) -> None:
    admin = ["--url", served.url, "--user", "admin", "--password", PASSWORDS["admin"]]
    loop = asyncio.new_event_loop()  # the receiver answers from its own thread
    th = threading.Thread(target=loop.run_forever, daemon=True)
    th.start()

    def on_loop(coro):  # type: ignore[no-untyped-def]
        return asyncio.run_coroutine_threadsafe(coro, loop).result(10)

    rx = on_loop(_receiver())

    def pump(seconds: float) -> None:
        time.sleep(seconds)

    try:
        r = runner.invoke(app, ["webhook", "add", rx.url, "--source", "outlet/*", *admin])
        assert r.exit_code == 0, r.output
        wid = r.output.split()[1]
        secret = next(ln.split(": ", 1)[1] for ln in r.output.splitlines()
                      if ln.startswith("secret: "))  # fmt: skip
        rx.secrets.append(secret)
        r = runner.invoke(app, ["webhook", "list", *admin])
        assert r.exit_code == 0 and wid in r.output and secret not in r.output
        r = runner.invoke(app, ["webhook", "test", wid, *admin])
        assert r.exit_code == 0 and r.output.startswith("ok"), r.output
        r = runner.invoke(app, ["outlet", "off", "pdu-a/2", *admin])
        for _ in range(100):
            pump(0.05)
            if any(d.body.get("data", {}).get("event_code") == "OUTLET_OFF" for d in rx.accepted):
                break
        r = runner.invoke(app, ["webhook", "deliveries", wid, *admin])
        assert r.exit_code == 0 and f"webhook-{wid}.pdu-a." in r.output, r.output
        seq = next(d.body["data"]["sequence_id"] for d in rx.accepted
                   if d.body.get("data", {}).get("event_code") == "OUTLET_OFF")  # fmt: skip
        before = len(rx.accepted)
        r = runner.invoke(app, ["webhook", "redeliver", wid, "--pdu", "pdu-a", "--seq", str(seq),
                                *admin])  # fmt: skip
        assert r.exit_code == 0 and "1 event(s) redelivered" in r.output, r.output
        pump(0.1)
        assert len(rx.accepted) == before + 1
        r = runner.invoke(app, ["webhook", "redeliver", "nope", "--pdu", "pdu-a", "--seq", "1",
                                *admin])  # fmt: skip
        assert r.exit_code == 1 and "404" in r.output
        viewer = ["--url", served.url, "--user", "viewer", "--password", PASSWORDS["viewer"]]
        r = runner.invoke(app, ["webhook", "list", *viewer])
        assert r.exit_code == 1 and "403" in r.output
        r = runner.invoke(app, ["webhook", "delete", wid, *admin])
        assert r.exit_code == 0
    finally:
        on_loop(rx.stop())
        loop.call_soon_threadsafe(loop.stop)
        th.join(10)
        loop.close()


async def _receiver() -> WebhookReceiver:
    rx = WebhookReceiver([])
    await rx.start()
    return rx
