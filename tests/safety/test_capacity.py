"""Capacity and what-if (issue 13 item 11): the what-if answer against a controller run of the
same change, and the reserve rows against the redundancy projection."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from smartpdu.analytics import WhatIf, capacity, failover_projection, what_if
from smartpdu.app.factory import build_twin_runtime, demo_config_path
from smartpdu.config import DeviceConfig, RackConfig, load_config
from smartpdu.model.snapshot import RackSnapshot

NEW = DeviceConfig.model_validate({
    "name": "srv-new", "load": {"kind": "active_pfc", "rated_power_w": 1600, "load_fraction": 0.8},
    "psus": [{"pdu": "pdu-a", "outlet": "8", "share": 0.5},
             {"pdu": "pdu-b", "outlet": "8", "share": 0.5}],
})  # fmt: skip


async def _snapshot(cfg: RackConfig, data_dir: Path, seconds: float = 6.0) -> RackSnapshot:
    async with build_twin_runtime(cfg, data_dir, seed=4) as rt:
        return await rt.run_for(seconds)


def _row(rows, pdu: str, entity: str):  # type: ignore[no-untyped-def]
    return next(r for r in rows if (r.pdu_id, r.entity) == (pdu, entity))


def test_what_if_matches_a_controller_run_of_the_same_change(tmp_path: Path) -> None:
    base_cfg = load_config(demo_config_path())
    base = asyncio.run(_snapshot(base_cfg, tmp_path / "base"))
    predicted = what_if(base_cfg, base, WhatIf(add=[NEW]))
    changed_cfg = base_cfg.model_copy(update={"devices": [*base_cfg.devices, NEW]})
    after = asyncio.run(_snapshot(changed_cfg, tmp_path / "after"))
    real = capacity(changed_cfg, after)
    for pdu in ("pdu-a", "pdu-b"):
        for entity in ("branch/B2", "inlet/L1"):
            p, r = _row(predicted, pdu, entity), _row(real, pdu, entity)
            assert p.measured_a == pytest.approx(r.measured_a, rel=0.05), (pdu, entity)
    grew = (
        _row(predicted, "pdu-a", "branch/B2").measured_a
        - _row(capacity(base_cfg, base), "pdu-a", "branch/B2").measured_a
    )
    assert grew == pytest.approx(1600 * 0.8 * 0.5 / (230 * 0.98), rel=1e-6)


def test_reserve_rows_and_the_n_projection_agree_with_the_redundancy_audit(
    tmp_path: Path,
) -> None:
    cfg = load_config(demo_config_path())
    snap = asyncio.run(_snapshot(cfg, tmp_path))
    rows = capacity(cfg, snap)
    b6 = _row(rows, "pdu-b", "branch/B6")
    proj = next(x for x in failover_projection(cfg, snap, "A")
                if (x.pdu_id, x.entity) == ("pdu-b", "branch/B6"))  # fmt: skip
    assert b6.n_projected_a == pytest.approx(proj.projected_a, rel=1e-9)
    assert b6.limit_a == pytest.approx(12.8)
    assert b6.reserve_a == pytest.approx(12.8 - b6.measured_a)
    assert b6.as_dict()["reserve_kw"] == pytest.approx(round(b6.reserve_a * 230 / 1e3, 3))
    # removing the lab servers frees exactly what their outlets drew
    freed = what_if(cfg, snap, WhatIf(remove=["lab-01", "lab-02"]))
    drawn = sum(snap.pdus["pdu-b"].outlets[o].reading.i_rms_a for o in ("22", "23"))
    assert _row(freed, "pdu-b", "branch/B6").measured_a == pytest.approx(b6.measured_a - drawn)


def test_what_if_refuses_unknown_devices_and_taken_outlets(tmp_path: Path) -> None:
    cfg = load_config(demo_config_path())
    snap = asyncio.run(_snapshot(cfg, tmp_path, 1.0))
    with pytest.raises(KeyError, match="nope"):
        what_if(cfg, snap, WhatIf(remove=["nope"]))
    taken = NEW.model_copy(update={"psus": [NEW.psus[0].model_copy(update={"outlet": "1"})]})
    with pytest.raises(ValueError, match="already feeds"):
        what_if(cfg, snap, WhatIf(add=[taken]))
