"""The SSE stream over real HTTP: a reading arrives, and an event follows a command."""

from __future__ import annotations

import json

import httpx
from api_env import Served


def test_sse_delivers_reading_and_event(served: Served) -> None:
    h = served.env.h("viewer")
    got: dict[str, list[dict]] = {"reading": [], "event": []}
    with (
        httpx.Client(base_url=served.url, timeout=10) as c,
        c.stream("GET", "/api/v1/stream", headers=h, params={"interval_s": 0.2}) as r,
    ):
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        kind = None
        commanded = False
        for line in r.iter_lines():
            if line.startswith("event:"):
                kind = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and kind:
                got[kind].append(json.loads(line.split(":", 1)[1]))
                kind = None
            if got["reading"] and not commanded:
                commanded = True
                res = c.post("/api/v1/pdus/pdu-b/outlets/2/actions/off", headers=served.env.h("op"))
                assert res.status_code == 200
            offs = [e for e in got["event"] if e["event_code"] == "OUTLET_OFF"]
            if offs and len(got["reading"]) >= 2:
                break
    first = got["reading"][0]
    assert set(first["pdus"]) == {"pdu-a", "pdu-b"}
    assert first["pdus"]["pdu-a"]["outlets"]["1"]["state"] in ("on", "off")
    assert got["reading"][1]["tick"] > first["tick"]
    # the command's journal (intent, relay step) comes first, then the verified switch-off
    codes = [e["event_code"] for e in got["event"]]
    assert codes[:3] == ["OUTLET_COMMAND_ACCEPTED", "OUTLET_RELAY_DRIVEN", "OUTLET_OFF"], codes
    ev = got["event"][2]
    assert ev["event_code"] == "OUTLET_OFF" and ev["actor"] == "user/op" and ev["pdu_id"] == "pdu-b"


def test_sse_requires_auth(served: Served) -> None:
    r = httpx.get(served.url + "/api/v1/stream", timeout=5)
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
