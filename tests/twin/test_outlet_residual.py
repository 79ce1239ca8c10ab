"""Per-outlet residual-current monitors in the twin (``residual_per_outlet``)."""

from __future__ import annotations

import pytest
from twin_helpers import device, pdu, rack

from smartpdu.twin import humidity_leakage_factor
from smartpdu.twin.rack import RackTwin


def _twin(per_outlet: bool) -> RackTwin:
    p = pdu("pdu-a", "A", rcbo=True) | {"residual_per_outlet": per_outlet}
    cfg = rack(
        [p],
        [
            # two PSUs of one device on outlets 9 and 10 (both RCBO branch B3, phase L3)
            device("lab", "active_pfc", 400.0, [("pdu-a", "9", 0.5), ("pdu-a", "10", 0.5)],
                   leakage_ma_per_psu=1.0),
            device("srv", "active_pfc", 400.0, [("pdu-a", "1", 1.0)], leakage_ma_per_psu=0.4),
        ],
    )  # fmt: skip
    return RackTwin(cfg, seed=0)


def test_without_per_outlet_monitors_only_inlet_and_rcbo_branches_are_measured() -> None:
    block = _twin(False).acquire().blocks["pdu-a"]
    assert block.residual_channels == ("inlet", "branch/B3")


def test_each_outlet_reads_the_leakage_of_its_psus() -> None:
    twin = _twin(True)
    block = twin.acquire().blocks["pdu-a"]
    names = block.residual_channels
    assert names[:2] == ("inlet", "branch/B3")
    assert names[2:] == tuple(f"outlet/{k}" for k in range(1, 13))
    rd = dict(zip(names, block.residual_ma.tolist(), strict=True))
    f = humidity_leakage_factor(twin.environment.humidity_pct)
    assert rd["outlet/9"] == pytest.approx(1.0 * f) and rd["outlet/10"] == pytest.approx(1.0 * f)
    assert rd["outlet/1"] == pytest.approx(0.4 * f)
    assert rd["outlet/2"] == 0.0  # nothing plugged in
    assert rd["branch/B3"] == pytest.approx(rd["outlet/9"] + rd["outlet/10"])
    # L1 (0.4 mA) and L3 (2 mA) 120° apart: |0.4 + 2·e^{j240°}| = √(0.4² + 2² − 0.4·2)
    assert rd["inlet"] == pytest.approx(f * (0.4**2 + 2.0**2 - 0.4 * 2.0) ** 0.5)
    twin.set_leakage("lab", 3.0)
    rd = dict(zip(names, twin.acquire().blocks["pdu-a"].residual_ma.tolist(), strict=True))
    assert rd["outlet/9"] == pytest.approx(3.0 * f) and rd["outlet/1"] == pytest.approx(0.4 * f)


def test_a_switched_off_outlet_leaks_nothing() -> None:
    twin = _twin(True)
    twin.acquire()
    twin.set_outlet("pdu-a", "1", False)
    twin.acquire()
    block = twin.acquire().blocks["pdu-a"]
    rd = dict(zip(block.residual_channels, block.residual_ma.tolist(), strict=True))
    assert rd["outlet/1"] == 0.0 and rd["outlet/9"] > 0.0
