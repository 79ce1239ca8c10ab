"""Before the first measured window REST and Redfish answer 503 "starting" (never a 500)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from smartpdu.access import AuthService
from smartpdu.api import create_app
from smartpdu.app import build_demo_runtime
from smartpdu.redfish import EventDelivery, create_redfish_app, mount_redfish
from smartpdu.runtime import NotReadyError, RackPort


async def test_reads_before_the_first_window_answer_503_with_retry_after(
    tmp_path: Path,
) -> None:
    rt = build_demo_runtime(tmp_path)  # built, not started: no snapshot yet
    try:
        port = RackPort(rt)
        assert not port.ready
        with pytest.raises(NotReadyError):
            _ = port.snapshot
        auth = AuthService(rt.store, rt.events, rt.now_utc, pdu_id="pdu-a")
        await auth.ensure_admin("admin-pass-1")
        principal = await auth.authenticate("admin", "admin-pass-1", interface="test")
        token = (await auth.create_session(principal, interface="test")).token
        app = create_app(port, auth)
        mount_redfish(app, create_redfish_app(port, auth, delivery=EventDelivery(rt)))
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            h = {"Authorization": f"Bearer {token}"}
            health = await c.get("/api/v1/health")
            assert health.status_code == 200 and health.json()["status"] == "starting"
            for path in ("/api/v1/pdus", "/api/v1/pdus/pdu-a/outlets/7", "/api/v1/sensors"):
                r = await c.get(path, headers=h)
                assert r.status_code == 503, (path, r.text)
                assert r.headers["Retry-After"] == "1"
                assert r.headers["content-type"].startswith("application/problem+json")
            r = await c.get(
                "/redfish/v1/PowerEquipment/RackPDUs/pdu-a", headers={"X-Auth-Token": token}
            )
            assert r.status_code == 503 and r.headers["Retry-After"] == "1"
            assert "ServiceTemporarilyUnavailable" in r.json()["error"]["code"]
        auth.close()
    finally:
        rt.store.close()
