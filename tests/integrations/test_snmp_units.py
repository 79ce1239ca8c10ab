"""Pure pieces of the SNMP agent: value encoding, walk pinning, SET planning, notifications,
configuration and key handling (no sockets)."""

from __future__ import annotations

import math
from typing import ClassVar

import pytest
from pydantic import ValidationError
from pysnmp.proto import rfc1902

from smartpdu.access import Permission
from smartpdu.config.integrations import SnmpConfig, SnmpTrapReceiver, SnmpUserConfig
from smartpdu.integrations.snmp.agent import SnmpKeyError, engine_id_for, user_keys
from smartpdu.integrations.snmp.index import INT32_MAX, encode
from smartpdu.integrations.snmp.notifications import NOTIFICATIONS, notification_for
from smartpdu.integrations.snmp.setter import plan_set, renamed_config
from smartpdu.integrations.snmp.tree import column, table
from smartpdu.integrations.snmp.walks import WalkPins
from smartpdu.model.commands import OutletAction

OUTLET = table("outlet")


def test_metric_values_are_scaled_by_their_precision_and_null_is_absent() -> None:
    current = column(OUTLET, "outletCurrentA")  # precision 3 → mA
    assert encode(current, 1.23449) == ("i", 1234)
    assert encode(current, math.nan) is None
    assert encode(current, None) is None
    power = column(OUTLET, "outletPowerW")  # noise 0.5 W: -0.3 W shows as 0
    assert encode(power, -0.3) == ("i", 0)
    assert encode(power, 1e12) == ("i", INT32_MAX)  # clamped, never wrapped
    energy = column(OUTLET, "outletEnergyWh")
    assert energy.syntax == "SmartpduCounter64Fixed3"
    assert encode(energy, 5e6) == ("c64", 5_000_000_000)  # 5 MWh in mWh fits 64 bits
    assert column(OUTLET, "outletEnergyResettableWh").syntax == "SmartpduGauge64Fixed3"


def test_enums_truth_values_and_strings() -> None:
    state = column(OUTLET, "outletState")
    assert encode(state, "on") == ("i", 1) and encode(state, "off") == ("i", 2)
    assert encode(state, "bogus") is None
    assert encode(column(OUTLET, "outletLockedOut"), True) == ("i", 1)
    assert encode(column(OUTLET, "outletLockedOut"), False) == ("i", 2)
    assert encode(column(OUTLET, "outletName"), "x" * 300) == ("s", "x" * 255)


def test_a_walk_stays_on_its_index_until_it_restarts_or_ages() -> None:
    pins: WalkPins[str] = WalkPins(idle_s=5.0, max_age_s=60.0)
    client = (("127.0.0.1", 5000), "ops")
    assert pins.index_for(client, (1, 3), "tick1", now=0.0) == "tick1"
    pins.served(client, "tick1", (1, 3, 6, 9), now=0.0)
    # the next request continues where the last response ended: same index
    assert pins.index_for(client, (1, 3, 6, 9), "tick2", now=1.0) == "tick1"
    pins.served(client, "tick1", (1, 3, 6, 20), now=1.0)
    assert pins.index_for(client, (1, 3, 6, 20), "tick3", now=2.0) == "tick1"
    # another client, a restarted walk, or an old walk read the latest
    assert pins.index_for((("127.0.0.1", 5001), "ops"), (1, 3, 6, 20), "tick3", 2.0) == "tick3"
    assert pins.index_for(client, (1, 3), "tick3", now=2.0) == "tick3"
    # a long walk keeps its index as long as it goes on (idle < 5 s) ...
    last = (1, 3, 6, 20)
    for t in range(6, 51, 4):
        assert pins.index_for(client, last, f"tick{t}", now=float(t)) == "tick1"
        last = (1, 3, 6, 20 + t)
        pins.served(client, "tick1", last, now=float(t))
    # ... but not after a pause, nor past the maximum age
    assert pins.index_for(client, last, "late", now=52.0) == "tick1"
    assert pins.index_for(client, last, "late", now=57.5) == "late"
    pins.served(client, "tick1", (1, 3, 6, 80), now=58.0)
    assert pins.index_for(client, (1, 3, 6, 80), "old", now=61.0) == "old"


