"""Config → spec mapping for branch breakers and the inlet MCCB."""

from __future__ import annotations

from smartpdu.config.models import BreakerConfig, MccbConfig
from smartpdu.protection import (
    McbSpec,
    MccbSpec,
    RcboSpec,
    branch_breaker_spec,
    inlet_breaker_spec,
)


def test_mcb_and_rcbo_from_branch_config():
    assert branch_breaker_spec(BreakerConfig(curve="D", rating_a=20.0)) == McbSpec("D", 20.0)
    rcbo = branch_breaker_spec(BreakerConfig(kind="RCBO", curve="B", rating_a=16, residual_ma=10))
    assert rcbo == RcboSpec(McbSpec("B", 16.0), idn_ma=10.0)


def test_inlet_mccb_from_config_keeps_every_setting():
    cfg = MccbConfig(ir_x=0.5, tr_s=12, isd_x=None, tsd_s=0.1, ii_x=4, neutral_x=1.0)
    spec = inlet_breaker_spec(cfg, 63.0)
    assert spec == MccbSpec(63.0, 0.5, 12.0, None, 0.1, 4.0, 1.0, 0.4)
    assert inlet_breaker_spec(MccbConfig(), 32.0) == MccbSpec(32.0)
