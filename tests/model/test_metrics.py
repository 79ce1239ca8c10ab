"""The metric catalogue: every snapshot measurement has exactly one row, rows name real fields,
and the display rule (null, noise clamp, precision) holds."""

from __future__ import annotations

import dataclasses
import math

import pytest

from smartpdu.metering import WindowMetrics
from smartpdu.model.metrics import (
    CATALOGUE,
    NOT_METRICS,
    OVERLAID_CHANNEL_FIELDS,
    Kind,
    Level,
    display,
    metrics_for,
)
from smartpdu.model.snapshot import ChannelReading, InletSnapshot

_ENERGY_FIELDS = {
    "energy_wh",
    "energy_export_wh",
    "energy_varh",
    "energy_vah",
    "energy_resettable_wh",
}


@pytest.mark.parametrize("source", list(NOT_METRICS), ids=lambda t: t.__name__)
def test_every_snapshot_field_is_a_catalogue_row_or_declared_not_a_metric(source: type) -> None:
    rows = {m.field for m in CATALOGUE if m.source is source}
    fields = {f.name for f in dataclasses.fields(source)}
    missing = fields - rows - NOT_METRICS[source]
    assert not missing, f"{source.__name__} fields without a catalogue row: {sorted(missing)}"
    assert not rows & NOT_METRICS[source], "a field cannot be both a metric and not a metric"


def test_every_row_names_an_existing_field() -> None:
    for m in CATALOGUE:
        names = {f.name for f in dataclasses.fields(m.source)}
        assert m.field in names, f"row {m.key!r} names no field {m.source.__name__}.{m.field}"


def test_channel_rows_come_from_the_meter_or_the_energy_registers_by_name() -> None:
    measured = {f.name for f in dataclasses.fields(WindowMetrics)}
    for m in CATALOGUE:
        if m.source is ChannelReading:
            if m.field in OVERLAID_CHANNEL_FIELDS:  # filled in by a stage, never measured
                assert m.field not in measured and m.levels == (Level.PHASE,), m.field
                continue
            assert m.field in measured or m.field in _ENERGY_FIELDS, m.field


def test_one_row_per_level_and_key() -> None:
    for level in Level:
        keys = [m.key for m in metrics_for(level)]
        assert len(keys) == len(set(keys)), f"duplicate metric keys at {level}: {keys}"
        rest = [m.rest for m in metrics_for(level) if m.rest]
        assert len(rest) == len(set(rest))


def test_rows_are_well_formed() -> None:
    for m in CATALOGUE:
        assert m.levels and set(m.stored) <= set(m.levels), m.key
        assert m.description and m.unit, m.key
        if m.kind is Kind.COUNTER and m.prometheus:
            assert m.prometheus.endswith("_total"), m.prometheus
        if m.redfish and m.redfish.prop == "Reading":
            assert m.redfish.reading_type and m.redfish.units, m.key


def test_sums_never_double_count_the_same_energy() -> None:
    """Inlet totals are one level; the channel levels are each their own, never mixed."""
    inlet = {m.key for m in metrics_for(Level.INLET)}
    assert "power_w" in inlet and "reactive_var" in inlet and "pf" in inlet
    for m in CATALOGUE:
        assert (Level.INLET in m.levels) == (m.source is InletSnapshot), m.key


def test_cos_phi_is_served_on_every_channel() -> None:
    (cos,) = [m for m in CATALOGUE if m.key == "cos_phi"]
    assert set(cos.levels) == {Level.PHASE, Level.BRANCH, Level.OUTLET}


def _row(key: str, level: Level = Level.OUTLET):
    return next(m for m in metrics_for(level) if m.key == key)


def test_display_turns_no_value_into_null() -> None:
    assert display(_row("pf"), math.nan) is None
    assert display(_row("thd_i_pct"), None) is None
    assert display(_row("power_w"), math.inf) is None


def test_display_clamps_noise_level_negatives_and_negative_zero() -> None:
    p = _row("power_w")
    assert display(p, -0.1) == 0.0 and math.copysign(1.0, display(p, -0.1) or 0.0) == 1.0
    assert math.copysign(1.0, display(p, -0.0) or 1.0) == 1.0
    assert math.copysign(1.0, display(_row("current_a"), -0.0001) or 1.0) == 1.0
    assert display(p, -12.3) == -12.3  # a real export stays negative
    assert display(p, 178.83956) == 178.8
    assert display(_row("current_a"), 0.7887438) == 0.789
