"""Rack levers on Redfish over real HTTP: PhysicalSecurity on the rack chassis and the OEM
unlock/lock actions (RBAC, audit, clear errors)."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_env import PASSWORDS, Served, serve

_TIMEOUT = 60.0  # generous: the test machine may be loaded; nothing here asserts time
_get = functools.partial(httpx.get, timeout=_TIMEOUT)
_post = functools.partial(httpx.post, timeout=_TIMEOUT)
_put = functools.partial(httpx.put, timeout=_TIMEOUT)

RACK = "/redfish/v1/Chassis/rack"


@pytest.fixture
def rf(tmp_path: Path) -> Iterator[Served]:
    with serve(tmp_path, redfish=True) as s:
        yield s


def _auth(user: str) -> httpx.BasicAuth:
    return httpx.BasicAuth(user, PASSWORDS[user])


def _wait(pred, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 180
    while not pred():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_rack_chassis_physical_security_and_oem_lever_actions(rf: Served) -> None:
    rack = _get(f"{rf.url}{RACK}", auth=_auth("viewer")).json()
    assert rack["PhysicalSecurity"] == {
        "IntrusionSensor": "Normal",
        "IntrusionSensorReArm": "Manual",
    }
    target = rack["Actions"]["Oem"]["#SmartPdu.UnlockLever"]["target"]
    lock_target = rack["Actions"]["Oem"]["#SmartPdu.LockLever"]["target"]

    viewer = _post(f"{rf.url}{target}", json={"LeverId": "lever-front"}, auth=_auth("viewer"))
    assert viewer.status_code == 403
    missing = _post(f"{rf.url}{target}", json={}, auth=_auth("op"))
    assert missing.status_code == 400 and "ActionParameterMissing" in missing.text
    unknown = _post(f"{rf.url}{target}", json={"LeverId": "side"}, auth=_auth("op"))
    assert unknown.status_code == 400 and "ActionParameterValueNotInList" in unknown.text
    extra = _post(f"{rf.url}{target}", json={"LeverId": "lever-front", "Force": True},
                       auth=_auth("op"))  # fmt: skip
    assert extra.status_code == 400 and "ActionParameterUnknown" in extra.text
    bad = _post(f"{rf.url}{target}", json={"LeverId": "lever-front", "DurationSeconds": -5},
                     auth=_auth("op"))  # fmt: skip
    assert bad.status_code == 400
    wrong = _post(f"{rf.url}/redfish/v1/Chassis/pdu-a/Actions/Oem/SmartPdu.UnlockLever",
                       json={"LeverId": "lever-front"}, auth=_auth("op"))  # fmt: skip
    assert wrong.status_code == 404

    ok = _post(f"{rf.url}{target}", json={"LeverId": "lever-front", "DurationSeconds": 90},
                    auth=_auth("op"))  # fmt: skip
    assert ok.status_code == 200, ok.text
    rt = rf.env.runtime
    _wait(lambda: rt.snapshot.levers["lever-front"].state == "unlocked", "unlock")
    granted = [e for e in rt.store.events_since("pdu-a", 0, 100_000)
               if e.event_code == "ACCESS_GRANTED"]  # fmt: skip
    assert [(e.actor, e.evidence["method"], e.evidence["unlock_s"]) for e in granted] == [
        ("user/op", "redfish", 90.0)
    ]
    locked = _post(f"{rf.url}{lock_target}", json={"LeverId": "lever-front"}, auth=_auth("op"))
    assert locked.status_code == 200
    _wait(lambda: rt.snapshot.levers["lever-front"].state == "locked", "lock")

    rt.hardware.levers.open_handle("lever-rear", True)  # type: ignore[attr-defined]
    _wait(lambda: rt.snapshot.levers["lever-rear"].state == "forced", "forced")

    def intrusion() -> str:
        body = _get(f"{rf.url}{RACK}", auth=_auth("viewer")).json()
        return str(body["PhysicalSecurity"]["IntrusionSensor"])

    _wait(lambda: intrusion() == "HardwareIntrusion", "intrusion reported")
