"""Issue 11 item 8: shedding knows devices and never cuts a device's last powered input unless
its priority is ``low``.

On the twin: feed A lost, gpu-01 (PSUs on pdu-a/21 and pdu-b/21, ``normal`` outlets) runs on its
pdu-b PSU alone. In the variant below its load keeps branch B6 of pdu-b above the planning
limit after the low outlets are shed; before the fix the shedder then switched off pdu-b/21 —
the server's last live PSU.
"""

from __future__ import annotations

from test_acceptance import RecordingPlane, runtime, variant

from smartpdu.config import RackConfig
from smartpdu.control import LoadShedder, ScopeLoad, ShedCandidate, SheddingSettings
from smartpdu.control.devices import DeviceInputs


def _shed_order(cands: list[ShedCandidate], steps: int = 40) -> list[str]:
    sh = LoadShedder(SheddingSettings(shed_delay_s=0.0, shed_interval_s=0.0))
    ids = tuple(c.outlet_id for c in cands)
    out: list[str] = []
    for k in range(steps):
        load = ScopeLoad("branch/B1", "BRANCH_OVERLOAD", 30.0, 16.0, "A", ids)
        _, dec = sh.step([load], cands, t_s=k * 0.2, dt_s=0.2, feed_loss=True)
        out += [d.outlet_id for d in dec]
    return out


def test_last_input_of_a_device_is_shed_only_when_low() -> None:
    cands = [
        ShedCandidate("gpu", "normal", 14.0, 0.0, last_input_of="gpu-01"),
        ShedCandidate("lab", "low", 1.4, 0.0, last_input_of="lab-01"),
        ShedCandidate("redundant", "normal", 2.0, 0.0),
        ShedCandidate("single", "normal", 1.0, 0.0),
        ShedCandidate("heater", "low", 0.6, 0.0),
    ]
    # low first (the one whose device keeps another input — none here — before a last input),
    # then normal by load; the normal last input of gpu-01 never.
    assert _shed_order(cands) == ["heater", "lab", "redundant", "single"]


def test_within_a_priority_a_device_that_keeps_another_input_goes_first() -> None:
    cands = [
        ShedCandidate("last", "low", 5.0, 0.0, last_input_of="dev"),
        ShedCandidate("spare", "low", 1.0, 0.0),
    ]
    assert _shed_order(cands, steps=2)[:1] == ["spare"]


def test_device_inputs_follow_the_config(demo_config: RackConfig) -> None:
    inputs = DeviceInputs(demo_config)
    live = {("pdu-a", "21"), ("pdu-b", "21")}

    def powered(p: str, o: str) -> bool:
        return (p, o) in live

    assert inputs.last_input_of("pdu-b", "21", powered) is None  # the pdu-a PSU is live
    live.discard(("pdu-a", "21"))
    assert inputs.last_input_of("pdu-b", "21", powered) == "gpu-01"
    assert inputs.last_input_of("pdu-b", "11", powered) is None  # kvm-01: one input only


async def test_feed_a_loss_never_sheds_gpu01_last_psu(tmp_path, demo_config) -> None:
    # Variant: gpu-01 at 3.4 kW full load (14.8 A on one PSU) keeps pdu-b branch B6 (16 A)
    # above its 80 % planning limit once the low outlets 22-24 are shed.
    cfg = variant(demo_config, devices={"gpu-01": {"rated_power_w": 3400, "load_fraction": 1.0}})
    async with runtime(tmp_path, cfg) as rt:
        plane: RecordingPlane = rt.control
        await rt.run_ticks(25)
        rt.hardware.feed_loss("A")
        await rt.run_ticks(150)
        shed = [e for _, e in plane.codes("OUTLET_SHED")]
        assert {(e.pdu_id, e.source) for e in shed} == {
            ("pdu-b", "outlet/22"),
            ("pdu-b", "outlet/23"),
            ("pdu-b", "outlet/24"),
        }
        lab = [e for e in shed if e.source in ("outlet/22", "outlet/23")]
        assert {e.evidence["last_input_of"] for e in lab} == {"lab-01", "lab-02"}  # low: allowed
        b = rt.snapshot.pdus["pdu-b"]
        assert b.outlets["21"].relay_closed and b.outlets["21"].reading.i_rms_a > 10.0
        assert b.branches["B6"].breaker_state != "tripped"
        assert b.branches["B6"].reading.i_rms_a > 0.8 * 16.0  # still over planning: not shed
