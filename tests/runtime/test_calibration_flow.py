"""`smartpdu calibrate` on the twin's bench, then the runtime measures that unit correctly."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smartpdu.app import build_demo_runtime
from smartpdu.cli import app
from smartpdu.runtime.calibration_store import load_calibration
from smartpdu.storage import open_store

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "configs" / "demo-rack.yaml"


def _calibrate(data_dir: Path, outlet: str = "pdu-a/7") -> dict:  # type: ignore[type-arg]
    res = CliRunner().invoke(
        app,
        ["calibrate", "--config", str(DEMO), "--outlet", outlet, "--data-dir", str(data_dir),
         "--json"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    return json.loads(res.output)  # type: ignore[no-any-return]


async def _outlet7(data_dir: Path) -> tuple[float, float, tuple[str, ...]]:
    rt = build_demo_runtime(data_dir, seed=3)
    async with rt:
        await rt.run_ticks(5)
        r = rt.snapshot.pdus["pdu-a"].outlets["7"].reading
        return r.p_w, r.i_rms_a, r.flags


def test_calibrate_cli_corrects_the_bench_error(tmp_path: Path) -> None:
    report = _calibrate(tmp_path)
    assert abs(report["verify_p_error_before"]) > 2e-3  # the unit is visibly off uncalibrated
    after = report["verify_errors_after"]
    assert abs(after["p"]) <= 5e-4 and abs(after["i_rms"]) <= 2e-4 and abs(after["pf"]) <= 2e-3
    store = open_store(f"sqlite:///{tmp_path / 'smartpdu.db'}")
    try:
        cal = load_calibration(store, "pdu-a")
        assert cal is not None and cal.version == 1 and not cal.degraded_channels()
        events = store.events_since("pdu-a", 0, 100)
        assert [e.event_code for e in events] == ["CALIBRATION_CHANGED"]
        assert events[0].actor == "factory"
    finally:
        store.close()
    again = _calibrate(tmp_path)
    assert again["version"] == 2
    bad = CliRunner().invoke(
        app, ["calibrate", "--config", str(DEMO), "--outlet", "pdu-a/99", "--data-dir",
              str(tmp_path)],
    )  # fmt: skip
    assert bad.exit_code == 2 and "no outlet" in bad.output


async def test_runtime_applies_calibration_and_flags_corruption(tmp_path: Path) -> None:
    ideal = await _outlet7(tmp_path / "ideal")
    _calibrate(tmp_path / "cal")
    calibrated = await _outlet7(tmp_path / "cal")
    assert calibrated[0] == pytest.approx(ideal[0], rel=5e-4)
    assert calibrated[1] == pytest.approx(ideal[1], rel=5e-4)
    assert "calibration_degraded" not in calibrated[2]

    # Corrupt the stored coefficients (gain edited, CRC left): the channel reports degraded.
    store = open_store(f"sqlite:///{tmp_path / 'cal' / 'smartpdu.db'}")
    try:
        record = store.calibrations.latest("pdu-a")
        assert record is not None
        data = json.loads(record.body)
        data["channels"]["outlet/7"]["gain"] *= 1.1
        store.calibrations.save(dataclasses.replace(record, body=json.dumps(data)))
    finally:
        store.close()
    degraded = await _outlet7(tmp_path / "cal")
    assert "calibration_degraded" in degraded[2]
    # the garbage gain is not used: the value stays raw (≈ the uncalibrated error), not 10 % off
    assert degraded[0] == pytest.approx(ideal[0], rel=2e-2)


async def test_a_running_rack_is_calibrated_live_and_measures_with_it(tmp_path: Path) -> None:
    """Issue 11 item 5: calibration through the running instance (no second writer)."""
    async with (
        build_demo_runtime(tmp_path / "ideal", seed=3) as ideal,
        build_demo_runtime(tmp_path / "live", seed=3) as live,
    ):
        report = await live.calibrate_outlet("pdu-a", "7", 7, "user/admin")
        assert report["version"] == 1 and abs(report["verify_errors_after"]["p"]) <= 5e-4
        await ideal.run_ticks(5)
        await live.run_ticks(5)
        want = ideal.snapshot.pdus["pdu-a"].outlets["7"].reading
        got = live.snapshot.pdus["pdu-a"].outlets["7"].reading
        # The twin now samples outlet 7 through the unit's front-end errors and the runtime
        # corrects them with the set it was just given: the same reading as an ideal unit.
        assert got.p_w == pytest.approx(want.p_w, rel=5e-4)
        assert got.i_rms_a == pytest.approx(want.i_rms_a, rel=5e-4)
        events = live.store.events_since("pdu-a", 0, 1000)
        cal_events = [e for e in events if e.event_code == "CALIBRATION_CHANGED"]
        assert [(e.actor, e.evidence["version"]) for e in cal_events] == [("user/admin", 1)]
        stored = load_calibration(live.store, "pdu-a")
        assert stored is not None and stored.version == 1
        with pytest.raises(KeyError):
            await live.calibrate_outlet("pdu-a", "99", 7, "user/admin")
        again = await live.calibrate_outlet("pdu-a", "7", 7, "user/admin")
        assert again["version"] == 2
