"""Plausibility of the power hierarchy: outlets → branches → phases → inlet, and ghost power."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Finding", "check_hierarchy", "ghost_power"]


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    """``sum_mismatch`` or ``ghost_power``."""
    source: str
    measured_w: float
    expected_w: float
    tolerance_w: float


def _tol(expected: float, rel: float, abs_w: float) -> float:
    return abs_w + rel * abs(expected)


def check_hierarchy(
    parent_power_w: Mapping[str, float],
    child_power_w: Mapping[str, float],
    child_parent: Mapping[str, str],
    rel_tol: float = 0.01,
    abs_tol_w: float = 5.0,
) -> list[Finding]:
    """Compare each parent's power with the sum of its children (outlets vs branch, etc.).

    Call once per level: outlets→branches, branches→phases, phases→inlet (map all to ``inlet``).
    """
    sums: dict[str, float] = dict.fromkeys(parent_power_w, 0.0)
    for child, p in child_power_w.items():
        parent = child_parent.get(child)
        if parent is not None:
            sums[parent] = sums.get(parent, 0.0) + p
    out = []
    for parent, expected in sums.items():
        measured = parent_power_w.get(parent, 0.0)
        tol = _tol(expected, rel_tol, abs_tol_w)
        if abs(measured - expected) > tol:
            out.append(Finding("sum_mismatch", parent, measured, expected, tol))
    return out


def ghost_power(
    outlet_power_w: Mapping[str, float],
    relay_closed: Mapping[str, bool],
    idle: frozenset[str] = frozenset(),
    threshold_w: float = 2.0,
) -> list[Finding]:
    """Outlets that are switched off (or declared idle) yet show power above ``threshold_w``."""
    return [
        Finding("ghost_power", f"outlet/{oid}" if "/" not in oid else oid, p, 0.0, threshold_w)
        for oid, p in outlet_power_w.items()
        if (not relay_closed.get(oid, True) or oid in idle) and abs(p) > threshold_w
    ]
