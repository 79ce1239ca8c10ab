"""Surge and arc settings are validated with the rest of the rack configuration (issue 14)."""

from __future__ import annotations

import pytest

from smartpdu.app.factory import demo_config_path
from smartpdu.config import dump_config, load_config
from smartpdu.config.loader import ConfigError, parse_config, validate_data
from smartpdu.config.surge_arc import ArcConfig, SurgeConfig


def _with_safety(**safety: object) -> dict[str, object]:
    data = load_config(demo_config_path()).model_dump(mode="json")
    data["safety"] = {**data["safety"], **safety}
    return data


def test_defaults_and_yaml_round_trip() -> None:
    rack = load_config(demo_config_path())
    assert rack.safety.surge == SurgeConfig() and rack.safety.arc == ArcConfig()
    assert rack.safety.arc.action == "alarm"  # default: alarm only, no outlet switched
    text = dump_config(rack)
    assert parse_config(text).safety == rack.safety


def test_bad_surge_and_arc_settings_are_named_with_their_path() -> None:
    data = _with_safety(
        surge={"threshold_pu": 0.9, "spd": {"clamp_v": -1, "energy_budget_j": 0}},
        arc={"action": "explode", "windows": 0, "hf_limit": 0},
    )
    with pytest.raises(ConfigError) as info:
        validate_data(data)
    paths = {i.path for i in info.value.issues}
    assert {
        "safety.surge.threshold_pu",
        "safety.surge.spd.clamp_v",
        "safety.surge.spd.energy_budget_j",
        "safety.arc.action",
        "safety.arc.windows",
        "safety.arc.hf_limit",
    } <= paths


@pytest.mark.parametrize(
    ("section", "values", "message"),
    [
        ("surge", {"major_pu": 4.0, "severe_pu": 3.0}, "threshold_pu ≤ major_pu ≤ severe_pu"),
        ("arc", {"windows": 5, "min_arcing_windows": 6}, "min_arcing_windows must be ≤ windows"),
        ("surge", {"unknown": 1}, "Extra inputs are not permitted"),
    ],
)
def test_inconsistent_settings_are_rejected(
    section: str, values: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        validate_data(_with_safety(**{section: values}))
    assert any(message in i.message for i in info.value.issues), info.value.issues