def test_walk_pins_are_bounded() -> None:
    pins: WalkPins[int] = WalkPins(max_clients=3)
    for i in range(10):
        pins.served(((f"h{i}", 1), "u"), i, (1,), 0.0)
    assert pins.index_for((("h0", 1), "u"), (1,), -1, 0.0) == -1
    assert pins.index_for((("h9", 1), "u"), (1,), -1, 0.0) == 9


class _Index:
    writable: ClassVar[dict[tuple[int, ...], tuple[str, str, str]]] = {
        (1, 6, 1, 6, 1, 1): ("outletControl", "pdu-a", "1"),
        (1, 6, 1, 3, 1, 1): ("outletName", "pdu-a", "1"),
    }


def test_set_plans_validate_type_value_and_target() -> None:
    idx = _Index()
    ok = plan_set(idx, (1, 6, 1, 6, 1, 1), rfc1902.Integer(3))  # type: ignore[arg-type]
    assert ok.action is OutletAction.CYCLE and ok.permission is Permission.CONTROL
    assert plan_set(idx, (1, 6, 1, 6, 1, 1), rfc1902.Integer(4)).error == "wrongValue"  # type: ignore[arg-type]
    bad_type = plan_set(idx, (1, 6, 1, 6, 1, 1), rfc1902.OctetString(b"on"))  # type: ignore[arg-type]
    assert bad_type.error == "wrongType"
    assert plan_set(idx, (1, 6, 1, 12, 1, 1), rfc1902.Integer(1)).error == "notWritable"  # type: ignore[arg-type]
    name = plan_set(idx, (1, 6, 1, 3, 1, 1), rfc1902.OctetString(b"web-01"))  # type: ignore[arg-type]
    assert name.name == "web-01" and name.permission is Permission.CONFIGURE
    assert plan_set(idx, (1, 6, 1, 3, 1, 1), rfc1902.OctetString(b"\xff")).error == "wrongValue"  # type: ignore[arg-type]
    assert plan_set(idx, (1, 6, 1, 3, 1, 1), rfc1902.OctetString(b"a\nb")).error == "wrongValue"  # type: ignore[arg-type]
    assert plan_set(idx, (1, 6, 1, 3, 1, 1), rfc1902.OctetString(b"a" * 65)).error == "wrongLength"  # type: ignore[arg-type]


def test_renaming_is_idempotent() -> None:
    from smartpdu.app import demo_config_path
    from smartpdu.config import load_config

    cfg = load_config(demo_config_path())
    pdu, outlet = cfg.pdus[0].id, cfg.pdus[0].outlets[0]
    assert renamed_config(cfg, pdu, outlet.id, outlet.name) is None
    new = renamed_config(cfg, pdu, outlet.id, "renamed")
    assert new is not None and new.pdus[0].outlets[0].name == "renamed"
    assert new.pdus[0].outlets[1] == cfg.pdus[0].outlets[1]
    with pytest.raises(KeyError):
        renamed_config(cfg, pdu, "no-such-outlet", "x")


def test_notifications_cover_the_issue_list_and_map_alarm_metrics() -> None:
    names = {n.name for n in NOTIFICATIONS}
    for wanted in ("feedLost", "feedRestored", "breakerTripped", "breakerTripRisk",
                   "residualCurrent", "temperatureHigh", "dewPointRisk", "thdHigh",
                   "redundancyLost", "tamperSuspected", "fireAlarm"):  # fmt: skip
        assert wanted in names
    assert notification_for("FEED_LOST", {}).name == "feedLost"  # type: ignore[union-attr]
    assert notification_for("ACCESS_FORCED", {}).name == "tamperSuspected"  # type: ignore[union-attr]
    assert notification_for("USER_LOGIN", {}) is None
    thd = notification_for("ALARM_RAISED", {"metric": "thd_i_pct"})
    assert thd is not None and thd.name == "thdHigh"
    other = notification_for("ALARM_RAISED", {"metric": "current_a"})
    assert other is not None and other.name == "alarmRaised"
    subs = [n.sub for n in NOTIFICATIONS]
    assert subs == sorted(subs) and len(set(subs)) == len(subs)


