"""Secrets the controller is given never reach its data dir (database, WAL, journals) or its
logs in clear: passwords, bearer tokens, lever PINs and card ids (issue 15 item 6, for the
secrets of the access layer)."""

from __future__ import annotations

import functools
import logging
import time
from pathlib import Path

import httpx
import pytest
from api_env import Served

PASSWORD = "Quiet-Harbour-Lantern-42"
PIN = "86420975"
CARD = "CAFE0042BEEF"

_TIMEOUT = 60.0  # generous: the test machine may be loaded; nothing here asserts time
_get = functools.partial(httpx.get, timeout=_TIMEOUT)
_post = functools.partial(httpx.post, timeout=_TIMEOUT)
_put = functools.partial(httpx.put, timeout=_TIMEOUT)


def test_secrets_never_in_db_files_or_logs(
    served: Served, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:

    caplog.set_level(logging.DEBUG)
    admin = served.env.h("admin")
    r = _post(f"{served.url}/api/v1/users", headers=admin,
                   json={"username": "carol", "password": PASSWORD, "role": "operator"})  # fmt: skip
    assert r.status_code == 201, r.text
    login = _post(f"{served.url}/api/v1/auth/login",
                       json={"username": "carol", "password": PASSWORD})  # fmt: skip
    token = login.json()["token"]
    r = _put(f"{served.url}/api/v1/users/carol/lever-credentials", headers=admin,
                  json={"pin": PIN, "card": CARD})  # fmt: skip
    assert r.status_code == 200, r.text
    # use every secret once more: a wrong and a right PIN, the card, the token
    levers = served.env.runtime.hardware.levers
    levers.present("lever-front", user="carol", pin=PIN[::-1])
    levers.present("lever-front", user="carol", pin=PIN)
    levers.present("lever-rear", card=CARD)
    assert _get(f"{served.url}/api/v1/levers",
                     headers={"Authorization": f"Bearer {token}"}).status_code == 200  # fmt: skip
    store = served.env.runtime.store
    deadline = time.monotonic() + 180
    while len([e for e in store.events_since("pdu-a", 0, 100_000)
               if e.event_code == "LEVER_UNLOCKED"]) < 2:  # fmt: skip
        assert time.monotonic() < deadline, "keypad and card unlocks not seen"
        time.sleep(0.05)

    secrets = {s.encode() for s in (PASSWORD, PIN, CARD, token)}
    secrets |= {PIN[::-1].encode(), CARD.lower().encode()}
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".db" for p in files), files  # the database is among them
    for path in files:
        data = path.read_bytes()
        for s in secrets:
            assert s not in data, f"{s!r} found in {path}"
    logs = "\n".join(r.getMessage() + repr(r.args) for r in caplog.records)
    for s in secrets:
        assert s.decode() not in logs
