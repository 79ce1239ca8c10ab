"""Snapshot assembly from a real twin window: fields by name, NaN kept, catalogue-driven storage."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from smartpdu.config import load_config
from smartpdu.hardware import Acquisition
from smartpdu.metering.block import measure_block
from smartpdu.model.metrics import Level, stored_metrics
from smartpdu.model.snapshot import RackSnapshot
from smartpdu.model.states import BreakerState, OutletState
from smartpdu.runtime.assemble import (
    EnergyColumns,
    EnergyTotals,
    PduWindow,
    build_rack_snapshot,
)
from smartpdu.runtime.readings import snapshot_values
from smartpdu.safety import DEW_POINT_SENSOR_ID
from smartpdu.twin.rack import RackTwin

CONFIG = Path(__file__).parents[2] / "configs" / "demo-rack.yaml"


@pytest.fixture(scope="module")
def tick() -> tuple[RackSnapshot, Acquisition]:
    cfg = load_config(CONFIG)
    twin = RackTwin(cfg, seed=7, frequency_drift_hz=0.0)
    pdu = cfg.pdus[0]
    idle = next(o.id for o in pdu.outlets)
    twin.set_outlet(pdu.id, idle, False)
    for _ in range(3):
        acq = twin.acquire()
    windows = []
    for p in cfg.pdus:
        block = acq.blocks[p.id]
        m = measure_block(block)
        windows.append(
            PduWindow(
                config=p,
                block=block,
                metrics=m.metrics,
                channels=m.channels,
                status=acq.status[p.id],
                energy={},
                commanded_on={},
            )
        )
    return build_rack_snapshot(cfg, 1, "2026-01-01T00:00:00Z", acq, windows), acq


def test_readings_are_built_by_name_from_the_meter(tick: tuple[RackSnapshot, Acquisition]) -> None:
    snap, acq = tick
    pdu = next(iter(snap.pdus.values()))
    block = acq.blocks[pdu.id]
    m = measure_block(block)
    k = m.channels.index("inlet/L1")
    r = pdu.inlet.phases["L1"]
    assert r.v_rms_v == pytest.approx(float(m.metrics.v_rms_v[k]))
    assert r.p_w == pytest.approx(float(m.metrics.p_w[k]))
    assert r.cos_phi == pytest.approx(float(m.metrics.cos_phi[k]))
    assert r.frequency_hz == pytest.approx(float(m.metrics.frequency_hz[k]))


def test_no_value_stays_nan_in_the_snapshot_and_states_are_typed(
    tick: tuple[RackSnapshot, Acquisition],
) -> None:
    snap, _ = tick
    pdu = next(iter(snap.pdus.values()))
    off = [o for o in pdu.outlets.values() if o.state is OutletState.OFF]
    assert off, "the fixture switches one outlet off"
    assert math.isnan(off[0].reading.pf) and math.isnan(off[0].reading.thd_i_pct)
    assert "low_signal" in " ".join(off[0].reading.flags).lower()
    assert all(isinstance(b.breaker_state, BreakerState) for b in pdu.branches.values())


def test_inlet_totals_carry_q_and_pf(tick: tuple[RackSnapshot, Acquisition]) -> None:
    snap, _ = tick
    inlet = next(iter(snap.pdus.values())).inlet
    assert inlet.reactive_var == pytest.approx(sum(r.q1_var for r in inlet.phases.values()))
    assert inlet.pf == pytest.approx(inlet.power_w / inlet.apparent_va, rel=1e-9)
    assert 0.5 < inlet.pf <= 1.0


def test_harmonics_of_phases_and_outlets(tick: tuple[RackSnapshot, Acquisition]) -> None:
    snap, _ = tick
    pdu = next(iter(snap.pdus.values()))
    assert pdu.harmonics is not None
    on = next(o for o in pdu.outlets.values() if o.state is OutletState.ON)
    h = pdu.harmonics.of(f"outlet/{on.id}")
    assert h is not None and len(h.current_a) == 50 and len(h.current_phase_deg) == 50
    fund = h.current_a[0]
    assert fund is not None
    assert fund == pytest.approx(on.reading.i_rms_a, rel=0.1)
    ph = pdu.harmonics.of("inlet/L1")
    assert ph is not None and ph.voltage_v[0] == pytest.approx(
        pdu.inlet.phases["L1"].v_rms_v, rel=0.02
    )
    assert pdu.harmonics.of("outlet/nope") is None


def test_dew_point_is_a_rack_sensor_row(tick: tuple[RackSnapshot, Acquisition]) -> None:
    snap, _ = tick
    kinds = {s.kind for s in snap.sensors.values()}
    if not {"temperature", "humidity"} <= kinds:
        pytest.skip("demo rack has no humidity sensor")
    dew = snap.sensors[DEW_POINT_SENSOR_ID]
    temps = [s.value for s in snap.sensors.values() if s.kind == "temperature" and s.value]
    assert dew.value is not None and dew.value < min(temps)


def test_stored_keys_follow_the_catalogue_and_the_one_id(
    tick: tuple[RackSnapshot, Acquisition],
) -> None:
    snap, _ = tick
    values = list(snapshot_values(snap))
    keys = {k for _, k, _ in values}
    pdu = next(iter(snap.pdus.values()))
    for m in stored_metrics(Level.PHASE):
        assert f"inlet/L1/{m.key}" in keys
    assert not any(k.startswith("phase/") for k in keys), "history uses the one id inlet/L1"
    outlet_keys = {k.rsplit("/", 1)[1] for k in keys if k.startswith("outlet/")}
    assert outlet_keys == {m.key for m in stored_metrics(Level.OUTLET)}
    off = next(o for o in pdu.outlets.values() if o.state is OutletState.OFF)
    assert (pdu.id, f"outlet/{off.id}/power_w") in {(p, k) for p, k, _ in values}


def test_a_changed_configuration_is_assembled_afresh(
    tick: tuple[RackSnapshot, Acquisition],
) -> None:
    """Per-configuration parts are cached: a new configuration object must not reuse them."""
    _, acq = tick
    cfg = load_config(CONFIG)
    first = cfg.pdus[0]
    renamed = first.model_copy(
        update={
            "outlets": [first.outlets[0].model_copy(update={"name": "Renamed"}), *first.outlets[1:]]
        }
    )
    block = acq.blocks[first.id]
    m = measure_block(block)
    snaps = [
        build_rack_snapshot(
            cfg,
            1,
            "2026-01-01T00:00:00Z",
            acq,
            [PduWindow(p, block, m.metrics, m.channels, acq.status[p.id], {}, {})],
        )
        for p in (first, renamed, first)
    ]
    oid = first.outlets[0].id
    names = [s.pdus[first.id].outlets[oid].name for s in snaps]
    assert names == [first.outlets[0].name or f"Outlet {oid}", "Renamed", names[0]]


def test_stored_values_skip_no_value_and_follow_a_changed_layout(
    tick: tuple[RackSnapshot, Acquisition],
) -> None:
    """Keys are cached per snapshot layout: None leaves its key out, a new layout its own keys."""
    snap, _ = tick
    pdu_id = next(iter(snap.pdus))
    pdu = snap.pdus[pdu_id]
    oid = next(iter(pdu.outlets))
    key = f"outlet/{oid}/terminal_temp_c"
    outlets = {**pdu.outlets, oid: replace(pdu.outlets[oid], terminal_temp_c=None)}
    no_value = replace(snap, pdus={**snap.pdus, pdu_id: replace(pdu, outlets=outlets)})
    fewer = replace(snap, pdus={pdu_id: replace(pdu, outlets={oid: pdu.outlets[oid]})})
    full = {(p, k): v for p, k, v in snapshot_values(snap)}
    assert full[(pdu_id, key)] == pdu.outlets[oid].terminal_temp_c
    without = {(p, k) for p, k, _ in snapshot_values(no_value)}
    assert (pdu_id, key) not in without and len(without) == len(full) - 1
    small = {(p, k) for p, k, _ in snapshot_values(fewer)}
    assert {k.split("/")[1] for p, k in small if k.startswith("outlet/")} == {oid}
    assert all(p == pdu_id or k.startswith("sensor/") for p, k in small)


def test_energy_columns_give_the_snapshot_of_the_equivalent_dict(
    tick: tuple[RackSnapshot, Acquisition],
) -> None:
    """Energy totals as columns (the energy stage's form) and as a dict of EnergyTotals (the
    form before) give identical snapshots, a channel without registers showing zeros."""
    cfg = load_config(CONFIG)
    twin = RackTwin(cfg, seed=11, frequency_drift_hz=0.0)
    acq = twin.acquire()
    p = cfg.pdus[0]
    block = acq.blocks[p.id]
    m = measure_block(block)
    registered = tuple(c for c in m.channels if c != "inlet/L2")  # one channel without totals
    rng = np.random.default_rng(5)
    rows = rng.uniform(0.0, 5e4, (5, len(registered)))
    columns = EnergyColumns(registered, rows)
    as_dict = {c: EnergyTotals(*rows[:, k].tolist()) for k, c in enumerate(registered)}
    assert dict(columns) == as_dict and columns.get("inlet/L2") is None

    def snap(energy: Mapping[str, EnergyTotals]) -> RackSnapshot:
        win = PduWindow(p, block, m.metrics, m.channels, acq.status[p.id], energy, {})
        return build_rack_snapshot(cfg, 1, "2026-01-01T00:00:00Z", acq, [win])

    a, b = snap(columns), snap(as_dict)
    assert repr(a) == repr(b)
    assert a.pdus[p.id].inlet.phases["L2"].energy_wh == 0.0
    k = registered.index("inlet/L1")
    assert a.pdus[p.id].inlet.phases["L1"].energy_wh == rows[0, k]


def test_residual_currents_reach_the_snapshot_and_the_history_where_measured(
    tick: tuple[RackSnapshot, Acquisition],
) -> None:
    snap, acq = tick
    a, b = snap.pdus["pdu-a"], snap.pdus["pdu-b"]
    raw = dict(zip(acq.blocks["pdu-b"].residual_channels,
                   acq.blocks["pdu-b"].residual_ma.tolist(), strict=True))  # fmt: skip
    assert b.outlets["21"].residual_ma == raw["outlet/21"] > 0.0  # gpu-01's B-side PSU
    assert b.branches["B6"].residual_ma == raw["branch/B6"]
    assert all(o.residual_ma is None for o in a.outlets.values())  # PDU A: no outlet monitors
    assert a.branches["B1"].residual_ma is None and a.branches["B6"].residual_ma is not None
    keys = {(p, k) for p, k, _ in snapshot_values(snap)}
    assert {("pdu-b", "outlet/21/residual_ma"), ("pdu-a", "branch/B6/residual_ma"),
            ("pdu-a", "inlet/residual_ma")} <= keys  # fmt: skip
    assert ("pdu-a", "outlet/21/residual_ma") not in keys
    assert ("pdu-a", "branch/B1/residual_ma") not in keys
