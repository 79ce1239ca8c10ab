"""Issue 11 item 9a: a terminal that stays above the trip temperature is ONE trip, not a storm.

Driven on the twin: a badly worn C19 contact (the hotspot scenario's fault, steeper so the test
stays short) heats pdu-b outlet 21 under full GPU load until protection trips it; the terminal
then stays above the trip limit for many windows while it cools with its 5 min time constant.
"""

from __future__ import annotations

from pathlib import Path

from smartpdu.app import build_demo_runtime
from smartpdu.runtime import RackRuntime

TRIP_C = 90.0  # ClassifierSettings.trip_temp_c


def _outlet_events(rt: RackRuntime, code: str) -> list[object]:
    return [
        e
        for e in rt.store.events_since("pdu-b", 0, 100_000)
        if e.event_code == code and e.source == "outlet/21"
    ]


def _terminal_c(rt: RackRuntime) -> float:
    temp = rt.snapshot.pdus["pdu-b"].outlets["21"].terminal_temp_c
    assert temp is not None
    return temp


async def test_a_latched_overtemperature_is_one_event_not_one_per_window(tmp_path: Path) -> None:
    rt = build_demo_runtime(tmp_path)
    async with rt:
        twin = rt.hardware
        twin.set_device_load("gpu-01", 1.0)  # type: ignore[attr-defined]
        # a burnt contact: ~4 degC per window, so the trip lands a few degrees above the limit
        twin.contact_ageing("pdu-b", "21", 5000.0)  # type: ignore[attr-defined]
        for _ in range(500):
            await rt.run_ticks(1)
            if rt.snapshot.pdus["pdu-b"].outlets["21"].locked_out:
                break
        else:
            raise AssertionError("the worn terminal never reached the trip temperature")
        hot_windows = 0
        for _ in range(40):  # the terminal cools slowly (tau 300 s): still above the limit
            await rt.run_ticks(1)
            hot_windows += _terminal_c(rt) >= TRIP_C
        assert hot_windows >= 20, "test needs windows above the limit after the trip"
        assert rt.snapshot.pdus["pdu-b"].outlets["21"].state == "off"
        assert rt.snapshot.pdus["pdu-b"].outlets["21"].locked_out
        trips = [e for e in _outlet_events(rt, "TEMPERATURE_HIGH") if e.action_taken == "trip"]
        assert len(trips) == 1, [e.evidence for e in trips][:3]
        assert len(_outlet_events(rt, "OUTLET_LOCKED_OUT")) == 1
