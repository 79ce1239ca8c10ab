"""Rack access over real HTTP on the twin: PIN at the keypad, door open/close with the duration
in the access log, forced opening, RBAC and remote-hands windows, credentials, the CLI."""

from __future__ import annotations

import csv
import functools
import io
import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
from api_env import PASSWORDS, Served
from typer.testing import CliRunner

from smartpdu.access import Role
from smartpdu.cli import app
from smartpdu.events.model import Event

_TIMEOUT = 60.0  # generous: the test machine may be loaded; nothing here asserts time
_get = functools.partial(httpx.get, timeout=_TIMEOUT)
_post = functools.partial(httpx.post, timeout=_TIMEOUT)
_put = functools.partial(httpx.put, timeout=_TIMEOUT)

runner = CliRunner()


def _until(pred: Callable[[], Any], what: str, limit: float = 180.0) -> Any:
    """Poll until ``pred`` is truthy (the sim clock ticks in the server's thread)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        got = pred()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _events(served: Served, code: str, source: str | None = None) -> list[Event]:
    evs = served.env.runtime.store.events_since("pdu-a", 0, 100_000)
    return [e for e in evs if e.event_code == code and (source is None or e.source == source)]


def _put_creds(served: Served, user: str, **body: Any) -> httpx.Response:
    return _put(f"{served.url}/api/v1/users/{user}/lever-credentials", json=body,
                     headers=served.env.h("admin"))  # fmt: skip


def _add_user(served: Served, name: str, role: Role, password: str) -> dict[str, str]:
    r = _post(f"{served.url}/api/v1/users", headers=served.env.h("admin"),
                   json={"username": name, "password": password, "role": role.value})  # fmt: skip
    assert r.status_code == 201, r.text
    r = _post(f"{served.url}/api/v1/auth/login",
                   json={"username": name, "password": password})  # fmt: skip
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_pin_unlock_door_open_close_and_access_log_with_duration(served: Served) -> None:
    twin = served.env.runtime.hardware
    r = _put_creds(served, "op", pin="2468")
    assert r.status_code == 200, r.text
    assert r.json()["has_pin"] is True and "2468" not in r.text
    twin.levers.present("lever-front", user="op", pin="2468")
    unlocked = _until(lambda: _events(served, "LEVER_UNLOCKED", "lever/lever-front"), "unlock")
    assert unlocked[0].actor == "user/op" and unlocked[0].evidence["method"] == "pin"
    granted = _events(served, "ACCESS_GRANTED", "lever/lever-front")
    assert granted and granted[0].evidence["method"] == "pin"
    twin.levers.open_handle("lever-front", True)
    _until(lambda: _events(served, "DOOR_OPEN", "lever/lever-front"), "door open")
    t_open = served.env.runtime.snapshot.t_s
    _until(lambda: served.env.runtime.snapshot.t_s >= t_open + 3.0, "3 s of rack time")
    twin.levers.open_handle("lever-front", False)
    closed = _until(lambda: _events(served, "DOOR_CLOSED", "lever/lever-front"), "door closed")
    assert closed[0].actor == "user/op" and closed[0].evidence["open_s"] >= 3.0
    locked = _until(lambda: _events(served, "LEVER_LOCKED", "lever/lever-front"), "relock")
    assert locked[0].actor == "system/relock-on-close"
    assert served.env.runtime.snapshot.levers["lever-front"].state == "locked"

    h = served.env.h("admin")
    rows = _get(f"{served.url}/api/v1/access-log", params={"lever": "lever-front"},
                     headers=h).json()  # fmt: skip
    visit = next(x for x in rows if x["result"] == "granted")
    assert visit["actor"] == "user/op" and visit["method"] == "pin"
    opened = datetime.fromisoformat(visit["opened_utc"].replace("Z", "+00:00"))
    shut = datetime.fromisoformat(visit["closed_utc"].replace("Z", "+00:00"))
    assert abs((shut - opened).total_seconds() - visit["open_s"]) < 1e-6
    assert visit["open_s"] == closed[0].evidence["open_s"]
    text = _get(f"{served.url}/api/v1/access-log",
                     params={"format": "csv", "actor": "user/op"}, headers=h)  # fmt: skip
    assert text.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(text.text)))
    assert [row["id"] for row in table] == [str(visit["id"])]
    assert float(table[0]["open_s"]) == visit["open_s"]
    # the access log is for auditors and admins, not operators
    assert _get(f"{served.url}/api/v1/access-log", headers=served.env.h("op")).status_code == 403


def test_forced_opening_is_critical_access_forced_and_logged(served: Served) -> None:
    served.env.runtime.hardware.levers.open_handle("lever-rear", True)
    forced = _until(lambda: _events(served, "ACCESS_FORCED", "lever/lever-rear"), "forced")
    assert forced[0].severity == "critical"
    rows = _get(f"{served.url}/api/v1/access-log", params={"result": "forced"},
                     headers=served.env.h("admin")).json()  # fmt: skip
    assert [(x["lever_id"], x["method"]) for x in rows] == [("lever-rear", "forced")]
    log = f"{served.url}/api/v1/access-log"
    h = served.env.h("admin")
    for bad in ("0.5", "2026-13-01T00:00:00Z", "2026-01-01T00:00:00", "0001-01-01T00:00:00+14:00"):
        assert _get(log, params={"since": bad}, headers=h).status_code == 422, bad
    later = _get(log, params={"since": "2026-01-02T00:00:00Z"}, headers=h).json()
    assert later == []  # the sim clock is still on 2026-01-01
    assert len(_get(log, params={"until": "2026-01-02T00:00:00+01:00"}, headers=h).json()) == 1
    served.env.runtime.hardware.levers.open_handle("lever-rear", False)
    _until(lambda: _events(served, "DOOR_CLOSED", "lever/lever-rear"), "closed")
    row = _get(f"{served.url}/api/v1/access-log", params={"result": "forced"},
                    headers=served.env.h("admin")).json()[0]  # fmt: skip
    assert row["open_s"] is not None and row["open_s"] > 0


def test_rest_unlock_lock_rbac_and_bad_input(served: Served) -> None:
    url = f"{served.url}/api/v1/levers"
    viewer = _post(f"{url}/lever-front/unlock", headers=served.env.h("viewer"))
    assert viewer.status_code == 403
    assert _events(served, "ACCESS_DENIED")  # the refused request is audited
    assert _post(f"{url}/nope/unlock", headers=served.env.h("op")).status_code == 404
    bad = _post(f"{url}/lever-front/unlock", json={"for_s": -1}, headers=served.env.h("op"))
    assert bad.status_code == 422
    junk = _post(f"{url}/lever-front/unlock", content=b"{", headers={
        **served.env.h("op"), "Content-Type": "application/json"})  # fmt: skip
    assert junk.status_code == 422
    r = _post(f"{url}/lever-front/unlock", json={"for_s": 120},
                   headers={**served.env.h("op"), "Idempotency-Key": "u-1"})  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json() | {"unlock_s": 120.0} == {
        "lever_id": "lever-front", "action": "unlock", "status": "unlocked", "reason": "GRANTED",
        "actor": "user/op", "unlock_s": 120.0, "command_id": "u-1"}  # fmt: skip
    _until(lambda: served.env.runtime.snapshot.levers["lever-front"].state == "unlocked", "open")
    r = _post(f"{url}/lever-front/lock", headers=served.env.h("op"))
    assert r.status_code == 200 and r.json()["status"] == "locked"
    ev = _until(lambda: _events(served, "LEVER_LOCKED", "lever/lever-front"), "locked")
    assert ev[0].actor == "user/op" and ev[0].reason_code == "LOCK_COMMAND"
    assert _get(url, headers=served.env.h("viewer")).json()[0]["state"] == "locked"


def test_remote_hands_only_unlock_and_only_within_window(served: Served) -> None:
    h = _add_user(served, "hands", Role.REMOTE_HANDS, "remote-hands-pass-1")
    url = f"{served.url}/api/v1/levers/lever-front/unlock"
    assert _get(f"{served.url}/api/v1/levers", headers=h).status_code == 403  # unlock only
    no_window = _post(url, headers=h)
    assert no_window.status_code == 403 and "NO_SCHEDULE" in no_window.json()["detail"]
    # the sim clock starts Thursday 2026-01-01 00:00 UTC: Monday mornings are outside
    assert _put_creds(served, "hands", schedule=["mon 08:00-09:00"], tz="Europe/Berlin").is_success
    outside = _post(url, headers=h)
    assert outside.status_code == 403 and "OUTSIDE_SCHEDULE" in outside.json()["detail"]
    denied = [e for e in _events(served, "ACCESS_DENIED") if e.actor == "user/hands"]
    assert [e.reason_code for e in denied][-2:] == ["NO_SCHEDULE", "OUTSIDE_SCHEDULE"]
    rows = _get(f"{served.url}/api/v1/access-log",
                     params={"actor": "user/hands", "result": "denied"},
                     headers=served.env.h("admin")).json()  # fmt: skip
    assert [x["reason"] for x in rows] == ["NO_SCHEDULE", "OUTSIDE_SCHEDULE"]
    assert _put_creds(
        served, "hands", schedule=["wed-fri 22:00-06:00"], tz="Europe/Berlin"
    ).is_success  # Thursday 01:00 in Berlin: inside
    inside = _post(url, headers=h)
    assert inside.status_code == 200 and inside.json()["status"] == "unlocked"


def test_credentials_validation_and_secrets_never_stored_in_clear(served: Served) -> None:
    assert _put_creds(served, "nobody", pin="1234").status_code == 404
    assert _put_creds(served, "op", pin="12").status_code == 422
    assert _put_creds(served, "op", pin="12ab").status_code == 422
    assert _put_creds(served, "op", schedule=["someday 8-9"]).status_code == 422
    assert _put_creds(served, "op", tz="Mars/Olympus").status_code == 422
    r = _put_creds(served, "op", pin="97531", card="04A1B2C3D4")
    assert r.status_code == 200 and r.json()["has_card"] is True
    assert _put_creds(served, "viewer", card="04a1b2c3d4").status_code == 409  # same card
    assert _put(f"{served.url}/api/v1/users/op/lever-credentials", json={"pin": "1234"},
                     headers=served.env.h("op")).status_code == 403  # fmt: skip
    cred = served.env.runtime.store.access.get_credential("op")
    assert cred is not None and cred.pin_hash is not None
    assert cred.pin_hash.startswith("$argon2id$") and "97531" not in cred.pin_hash
    assert cred.card_digest is not None and "04A1B2C3D4" not in cred.card_digest.upper()
    for e in served.env.runtime.store.events_since("pdu-a", 0, 100_000):
        text = json.dumps(e.to_dict())
        assert "97531" not in text and "04A1B2C3D4" not in text.upper()
    # the card opens the lever at the reader
    served.env.runtime.hardware.levers.present("lever-rear", card="04a1b2c3d4")
    ev = _until(lambda: _events(served, "LEVER_UNLOCKED", "lever/lever-rear"), "card unlock")
    assert ev[0].actor == "user/op" and ev[0].evidence["method"] == "card"


def test_cli_lever_unlock_for_and_lock(served: Served) -> None:
    base = ["--url", served.url, "--user", "op", "--password", PASSWORDS["op"]]
    r = runner.invoke(app, ["lever", "unlock", "rack/front", "--for", "60s", "--json", *base])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["lever_id"] == "lever-front" and out["status"] == "unlocked"
    assert out["unlock_s"] == 60.0
    r = runner.invoke(app, ["lever", "lock", "lever-front", *base])
    assert r.exit_code == 0 and "locked" in r.output, r.output
    r = runner.invoke(app, ["lever", "unlock", "rack/side", *base])
    assert r.exit_code == 2 and "no lever" in r.output
    r = runner.invoke(app, ["lever", "unlock", "rack/front", "--for", "soon", *base])
    assert r.exit_code == 2
    viewer = ["--url", served.url, "--user", "viewer", "--password", PASSWORDS["viewer"]]
    r = runner.invoke(app, ["lever", "unlock", "rack/front", *viewer])
    assert r.exit_code == 1 and "403" in r.output
    admin = ["--url", served.url, "--user", "admin", "--password", PASSWORDS["admin"]]
    r = runner.invoke(app, ["lever", "log", "--csv", *admin])
    assert r.exit_code == 0 and r.output.startswith("id,timestamp_utc,lever_id")
    assert "user/op,api,granted" in r.output
