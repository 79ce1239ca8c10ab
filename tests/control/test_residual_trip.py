"""Issue 11 item 7 on the twin: a leaking device trips the RCBO branch.

lab-01 (PSUs on pdu-a/22 and pdu-b/22, branch B6 — an RCBO 30 mA — on both PDUs) starts
leaking: first 12 mA per PSU, then 40 mA. Before the fix no residual warning came first, the
trip was reported as an overcurrent with "likely cause outlet 21" (gpu-01, whose current merely
varied) and outlet 21 was latched off.
"""

from __future__ import annotations

from test_acceptance import RecordingPlane, runtime


async def test_rcbo_trip_is_classified_residual_and_latches_nothing(tmp_path) -> None:
    async with runtime(tmp_path) as rt:
        plane: RecordingPlane = rt.control
        await rt.run_ticks(40)
        rt.hardware.set_leakage("lab-01", 12.0)
        await rt.run_ticks(75)  # 15 s: past the residual alarm rule's 10 s on-delay
        rt.hardware.set_leakage("lab-01", 40.0)
        await rt.run_ticks(30)
        await rt.flush()
        for pdu in ("pdu-a", "pdu-b"):
            assert rt.snapshot.pdus[pdu].branches["B6"].breaker_state == "tripped"
            logged = rt.store.events_since(pdu)
            trips = [e for e in logged if e.event_code == "BREAKER_TRIPPED"]
            # one owner of the warning: the alarm engine's residual rule (no second watch)
            warns = [
                e
                for e in logged
                if e.event_code == "RESIDUAL_CURRENT_HIGH" and e.source == "branch/B6"
            ]
            assert len(trips) == 1 and warns, pdu
            trip = trips[0]
            assert warns[0].sequence_id < trip.sequence_id, "a warning must precede the trip"
            assert warns[0].severity == "warning"
            assert warns[0].evidence["rule"] == "branch-residual"
            assert trip.reason_code == "residual_current_trip"
            assert trip.evidence["trip_kind"] == "residual" and trip.evidence["unit"] == "mA"
            assert trip.evidence["value"] >= 15.0 and trip.evidence["limit"] == 30.0
            assert trip.evidence["cause_outlet"] is None and trip.action_taken == "none"
            assert "overcurrent" not in trip.message
            assert not rt.control.locked_out(pdu)
        assert not plane.codes("OUTLET_LOCKED_OUT")
