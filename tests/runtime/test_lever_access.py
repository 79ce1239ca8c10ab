"""Rack access through the real runtime on the twin (sim clock, stepped windows): two-person
rule, keypad brute-force lockout, hold time, door open too long, tamper lock-down, local unlock
attribution, emergency unlock on FIRE_ALARM."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from smartpdu.access import AuthService, Principal, Role
from smartpdu.app import build_demo_runtime
from smartpdu.app.factory import demo_config_path
from smartpdu.app.replay import replay_scenario
from smartpdu.config import load_config
from smartpdu.config.access import AccessConfig
from smartpdu.config.safety import FireConfig, SafetyConfig
from smartpdu.events.model import Event
from smartpdu.hardware import LeverAction
from smartpdu.model.access import AccessQuery
from smartpdu.runtime import RackRuntime
from smartpdu.runtime.lever_desk import LeverRequest
from smartpdu.runtime.port import RackPort
from smartpdu.twin.scenario import parse_scenario

OP = Principal("op", Role.OPERATOR)
OP2 = Principal("op2", Role.OPERATOR)


@asynccontextmanager
async def _rack(tmp_path: Path, **access: Any) -> AsyncIterator[tuple[RackRuntime, RackPort]]:
    cfg = load_config(demo_config_path())
    cfg = cfg.model_copy(update={"access": AccessConfig(**access)})
    async with build_demo_runtime(tmp_path, sim=True, config=cfg) as rt:
        auth = AuthService(rt.store, rt.events, rt.now_utc, 3600, pdu_id="pdu-a")
        await auth.ensure_admin("admin-pass-1234")
        for name in ("op", "op2"):
            await auth.users.create_user(
                name, f"{name}-password-12", Role.OPERATOR, actor="user/admin"
            )
        yield rt, RackPort(rt)


def _codes(rt: RackRuntime, *codes: str) -> list[Event]:
    return [e for e in rt.store.events_since("pdu-a", 0, 100_000) if e.event_code in codes]


def _state(rt: RackRuntime, lever: str = "lever-front") -> str:
    return str(rt.snapshot.levers[lever].state)


def test_two_person_rule_opens_only_with_a_second_user_in_the_window(tmp_path: Path) -> None:
    async def main() -> None:
        async with _rack(tmp_path, two_person_levers=["lever-front"]) as (rt, port):
            up = LeverAction.UNLOCK
            first = await port.lever_command(LeverRequest("lever-front", up, OP))
            assert first.status == "pending"
            again = await port.lever_command(LeverRequest("lever-front", up, OP))
            assert again.status == "pending"  # the same person twice is not two people
            await rt.run_ticks(5)
            assert _state(rt) == "locked"
            done = await port.lever_command(LeverRequest("lever-front", up, OP2))
            assert done.status == "unlocked" and done.reason == "TWO_PERSON"
            await rt.run_ticks(2)
            assert _state(rt) == "unlocked"
            granted = _codes(rt, "ACCESS_GRANTED")[-1]
            assert granted.actor == "user/op2" and granted.evidence["second_person"] == "user/op"
            # the rear lever has no such rule
            rear = await port.lever_command(LeverRequest("lever-rear", up, OP))
            assert rear.status == "unlocked"
            # a first person whose window lapsed does not count
            await port.lever_command(LeverRequest("lever-front", LeverAction.LOCK, OP))
            await port.lever_command(LeverRequest("lever-front", up, OP))
            await rt.run_for(31.0)
            late = await port.lever_command(LeverRequest("lever-front", up, OP2))
            assert late.status == "pending"
            log = await port.access_log(AccessQuery(lever_id="lever-front"))
            assert [r.result for r in log] == ["pending", "pending", "granted", "pending",
                                               "pending"]  # fmt: skip

    asyncio.run(main())


def test_keypad_brute_force_locks_the_reader_out_with_an_event(tmp_path: Path) -> None:
    async def main() -> None:
        async with _rack(tmp_path, keypad_max_failures=3, keypad_lockout_s=60) as (rt, port):
            await port.set_lever_credentials("op", pin="4711", actor="user/admin")
            levers = rt.hardware.levers  # type: ignore[attr-defined]
            for pin in ("0000", "1111", "2222"):
                levers.present("lever-front", user="op", pin=pin)
                await rt.run_ticks(1)
            assert [e.reason_code for e in _codes(rt, "ACCESS_DENIED")] == ["BAD_PIN"] * 3
            (lock,) = _codes(rt, "KEYPAD_LOCKED_OUT")
            assert lock.source == "reader/reader-lever-front" and lock.evidence["failures"] == 3
            levers.present("lever-front", user="op", pin="4711")  # right PIN, reader locked
            await rt.run_ticks(1)
            assert _codes(rt, "ACCESS_DENIED")[-1].reason_code == "KEYPAD_LOCKED_OUT"
            assert _state(rt) == "locked"
            levers.present("lever-rear", user="op", pin="4711")  # another reader is fine
            await rt.run_ticks(2)
            assert _state(rt, "lever-rear") == "unlocked"
            await rt.run_for(61.0)
            levers.present("lever-front", user="op", pin="4711")
            await rt.run_ticks(2)
            assert _state(rt) == "unlocked"

    asyncio.run(main())


def test_hold_time_and_door_open_too_long(tmp_path: Path) -> None:
    async def main() -> None:
        async with _rack(tmp_path, door_open_too_long_s=20) as (rt, port):
            out = await port.lever_command(
                LeverRequest("lever-front", LeverAction.UNLOCK, OP, hold_s=30)
            )
            assert out.hold_s == 30
            await rt.run_for(29.0)
            assert _state(rt) == "unlocked"  # the lever's own relock time (10 s) is overridden
            await rt.run_for(1.4)
            assert _state(rt) == "locked"
            (locked,) = _codes(rt, "LEVER_LOCKED")
            assert locked.actor == "system/auto-relock" and locked.reason_code == "RELOCK_TIMER"
            # a visit that lasts too long
            await port.lever_command(LeverRequest("lever-front", LeverAction.UNLOCK, OP))
            await rt.run_ticks(1)
            rt.hardware.levers.open_handle("lever-front", True)  # type: ignore[attr-defined]
            await rt.run_for(25.0)
            (late,) = _codes(rt, "DOOR_OPEN_TOO_LONG")
            assert late.actor == "user/op" and late.evidence["limit"] == 20.0
            assert late.evidence["value"] >= 20.0

    asyncio.run(main())


def test_tamper_lockdown_refuses_unlocks_until_an_admin_lifts_it(tmp_path: Path) -> None:
    async def main() -> None:
        async with _rack(tmp_path, lockdown_on_tamper=True) as (rt, port):
            await rt.run_ticks(2)
            rt.hardware.levers.open_handle("lever-rear", True)  # type: ignore[attr-defined]
            await rt.run_for(2.0)
            (down,) = _codes(rt, "ACCESS_LOCKDOWN")
            assert down.severity == "critical" and down.reason_code == "ACCESS_FORCED"
            assert port.lockdown
            refused = await port.lever_command(LeverRequest("lever-front", LeverAction.UNLOCK, OP))
            assert refused.status == "denied" and refused.reason == "LOCKDOWN"
            assert await port.lift_lockdown(Principal("admin", Role.ADMIN))
            assert not port.lockdown and _codes(rt, "ACCESS_LOCKDOWN_LIFTED")
            ok = await port.lever_command(LeverRequest("lever-front", LeverAction.UNLOCK, OP))
            assert ok.status == "unlocked"

    asyncio.run(main())


# A lever unlocked at the lever itself (override key, not through the controller), then a
# vibration burst: without attribution it read as an authorised visit; it is tampering.
LOCAL_UNLOCK = """
name: override-key
steps:
  - {at: 2s, do: lever, lever: lever-rear, action: unlock}
  - {at: 4s, do: lever, lever: lever-rear, action: lock}
  - {at: 6s, do: vibration_burst, g: 1.2, duration: 2s}
  - {at: 20s, do: keypad, lever: lever-front, user: nobody, pin: '1234'}
