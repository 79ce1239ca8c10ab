"""Calibration of a running rack over REST (issue 11 item 5): admin only, audited, 404/403."""

from __future__ import annotations

from pathlib import Path

import httpx
from api_env import running

from smartpdu.runtime.calibration_store import load_calibration

URL = "/api/v1/pdus/pdu-a/outlets/7/calibrate"


async def test_admin_calibrates_the_running_rack_others_may_not(tmp_path: Path) -> None:
    async with running(tmp_path) as env:
        transport = httpx.ASGITransport(app=env.app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://pdu") as http:
            r = await http.post(URL, json={"bench_seed": 7}, headers=env.h("op"))
            assert r.status_code == 403, r.text
            r = await http.post(URL, headers=env.h("viewer"))
            assert r.status_code == 403
            assert load_calibration(env.runtime.store, "pdu-a") is None  # nothing stored

            r = await http.post(URL, json={"bench_seed": 7}, headers=env.h("admin"))
            assert r.status_code == 200, r.text
            body = r.json()
            assert body["version"] == 1 and body["current"]["channel"] == "outlet/7"
            assert abs(body["verify_errors_after"]["p"]) <= 5e-4
            cal = load_calibration(env.runtime.store, "pdu-a")
            assert cal is not None and cal.version == 1

            page = await http.get(
                "/api/v1/events", params={"pdu_id": "pdu-a", "limit": 1000}, headers=env.h("admin")
            )
            events = page.json()["events"]
            cal_events = [e for e in events if e["event_code"] == "CALIBRATION_CHANGED"]
            assert [(e["actor"], e["source"]) for e in cal_events] == [("user/admin", "outlet/7")]

            r = await http.post(
                "/api/v1/pdus/pdu-a/outlets/99/calibrate", json={}, headers=env.h("admin")
            )
            assert r.status_code == 404 and "no outlet" in r.json()["detail"]
            r = await http.post(URL, json={"bench_seed": "7"}, headers=env.h("admin"))
            assert r.status_code == 422  # strict: a string is not a seed
            # The instance still serves logins and commands (the original bug: 500s afterwards).
            r = await http.post(
                "/api/v1/pdus/pdu-a/outlets/7/actions/off", json={}, headers=env.h("op")
            )
            assert r.status_code == 200, r.text
