import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smartpdu.cli.twin_cmd import twin_app

ROOT = Path(__file__).resolve().parents[2]
RACK = str(ROOT / "configs/demo-rack.yaml")
runner = CliRunner()


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_bad_scenario_exits_2_naming_every_problem(tmp_path: Path) -> None:
    sc = _write(
        tmp_path,
        "bad.yaml",
        "name: bad\nsteps:\n  - {at: 5x, do: feed_loss, feed: A}\n  - {at: 1, do: sag, feed: C}\n",
    )
    result = runner.invoke(twin_app, ["run", "--config", RACK, "--scenario", sc])
    assert result.exit_code == 2
    out = result.output
    for path in ("steps[0].at", "steps[1].feed", "steps[1].depth_pct", "steps[1].duration"):
        assert path in out
    assert "Traceback" not in out


def test_bad_config_and_options_all_reported(tmp_path: Path) -> None:
    cfg = _write(tmp_path, "rack.yaml", "schema_version: 1\nrack: {name: r}\npdus: []\n")
    sc = _write(tmp_path, "ok.yaml", "name: ok\nsteps: []\n")
    result = runner.invoke(
        twin_app,
        ["run", "--config", cfg, "--scenario", sc, "--duration", "soon", "--speed", "fast"],
    )
    assert result.exit_code == 2
    assert "pdus" in result.output
    assert "--duration" in result.output and "--speed" in result.output
    assert "Traceback" not in result.output


def test_unknown_ids_exit_2(tmp_path: Path) -> None:
    sc = _write(
        tmp_path,
        "ids.yaml",
        "name: ids\nsteps:\n  - {at: 1, do: device_power, device: ghost, state: off}\n",
    )
    result = runner.invoke(twin_app, ["run", "--config", RACK, "--scenario", sc])
    assert result.exit_code == 2
    assert "steps[0].device" in result.output and "ghost" in result.output


def test_missing_files_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(
        twin_app,
        ["run", "--config", str(tmp_path / "no.yaml"), "--scenario", str(tmp_path / "no2.yaml")],
    )
    assert result.exit_code == 2
    assert "cannot read file" in result.output


def _twin_available() -> bool:
    try:
        from smartpdu.twin.rack import RackTwin  # noqa: F401
    except ImportError:
        return False
    return True


needs_twin = pytest.mark.skipif(not _twin_available(), reason="RackTwin not importable")


@needs_twin
def test_run_json_prints_only_the_summary(tmp_path: Path) -> None:
    sc = _write(tmp_path, "s.yaml", "name: short\nsteps:\n  - {at: 1s, do: feed_loss, feed: A}\n")
    args = ["run", "--config", RACK, "--scenario", sc, "--duration", "3s", "--seed", "4", "--json"]
    first = runner.invoke(twin_app, args)
    assert first.exit_code == 0, first.output
    data = json.loads(first.stdout)
    assert data["seed"] == 4 and data["windows"] == 15 and data["steps_applied"] == 1
    assert data["event_counts"].get("feed_loss") == 1
    second = runner.invoke(twin_app, args)
    assert json.loads(second.stdout)["digest"] == data["digest"]


@needs_twin
def test_run_prints_summary_table(tmp_path: Path) -> None:
    sc = _write(tmp_path, "s.yaml", "name: tbl\nseed: 3\nsteps: []\n")
    result = runner.invoke(
        twin_app, ["run", "--config", RACK, "--scenario", sc, "--duration", "1s"]
    )
    assert result.exit_code == 0, result.output
    for text in ("tbl", "pdu-a energy kWh", "digest", "sensor temp-top", "controller power"):
        assert text in result.stdout


@needs_twin
def test_run_paced_speed_accepts_number(tmp_path: Path) -> None:
    sc = _write(tmp_path, "s.yaml", "name: paced\nsteps: []\n")
    args = ["run", "-c", RACK, "-s", sc, "-d", "400ms", "--speed", "1000", "--json"]
    result = runner.invoke(twin_app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["windows"] == 2


@needs_twin
def test_run_warns_when_duration_drops_scenario_steps(tmp_path: Path) -> None:
    sc = _write(
        tmp_path,
        "s.yaml",
        "name: cut\nsteps:\n  - {at: 0.2s, do: feed_loss, feed: A}\n"
        "  - {at: 5s, do: feed_restore, feed: A}\n  - {at: 9s, do: feed_loss, feed: B}\n",
    )
    cut = runner.invoke(twin_app, ["run", "-c", RACK, "-s", sc, "-d", "1s", "--json"])
    assert cut.exit_code == 0, cut.output
    assert json.loads(cut.stdout)["steps_applied"] == 1  # stdout stays pure JSON
    assert "warning" in cut.stderr and "2 of 3 scenario step(s)" in cut.stderr
    assert "first at 5 s" in cut.stderr
    full = runner.invoke(twin_app, ["run", "-c", RACK, "-s", sc, "-d", "10s", "--json"])
    assert full.exit_code == 0, full.output
    assert "warning" not in full.stderr
