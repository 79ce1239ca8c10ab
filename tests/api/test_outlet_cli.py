"""`smartpdu outlet on|off|cycle|ack` against a real server; REST acknowledge of a protection hold."""

from __future__ import annotations

import json

import httpx
from api_env import PASSWORDS, Served
from typer.testing import CliRunner

from smartpdu.cli import app

runner = CliRunner()


def _creds(user: str = "op") -> list[str]:
    return ["--user", user, "--password", PASSWORDS[user]]


def test_outlet_off_on_and_idempotent_repeat(served: Served) -> None:
    base = ["--url", served.url, *_creds()]
    r = runner.invoke(app, ["outlet", "off", "pdu-a/2", "--command-id", "cli-1", "--json", *base])
    assert r.exit_code == 0, r.output
    first = json.loads(r.output)
    assert first["status"] == "done" and first["command_id"] == "cli-1"
    snap = served.env.runtime.snapshot
    assert snap.pdus["pdu-a"].outlets["2"].state == "off"
    again = runner.invoke(
        app, ["outlet", "off", "pdu-a/2", "--command-id", "cli-1", "--json", *base]
    )
    assert json.loads(again.output) == first
    events = served.env.runtime.store.events_since("pdu-a", 0, 10_000)
    offs = [e for e in events if e.event_code == "OUTLET_OFF" and e.command_id == "cli-1"]
    assert len(offs) == 1 and offs[0].actor == "user/op"
    r = runner.invoke(app, ["outlet", "on", "pdu-a/2", *base])
    assert r.exit_code == 0 and "done" in r.output, r.output


def test_outlet_cli_errors(served: Served) -> None:
    r = runner.invoke(app, ["outlet", "off", "pdu-a/99", "--url", served.url, *_creds()])
    assert r.exit_code == 1 and "404" in r.output
    r = runner.invoke(app, ["outlet", "off", "no-slash", "--url", served.url, *_creds()])
    assert r.exit_code == 2 and "PDU/OUTLET" in r.output
    r = runner.invoke(app, ["outlet", "off", "pdu-a/1", "--url", served.url, *_creds("viewer")])
    assert r.exit_code == 1 and "403" in r.output
    assert served.env.runtime.snapshot.pdus["pdu-a"].outlets["1"].state == "on"


def test_acknowledge_route_and_cli(served: Served) -> None:
    h = served.env.h("op")
    r = httpx.post(f"{served.url}/api/v1/pdus/pdu-a/outlets/5/acknowledge", headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["event_code"] == "ALARM_ACKNOWLEDGED" and body["actor"] == "user/op"
    viewer = httpx.post(
        f"{served.url}/api/v1/pdus/pdu-a/outlets/5/acknowledge", headers=served.env.h("viewer")
    )
    assert viewer.status_code == 403
    r2 = runner.invoke(app, ["outlet", "ack", "pdu-a/5", "--url", served.url, *_creds()])
    assert r2.exit_code == 0 and "ALARM_ACKNOWLEDGED" in r2.output, r2.output
