"""Rack configuration: the demo rack loads, YAML round-trips, bad files name every bad field."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from smartpdu.cli import app
from smartpdu.config import ConfigError, LoadKind, dump_config, load_config, parse_config

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "configs" / "demo-rack.yaml"


def test_demo_rack_matches_the_brief() -> None:
    cfg = load_config(DEMO)
    assert cfg.rack.height_u == 42
    assert [(p.id, p.feed, p.phases, p.inlet_rating_a) for p in cfg.pdus] == [
        ("pdu-a", "A", 3, 32),
        ("pdu-b", "B", 3, 32),
    ]
    for pdu in cfg.pdus:
        assert len(pdu.outlets) == 24 and len(pdu.branches) == 6
        assert all(b.breaker.curve == "C" and b.breaker.rating_a == 16 for b in pdu.branches)
    assert len(cfg.devices) >= 12
    gpus = [d for d in cfg.devices if d.load.kind is LoadKind.GPU]
    assert len(gpus) == 2 and all(2000 <= d.load.rated_power_w <= 3000 for d in gpus)
    # one GPU node is deliberately wired with both PSUs on feed A
    assert any({p.pdu for p in d.psus} == {"pdu-a"} and len(d.psus) == 2 for d in gpus)
    assert any(len(d.psus) == 1 for d in cfg.devices)
    kinds = {s.kind.value for s in cfg.sensors}
    assert {"temperature", "humidity", "voc", "vibration", "door"} <= kinds
    assert {lv.position for lv in cfg.levers} == {"front", "rear"}


def test_yaml_round_trip_is_lossless() -> None:
    cfg = load_config(DEMO)
    assert parse_config(dump_config(cfg)) == cfg


BAD = """
schema_version: 1
rack: {name: bad}
pdus:
  - id: p1
    feed: C
    branches: [{id: B1, line: L1}, {id: B2, line: L2, breaker: {curve: E, rating_a: -3}}]
    outlets: [{id: '1', branch: B1, power_up_state: sometimes}]
"""


def test_every_bad_field_is_named_with_its_path() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(BAD)
    paths = {i.path for i in info.value.issues}
    assert paths == {
        "pdus[0].feed",
        "pdus[0].branches[1].breaker.curve",
        "pdus[0].branches[1].breaker.rating_a",
        "pdus[0].outlets[0].power_up_state",
    }


def test_cross_references_are_checked_with_paths() -> None:
    text = """
rack: {name: refs}
pdus:
  - id: p1
    feed: A
    phases: 1
    branches: [{id: B1, line: L2}]
    outlets: [{id: '1', branch: B9}, {id: '2', branch: B1, connector: C13, rating_a: 16}]
devices:
  - name: d1
    load: {rated_power_w: 100}
    psus: [{pdu: p2, outlet: '1'}]
  - name: d2
    load: {rated_power_w: 100}
    psus: [{pdu: p1, outlet: '2', share: 0.5}, {pdu: p1, outlet: '2', share: 0.5}]
"""
    with pytest.raises(ConfigError) as info:
        parse_config(text)
    paths = [i.path for i in info.value.issues]
    assert paths == [
        "pdus[0].branches[0].line",
        "pdus[0].outlets[0].branch",
        "pdus[0].outlets[1].rating_a",
        "devices[0].psus[0].pdu",
        "devices[1].psus[1].outlet",
    ]


def test_yaml_on_off_stay_text_and_syntax_errors_have_a_position() -> None:
    ok = parse_config(
        "rack: {name: r}\npdus: [{id: p, feed: A, branches: [{id: B1}], "
        "outlets: [{id: '1', branch: B1, power_up_state: on}]}]\n"
    )
    assert ok.pdus[0].outlets[0].power_up_state.value == "on"
    with pytest.raises(ConfigError) as info:
        parse_config("rack: {name: r\npdus: [")
    assert info.value.issues[0].path.startswith("line ")


def test_cli_validate_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    good = runner.invoke(app, ["config", "validate", str(DEMO)])
    assert good.exit_code == 0, good.output
    bad_file = tmp_path / "bad.yaml"
    bad_file.write_text(BAD)
    bad = runner.invoke(app, ["config", "validate", str(bad_file)])
    assert bad.exit_code == 2
    out = bad.output
    assert "pdus[0].branches[1].breaker.rating_a" in out and "pdus[0].feed" in out
    assert "Traceback" not in out
    missing = runner.invoke(app, ["config", "validate", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 2 and "cannot read file" in missing.output
