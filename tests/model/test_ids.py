"""Entity ids: the documented grammar round-trips, rejects what it should, maps the aliases."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartpdu.model.ids import (
    EntityId,
    EntityKind,
    branch_id,
    canonical_channel,
    canonical_metric_key,
    inlet_id,
    lever_id,
    outlet_id,
    parse_entity_id,
    phase_id,
    redfish_prefix,
    sensor_id,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pdu-a/inlet/L1", phase_id("L1", "pdu-a")),
        ("pdu-a/inlet", inlet_id("pdu-a")),
        ("pdu-a/branch/B1", branch_id("B1", "pdu-a")),
        ("pdu-a/outlet/7", outlet_id("7", "pdu-a")),
        ("pdu-a/sensor/temp-top", sensor_id("temp-top", "pdu-a")),
        ("rack/lever/front", lever_id("front")),
        ("inlet/N", phase_id("N")),
        ("outlet/12", outlet_id("12")),
    ],
)
def test_documented_examples_parse_and_format(text: str, expected: EntityId) -> None:
    assert parse_entity_id(text) == expected
    assert str(expected) == text


def test_local_part_is_what_a_pdu_stores() -> None:
    eid = phase_id("L2", "pdu-b")
    assert eid.local == "inlet/L2"
    assert eid.metric_key("current_a") == "inlet/L2/current_a"
    assert inlet_id().metric_key("power_w") == "inlet/power_w"
    assert outlet_id("7").in_scope("pdu-a") == parse_entity_id("pdu-a/outlet/7")


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "pdu-a",
        "pdu-a/inlet/L4",
        "pdu-a/phase/L1",  # the alias is for keys, not for ids
        "pdu-a/outlet/",
        "pdu-a/outlet/7/extra",
        "pdu-a/outlet/-7",
        "inlet/outlet/7",  # keyword as scope
        "pdu a/outlet/7",
        "pdu-a/fan/1",
    ],
)
def test_invalid_ids_are_rejected_with_the_grammar(bad: str) -> None:
    with pytest.raises(ValueError, match="invalid entity id"):
        parse_entity_id(bad)


def test_constructor_validates() -> None:
    with pytest.raises(ValueError, match="phase must be one of"):
        EntityId(EntityKind.PHASE, "L9")
    with pytest.raises(ValueError, match="no name"):
        EntityId(EntityKind.INLET, "L1")


_name = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_.-]{0,20}\Z")


@given(
    kind=st.sampled_from([EntityKind.BRANCH, EntityKind.OUTLET, EntityKind.SENSOR]),
    name=_name,
    scope=st.one_of(
        st.none(), _name.filter(lambda s: s not in {"inlet", "branch", "outlet", "sensor", "lever"})
    ),
)
def test_format_parse_round_trip(kind: EntityKind, name: str, scope: str | None) -> None:
    eid = EntityId(kind, name, scope)
    assert parse_entity_id(str(eid)) == eid


def test_aliases_map_to_the_one_id() -> None:
    assert canonical_channel("phase/L1") == "inlet/L1"
    assert canonical_channel("L3") == "inlet/L3"
    assert canonical_channel("outlet/7") == "outlet/7"
    assert canonical_metric_key("phase/L1/current_a") == "inlet/L1/current_a"
    assert canonical_metric_key("inlet/L1/current_a") == "inlet/L1/current_a"
    assert canonical_metric_key("phase/X/current_a") == "phase/X/current_a"


def test_redfish_ids_are_generated_from_the_one_id() -> None:
    assert redfish_prefix(phase_id("L1")) == "MainsL1"
    assert redfish_prefix(inlet_id()) == "Mains"
    assert redfish_prefix(branch_id("B1")) == "BranchB1"
    assert redfish_prefix(outlet_id("7")) == "Outlet7"
    with pytest.raises(ValueError):
        redfish_prefix(sensor_id("temp-top"))
