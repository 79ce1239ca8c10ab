"""The MQTT telemetry window against hand-computed min/avg/max, and topic names."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from redfish_fake_runtime import FakeRuntime

from smartpdu.integrations.mqtt import TelemetryWindow


def _with_power(snap, watts: float):  # type: ignore[no-untyped-def]
    pdu = snap.pdus["pdu-a"]
    o = pdu.outlets["1"]
    outlet = replace(o, reading=replace(o.reading, p_w=watts))
    pdu2 = replace(pdu, outlets={**pdu.outlets, "1": outlet})
    return replace(snap, pdus={**snap.pdus, "pdu-a": pdu2})


def test_window_min_avg_max_last_then_starts_over(tmp_path: Path) -> None:
    rt = FakeRuntime(tmp_path)
    try:
        base = rt.tick()
        w = TelemetryWindow({("pdu-a", "1"): "web-01"})
        for watts in (100.0, 130.0, 70.0, 120.0):
            w.add(_with_power(base, watts))
        out = dict(w.flush("sp"))
        p = out["sp/pdu-a/outlet/1/power_w"]
        assert (p["min"], p["avg"], p["max"], p["last"], p["n"]) == (70.0, 105.0, 130.0, 120.0, 4)
        assert p["unit"] == "W" and p["device"] == "web-01"
        assert "sp/pdu-a/inlet/power_w" in out and "sp/pdu-a/phase/L1/voltage_v" in out
        assert any(t.startswith("sp/rack/sensor/") or "/sensor/" in t for t in out)
        assert w.flush("sp") == []  # a new window
        w.add(_with_power(base, float("nan")))
        nan = dict(w.flush("sp"))["sp/pdu-a/outlet/1/power_w"]
        assert nan["avg"] is None and nan["last"] is None and nan["n"] == 0
    finally:
        rt.close()
