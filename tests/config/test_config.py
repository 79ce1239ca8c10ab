"""Rack configuration: the demo rack loads, YAML round-trips, bad files name every bad field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from smartpdu.cli import app
from smartpdu.config import (
    ConfigError,
    LoadKind,
    dump_config,
    load_config,
    parse_config,
    validate_data,
)

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


MIXED = """
rack: {name: mixed}
pdus:
  - id: p1
    feed: C
    branches: [{id: B1, breaker: {rating_a: -3}}, {id: 'B 2'}]
    outlets:
      - {id: '1', branch: B9}
      - {id: '2', branch: B1, rating_a: 99}
      - {id: '3', branch: 'B 2'}
      - {id: '4', branch: B1, rating_a: 12}
devices:
  - name: d1
    load: {rated_power_w: 100}
    psus: [{pdu: p2, outlet: '1'}]
  - name: d2
    u_position: 99
    load: {rated_power_w: 100}
    psus: [{pdu: p1, outlet: '7'}]
sensors: [{id: t1, kind: temperature, pdu: p7}]
"""


def test_field_errors_and_reference_errors_in_one_pass() -> None:
    """Issue 11 item 26: an unknown branch is reported beside the field errors, not after."""
    with pytest.raises(ConfigError) as info:
        parse_config(MIXED)
    paths = [i.path for i in info.value.issues]
    assert paths == [
        # field errors (pydantic)
        "pdus[0].feed",
        "pdus[0].branches[0].breaker.rating_a",
        "pdus[0].branches[1].id",
        "pdus[0].outlets[1].rating_a",
        "pdus[0].outlets[2].branch",
        "devices[1].u_position",
        # reference errors of the parts that are valid, in the same report
        "pdus[0].outlets[0].branch",
        "pdus[0].outlets[3].rating_a",
        "devices[0].psus[0].pdu",
        "devices[1].psus[0].outlet",
        "sensors[0].pdu",
    ]
    by_path = {i.path: i.message for i in info.value.issues}
    assert by_path["pdus[0].outlets[0].branch"].startswith("unknown branch 'B9'; known: B1")
    assert "C13" in by_path["pdus[0].outlets[3].rating_a"]
    # An invalid field is reported once (as a field error), never again as a reference error.
    assert len(paths) == len(set(paths))


def test_references_skip_what_failed_validation() -> None:
    """Nothing is invented from an invalid value: a bad rating or rack height is not compared."""
    text = """
rack: {name: r, height_u: 500}
pdus:
  - id: p1
    feed: A
    inlet_rating_a: nope
    branches: [{id: B1, breaker: {rating_a: 100}}]
    outlets: [{id: '1', branch: B1, rating_a: big}]
devices:
  - name: d1
    u_position: 40
    height_u: 5
    load: {rated_power_w: 100}
    psus: [{pdu: p1, outlet: 1}]
"""
    with pytest.raises(ConfigError) as info:
        parse_config(text)
    assert [i.path for i in info.value.issues] == [
        "rack.height_u",
        "pdus[0].inlet_rating_a",
        "pdus[0].outlets[0].rating_a",
        "devices[0].psus[0].outlet",
    ]


def test_cli_validate_reports_field_and_reference_errors_together(tmp_path: Path) -> None:
    bad_file = tmp_path / "mixed.yaml"
    bad_file.write_text(MIXED)
    out = CliRunner().invoke(app, ["config", "validate", str(bad_file)])
    assert out.exit_code == 2
    assert "pdus[0].feed" in out.output and "unknown branch 'B9'" in out.output
    assert "11 problem(s)" in out.output


_JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


def _leaves(node: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaves(v, (*path, k))] or [path]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _leaves(v, (*path, i))] or [path]
    return [path]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(data=st.data())
def test_any_damage_to_a_valid_file_is_a_config_error(data: st.DataObject) -> None:
    """Replace random values of the demo rack with junk: always a ConfigError (or valid)."""
    raw = yaml.safe_load(DEMO.read_text())
    leaves = _leaves(raw)
    for _ in range(data.draw(st.integers(1, 6))):
        path = data.draw(st.sampled_from(leaves))
        node = raw
        for key in path[:-1]:
            node = node[key]
        if path:
            node[path[-1]] = data.draw(_JUNK)
        else:
            raw = data.draw(_JUNK)
    try:
        validate_data(raw)
    except ConfigError as exc:
        assert exc.issues


def test_access_policy_is_validated_with_paths() -> None:
    data = yaml.safe_load(DEMO.read_text())
    data["access"] = {"two_person_levers": ["lever-front", "side-door"], "keypad_max_failures": 0}
    with pytest.raises(ConfigError) as info:
        parse_config(yaml.safe_dump(data))
    assert {i.path for i in info.value.issues} == {
        "access.keypad_max_failures",
        "access.two_person_levers[1]",
    }
    data["access"] = {"two_person_levers": ["lever-front", "side-door"]}
    with pytest.raises(ConfigError) as refs:
        parse_config(yaml.safe_dump(data))
    assert [i.path for i in refs.value.issues] == ["access.two_person_levers[1]"]
    data["access"] = {"two_person_levers": ["lever-rear"], "emergency_unlock_on_fire": True}
    cfg = parse_config(yaml.safe_dump(data))
    assert cfg.access.two_person_levers == ["lever-rear"] and cfg.access.emergency_unlock_on_fire
    assert not parse_config(DEMO.read_text()).access.emergency_unlock_on_fire  # default off