def test_snmp_configuration_is_validated() -> None:
    with pytest.raises(ValidationError, match="unique"):
        SnmpConfig(users=[SnmpUserConfig(name="a"), SnmpUserConfig(name="a")])
    with pytest.raises(ValidationError, match="trap_receivers"):
        SnmpConfig(users=[SnmpUserConfig(name="a")],
                   trap_receivers=[SnmpTrapReceiver(host="h", user="b")])  # fmt: skip
    with pytest.raises(ValidationError, match="no user"):
        SnmpConfig(enabled=True)
    with pytest.raises(ValidationError):
        SnmpUserConfig(name="a", auth="MD5")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        SnmpUserConfig(name="a", priv="DES")  # type: ignore[arg-type]
    assert SnmpUserConfig(name="noc-1.x").env_names() == (
        "SMARTPDU_SNMP_NOC_1_X_AUTH", "SMARTPDU_SNMP_NOC_1_X_PRIV")  # fmt: skip


def test_keys_come_from_the_environment_and_must_be_long_enough() -> None:
    user = SnmpUserConfig(name="ops")
    assert user_keys(user, {"SMARTPDU_SNMP_OPS_AUTH": "a" * 8, "SMARTPDU_SNMP_OPS_PRIV": "p" * 9}) == (
        "a" * 8, "p" * 9)  # fmt: skip
    with pytest.raises(SnmpKeyError, match="SMARTPDU_SNMP_OPS_PRIV"):
        user_keys(user, {"SMARTPDU_SNMP_OPS_AUTH": "a" * 8, "SMARTPDU_SNMP_OPS_PRIV": "short"})
    with pytest.raises(SnmpKeyError, match="SMARTPDU_SNMP_OPS_AUTH"):
        user_keys(user, {})


def test_engine_id_is_stable_and_rfc3411_shaped() -> None:
    a = engine_id_for("rack-7", 32473)
    assert a == engine_id_for("rack-7", 32473) != engine_id_for("rack-8", 32473)
    assert a[:4] == (0x80000000 | 32473).to_bytes(4, "big") and a[4] == 5 and len(a) == 13


def test_active_alarms_are_rows_of_the_alarm_table() -> None:
    from smartpdu.integrations.snmp.index import build_index
    from smartpdu.integrations.snmp.tree import AlarmRow, RackView
    from smartpdu.model.snapshot import RackSnapshot

    snap = RackSnapshot(
        tick=7, timestamp_utc="2026-01-01T00:00:00Z", t_s=0.0, rack_name="r", pdus={}
    )
    alarms = (
        AlarmRow(12, "ALARM_RAISED", "critical", "outlet/3", "pdu-a", "terminal_temp_c", "Cel",
                 "raised", "2026-01-01T00:00:00Z", 81.25, 80.0),
        AlarmRow(5, "ALARM_RAISED", "warning", "phase/L1", "pdu-a", "thd_u_pct", "%",
                 "acknowledged", "2026-01-01T00:00:00Z", None, 5.0),
    )  # fmt: skip
    root = (1, 3, 6, 1, 4, 1, 32473)
    index = build_index(RackView(snap, {}, alarms), root, [])
    alarm = table("alarm")

    def cell(name: str, row: int) -> object:
        value = index.get((*root, 1, alarm.sub, 1, column(alarm, name).sub, row))
        return None if value is None else value[1]

    assert cell("alarmEventCode", 12) == "ALARM_RAISED" and cell("alarmState", 5) == "acknowledged"
    assert cell("alarmValue", 12) == "81.25" and cell("alarmLimit", 12) == "80.0"
    assert cell("alarmValue", 5) == ""  # no value: an empty string, never a fake number
    # rows in alarm-id order: a walk meets alarm 5 before alarm 12
    col = (*root, 1, alarm.sub, 1, column(alarm, "alarmMetric").sub)
    rows = [oid[-1] for oid in index.oids if oid[:-1] == col]
    assert rows == [5, 12]
    assert index.get((*root, 1, 1, 2, 0)) == ("c64", 7)  # rackTick
