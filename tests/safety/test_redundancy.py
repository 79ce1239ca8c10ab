"""A/B redundancy audit (issue 13 item 8): wiring from the configuration, the failover projection
replayed through the controller against what the real failover then measured."""

from __future__ import annotations

import asyncio
import math

import pytest
from typer.testing import CliRunner

from smartpdu.analytics import DeviceShare, miswired_devices
from smartpdu.app.factory import demo_config_path
from smartpdu.app.replay import replay_scenario
from smartpdu.cli import app
from smartpdu.config import load_config
from smartpdu.twin.scenario import parse_scenario


def test_the_demo_racks_gpu_02_is_the_one_miswired_device() -> None:
    rack = load_config(demo_config_path())
    assert miswired_devices(rack) == [("gpu-02", "A", 2)]
    fixed = rack.model_copy(update={"devices": [d for d in rack.devices if d.name != "gpu-02"]})
    assert miswired_devices(fixed) == []


def test_config_validate_warns_about_a_miswired_device() -> None:
    result = CliRunner().invoke(app, ["config", "validate", str(demo_config_path())])
    assert result.exit_code == 0
    assert "gpu-02" in result.output and "feed A" in result.output


FEED_A_LOSS = """
name: a-loss
steps:
  - {at: 0s, do: device_load, device: gpu-01, load_fraction: 1.0}
  - {at: 0s, do: device_load, device: gpu-02, load_fraction: 1.0}
  - {at: 40s, do: feed_loss, feed: A}
"""


def test_miswiring_at_start_and_n_redundancy_warning_before_the_feed_loss_sheds() -> None:
    rack = load_config(demo_config_path())
    result = asyncio.run(replay_scenario(rack, parse_scenario(FEED_A_LOSS), duration_s=45.0))
    ev = result.events
    miswired = [e for e in ev if e.event_code == "REDUNDANCY_MISWIRED"]
    assert [(e.source, e.evidence["feed"]) for e in miswired] == [("device/gpu-02", "A")]
    assert miswired[0].timestamp_utc < "2026-01-01T00:00:01"  # in the first seconds
    warn = [
        e for e in ev
        if e.event_code == "N_REDUNDANCY_COMPROMISED" and e.evidence["failed_feed"] == "A"
    ]  # fmt: skip
    b6 = next(e for e in warn if (e.pdu_id, e.source) == ("pdu-b", "branch/B6"))
    lost = next(e for e in ev if e.event_code == "FEED_LOST")
    shed = [e for e in ev if e.event_code == "OUTLET_SHED"]
    assert shed and b6.timestamp_utc < lost.timestamp_utc < shed[0].timestamp_utc
    assert b6.evidence["value"] >= 80 and b6.evidence["moved_a"] > 0
    # smoothed over GPU bursts: raised once, not flapping
    assert len([e for e in warn if (e.pdu_id, e.source) == ("pdu-b", "branch/B6")]) == 1
    assert not [e for e in ev if e.reason_code == "N_REDUNDANCY_RESTORED"]
    # at constant load the projection matches what pdu-b branch B6 really carried once feed A
    # was gone (≤ 5 %)
    overload = next(
        e for e in ev
        if e.event_code == "BRANCH_OVERLOAD" and (e.pdu_id, e.source) == ("pdu-b", "branch/B6")
    )  # fmt: skip
    assert b6.evidence["instant_projected_a"] == pytest.approx(overload.evidence["value"], rel=0.05)


@pytest.mark.parametrize(
    ("share", "balanced"),
    [({"A": 0.45, "B": 0.55}, True), ({"A": 0.4, "B": 0.6}, True),
     ({"A": 0.3, "B": 0.7}, False), ({"A": math.nan, "B": math.nan}, None)],
)  # fmt: skip
def test_share_band_is_40_to_60_percent(share: dict[str, float], balanced: bool | None) -> None:
    assert DeviceShare("d", dict.fromkeys(share, 1.0), share).balanced is balanced