"""


def test_unlock_not_through_the_controller_is_not_an_authorised_visit() -> None:
    rack = load_config(demo_config_path())
    result = asyncio.run(replay_scenario(rack, parse_scenario(LOCAL_UNLOCK), duration_s=25.0))
    unlocked = [e for e in result.events if e.event_code == "LEVER_UNLOCKED"]
    assert [(e.source, e.actor, e.evidence["authorised"]) for e in unlocked] == [
        ("lever/lever-rear", "local", False)
    ]
    codes = [e.event_code for e in result.events]
    assert "TAMPER_SUSPECTED" in codes
    denied = [e for e in result.events if e.event_code == "ACCESS_DENIED"]
    assert [(e.actor, e.reason_code) for e in denied] == [("user/nobody", "BAD_PIN")]


SMOULDER = """
name: smoulder-fast
steps:
  - {at: 10s, do: voc_release, ppb: 1500, duration: 3m, temp_rise_c: 2.5}
  - {at: 3m10s, do: voc_release, ppb: 4000, duration: 3m, temp_rise_c: 6}
"""


def test_emergency_unlock_on_fire_alarm_when_enabled() -> None:
    rack = load_config(demo_config_path())
    on = rack.model_copy(update={"access": AccessConfig(emergency_unlock_on_fire=True),
                                 "safety": SafetyConfig(fire=FireConfig())})  # fmt: skip
    result = asyncio.run(replay_scenario(on, parse_scenario(SMOULDER), duration_s=380.0))
    fire = next(e for e in result.events if e.event_code == "FIRE_ALARM")
    granted = [e for e in result.events if e.event_code == "ACCESS_GRANTED"]
    assert {e.source for e in granted} == {"lever/lever-front", "lever/lever-rear"}
    assert all(e.actor == "system/fire-response" and e.evidence["method"] == "emergency"
               and e.timestamp_utc == fire.timestamp_utc for e in granted)  # fmt: skip
    unlocked = [e for e in result.events if e.event_code == "LEVER_UNLOCKED"]
    assert {(e.source, e.actor) for e in unlocked} == {
        ("lever/lever-front", "system/fire-response"),
        ("lever/lever-rear", "system/fire-response"),
    }
