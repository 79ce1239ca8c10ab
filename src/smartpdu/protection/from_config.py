"""Build breaker specs from the rack configuration, so twin and controller share one mapping."""

from __future__ import annotations

from typing import TYPE_CHECKING

from smartpdu.protection.trip_curves import McbSpec, MccbSpec, RcboSpec

if TYPE_CHECKING:
    from smartpdu.config.models import BreakerConfig, MccbConfig, PduConfig

__all__ = ["branch_breaker_spec", "inlet_breaker_spec", "pdu_inlet_spec"]


def branch_breaker_spec(cfg: BreakerConfig) -> McbSpec | RcboSpec:
    """Return the MCB (or RCBO, with IΔn = ``residual_ma``) spec of a branch breaker."""
    mcb = McbSpec(cfg.curve, float(cfg.rating_a))
    if cfg.kind == "RCBO":
        return RcboSpec(mcb, idn_ma=float(cfg.residual_ma))
    return mcb


def inlet_breaker_spec(cfg: MccbConfig, rating_a: float) -> MccbSpec:
    """Return the inlet MCCB spec; ``rating_a`` is the PDU's inlet rating In."""
    return MccbSpec(
        rating_a=float(rating_a),
        ir_x=float(cfg.ir_x),
        tr_s=float(cfg.tr_s),
        isd_x=None if cfg.isd_x is None else float(cfg.isd_x),
        tsd_s=float(cfg.tsd_s),
        ii_x=float(cfg.ii_x),
        neutral_x=None if cfg.neutral_x is None else float(cfg.neutral_x),
        neutral_t_s=float(cfg.neutral_t_s),
    )


def pdu_inlet_spec(pdu: PduConfig) -> MccbSpec:
    """The inlet breaker of a PDU, as both the twin and the controller model it: the configured
    LSI settings, or the manual's factory settings when the rack file gives none."""
    if pdu.inlet_breaker is None:
        return MccbSpec(rating_a=float(pdu.inlet_rating_a))
    return inlet_breaker_spec(pdu.inlet_breaker, pdu.inlet_rating_a)
