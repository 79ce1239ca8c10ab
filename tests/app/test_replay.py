"""Replay through the full controller (issue 13 item 1): events from the real event log."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smartpdu.app.factory import demo_config_path
from smartpdu.app.replay import replay_scenario
from smartpdu.cli import app
from smartpdu.config import load_config
from smartpdu.twin.scenario import ScenarioError, parse_scenario

FEED_LOSS = """
name: feed-blip
steps:
  - {at: 1s, do: feed_loss, feed: A}
  - {at: 3s, do: feed_restore, feed: A}
"""


def test_replay_logs_the_controllers_events_in_the_chain(tmp_path: Path) -> None:
    rack = load_config(demo_config_path())
    result = asyncio.run(
        replay_scenario(rack, parse_scenario(FEED_LOSS), duration_s=5.0, data_dir=tmp_path)
    )
    s = result.summary
    assert s.steps_applied == 2 and s.simulated_s == pytest.approx(5.0)
    codes = [e.event_code for e in result.events]
    assert codes.count("FEED_LOST") == 1 and codes.count("FEED_RESTORED") == 1
    lost = next(e for e in result.events if e.event_code == "FEED_LOST")
    restored = next(e for e in result.events if e.event_code == "FEED_RESTORED")
    # on the sim clock: the loss at 1 s, the restore at 3 s (+ one window)
    assert lost.timestamp_utc.startswith("2026-01-01T00:00:01.")
    assert restored.timestamp_utc.startswith("2026-01-01T00:00:03.")
    for pdu in ("pdu-a", "pdu-b"):
        seqs = [e.sequence_id for e in result.events if e.pdu_id == pdu]
        assert seqs == list(range(1, len(seqs) + 1))
    assert s.event_counts == {c: codes.count(c) for c in set(codes)}
    assert "decide" in s.stage_cpu_ms_per_tick
    assert (tmp_path / "smartpdu.db").exists()  # the store the controller wrote


def test_replay_rejects_ids_the_rack_does_not_have() -> None:
    rack = load_config(demo_config_path())
    bad = parse_scenario(
        "name: bad\nsteps:\n  - {at: 1s, do: humidity, rh_pct: 50}\n"
        "  - {at: 1s, do: lever, lever: nope, action: unlock}\n"
    )
    with pytest.raises(ScenarioError) as err:
        asyncio.run(replay_scenario(rack, bad, duration_s=2.0))
    assert err.value.issues[0].path == "steps[1].lever"


def test_cli_replay_json_prints_one_object_per_event_then_the_summary(tmp_path: Path) -> None:
    scenario = tmp_path / "blip.yaml"
    scenario.write_text(FEED_LOSS)
    result = CliRunner().invoke(app, ["replay", str(scenario), "--duration", "4s", "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    *events, last = lines
    assert set(last) == {"summary"} and last["summary"]["events"] == len(events)
    assert all({"sequence_id", "timestamp_utc", "event_code", "hash"} <= set(e) for e in events)
    assert any(e["event_code"] == "FEED_LOST" for e in events)


def test_cli_replay_bad_duration_is_a_usage_error(tmp_path: Path) -> None:
    scenario = tmp_path / "blip.yaml"
    scenario.write_text(FEED_LOSS)
    result = CliRunner().invoke(app, ["replay", str(scenario), "--duration", "soon"])
    assert result.exit_code == 2


def test_twin_run_controller_is_the_same_replay(tmp_path: Path) -> None:
    scenario = tmp_path / "blip.yaml"
    scenario.write_text(FEED_LOSS)
    args = ["twin", "run", "--config", str(demo_config_path()), "--scenario", str(scenario),
            "--duration", "4s", "--controller", "--json"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert "summary" in lines[-1] and any(e.get("event_code") == "FEED_LOST" for e in lines[:-1])
