"""Syslog over UDP, TCP and TLS from the shared outbox: every line parses as RFC 5424 (or CEF)
with the event's sequence id, hash, code and mapped severity."""

from __future__ import annotations

from pathlib import Path

import pytest
from redfish_fake_runtime import DEMO, FakeRuntime
from syslog_collector import CEF, Collector, parse_cef_ext, parse_rfc5424, self_signed

from smartpdu.config import load_config
from smartpdu.config.delivery import SyslogTarget
from smartpdu.events.codes import Severity
from smartpdu.events.model import Event, NewEvent
from smartpdu.integrations.core import DeliveryCore
from smartpdu.integrations.syslog import SyslogChannel, cef_line, rfc5424_line

TRICKY = Event(
    sequence_id=7, timestamp_utc="2026-12-01T19:00:00.000001Z", pdu_id="pdu-a",
    source="outlet/7", event_code="OUTLET_OVERLOAD", severity=Severity.CRITICAL,
    action_taken="trip", reason_code=None, evidence={}, actor='user/"x]\\y',
    command_id=None, message="Überlast | a=b \\ done", prev_hash="0" * 64, hash="a" * 64,
)  # fmt: skip


def test_line_formats_escape_and_map_severity() -> None:
    p = parse_rfc5424(rfc5424_line(TRICKY, facility=16, hostname="pdu host"))
    assert p["pri"] == str(16 * 8 + 2) and p["msgid"] == "OUTLET_OVERLOAD"
    assert p["host"] == "pdu_host" and p["sd_id"] == "smartpdu@32473"
    params = p["params"]
    assert isinstance(params, dict)
    assert params["seq"] == "7" and params["hash"] == "a" * 64 and params["severity"] == "critical"
    assert params["actor"] == 'user/"x]\\y'
    assert p["msg"] == "\ufeffÜberlast | a=b \\ done"
    cef = parse_rfc5424(cef_line(TRICKY))
    m = CEF.fullmatch(str(cef["msg"]))
    assert m is not None and m[4] == "OUTLET_OVERLOAD" and m[6] == "9"
    assert m[5] == "Überlast \\| a=b \\\\ done"
    ext = parse_cef_ext(m[7])
    assert ext["cn1"] == "7" and ext["msg"] == "Überlast | a=b \\ done" and ext["cs2"] == "a" * 64
    assert ext["suser"] == 'user/"x]\\y'
    for sev, code in (("info", 6), ("warning", 4)):
        ev = Event(**{**{f: getattr(TRICKY, f) for f in TRICKY.__dataclass_fields__},
                      "severity": Severity(sev)})  # fmt: skip
        assert parse_rfc5424(rfc5424_line(ev, facility=0))["pri"] == str(code)


@pytest.fixture
async def tls(tmp_path: Path):  # type: ignore[no-untyped-def]
    return self_signed(tmp_path)


@pytest.mark.parametrize("transport", ["udp", "tcp", "tls"])
async def test_events_reach_the_collector(transport: str, tmp_path: Path) -> None:
    ctx, ca = self_signed(tmp_path) if transport == "tls" else (None, None)
    col = Collector(transport, ctx=ctx)
    await col.start()
    cfg = load_config(DEMO)
    targets = [SyslogTarget(id="siem", host="127.0.0.1", port=col.port, transport=transport,
                            ca_file=str(ca) if ca else None),
               SyslogTarget(id="cef", host="127.0.0.1", port=col.port, transport=transport,
                            format="cef", min_severity="warning",
                            ca_file=str(ca) if ca else None)]  # fmt: skip
    cfg = cfg.model_copy(update={"delivery": cfg.delivery.model_copy(update={"syslog": targets})})
    rt = FakeRuntime(tmp_path, cfg)
    core = DeliveryCore(rt, poll_s=0.2)
    channel = SyslogChannel(core, hostname="pdu-host")
    try:
        rt.events.append(NewEvent(pdu_id="pdu-b", source="outlet/1", event_code="OUTLET_ON",
                                  message="before start", actor="user/t"))  # fmt: skip
        await channel.start()
        await core.start()
        for i in range(5):
            rt.events.append(
                NewEvent(
                    pdu_id="pdu-b",
                    source=f"outlet/{i + 1}",
                    event_code="OUTLET_ON",
                    message=f"on {i}",
                    actor="user/t",
                )
            )
        rt.events.append(NewEvent(pdu_id="pdu-b", source="outlet/3", event_code="OUTLET_OVERLOAD",
                                  message="overload", action_taken="trip"))  # fmt: skip
        await col.wait_for(7)  # 6 RFC 5424 lines + 1 CEF (warning and above)
        parsed = [parse_rfc5424(ln) for ln in col.lines]
        plain = [p for p in parsed if p["sd"] != "-"]
        cef = [p for p in parsed if p["sd"] == "-"]
        seqs = [int(p["params"]["seq"]) for p in plain]  # type: ignore[index]
        assert seqs == [2, 3, 4, 5, 6, 7], "history before the target started is not replayed"
        assert all(p["host"] == "pdu-host" and p["app"] == "smartpdu" for p in parsed)
        assert len(cef) == 1
        m = CEF.fullmatch(str(cef[0]["msg"]))
        assert m is not None and m[4] == "OUTLET_OVERLOAD" and parse_cef_ext(m[7])["cn1"] == "7"
    finally:
        await core.aclose()
        await channel.aclose()
        await col.stop()
        rt.close()


async def test_tcp_collector_down_then_back_gets_every_line_in_order(tmp_path: Path) -> None:
    col = Collector("tcp")
    await col.start()
    port = col.port
    cfg = load_config(DEMO)
    wh = cfg.delivery.webhooks.model_copy(update={"base_backoff_s": 0.02, "max_backoff_s": 0.2})
    delivery = cfg.delivery.model_copy(update={"webhooks": wh, "syslog": [
        SyslogTarget(id="siem", host="127.0.0.1", port=port, transport="tcp")]})  # fmt: skip
    rt = FakeRuntime(tmp_path, cfg.model_copy(update={"delivery": delivery}))
    core = DeliveryCore(rt, poll_s=0.2)
    channel = SyslogChannel(core)
    await channel.start()
    await core.start()
    try:
        rt.events.append(NewEvent(pdu_id="pdu-b", source="outlet/1", event_code="OUTLET_ON",
                                  message="x", actor="user/t"))  # fmt: skip
        await col.wait_for(1)
        await col.stop()
        for i in range(10):
            rt.events.append(NewEvent(pdu_id="pdu-b", source="outlet/2", event_code="OUTLET_OFF",
                                      message=f"off {i}", actor="user/t"))  # fmt: skip
        col2 = Collector("tcp", port=port)
        await col2.start()
        await col2.wait_for(10)
        seqs = [int(parse_rfc5424(ln)["params"]["seq"]) for ln in col2.lines]  # type: ignore[index]
        assert sorted(set(seqs)) == list(range(2, 12)) and seqs == sorted(seqs)
        await col2.stop()
    finally:
        await core.aclose()
        await channel.aclose()
        rt.close()
