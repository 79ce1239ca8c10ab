"""Cross-reference checks of a parsed rack: every finding names the path of the offending field.

Also run on the best-effort rack of an *invalid* file (:mod:`smartpdu.config.lenient`), where a
field that failed validation is ``None``: every check skips what it cannot know, so one pass
reports field errors and reference errors together without inventing any.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from smartpdu.config.models import ConnectorType, RackConfig

__all__ = ["ConfigIssue", "check_references"]


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    path: str
    """Dotted path with list indices, e.g. ``pdus[1].branches[3].rating_a``."""
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def _duplicates(ids: list[str]) -> set[str]:
    return {i for i, n in Counter(ids).items() if n > 1 and i is not None}


def check_references(cfg: RackConfig) -> list[ConfigIssue]:
    """Return every inconsistency between the parts of a rack (empty when the rack is coherent)."""
    issues: list[ConfigIssue] = []
    dup_pdus = _duplicates([p.id for p in cfg.pdus])
    outlets_of: dict[str, set[str]] = {}
    for pi, pdu in enumerate(cfg.pdus):
        if pdu.id in dup_pdus:
            issues.append(ConfigIssue(f"pdus[{pi}].id", f"duplicate PDU id {pdu.id!r}"))
        lines = {"L1"} if pdu.phases == 1 else {"L1", "L2", "L3"}
        inlet_a = pdu.inlet_rating_a
        dup_branches = _duplicates([b.id for b in pdu.branches])
        for bi, branch in enumerate(pdu.branches):
            where = f"pdus[{pi}].branches[{bi}]"
            if branch.id in dup_branches:
                issues.append(ConfigIssue(f"{where}.id", f"duplicate branch id {branch.id!r}"))
            if branch.line is not None and branch.line not in lines:
                issues.append(
                    ConfigIssue(
                        f"{where}.line",
                        f"{branch.line} does not exist on a {pdu.phases}-phase PDU (use L1)",
                    )
                )
            rating = branch.breaker.rating_a if branch.breaker is not None else None
            if rating is not None and inlet_a is not None and rating > inlet_a:
                issues.append(
                    ConfigIssue(
                        f"{where}.breaker.rating_a",
                        f"{rating} A exceeds the inlet rating {inlet_a} A",
                    )
                )
        branch_ids = {b.id for b in pdu.branches}
        branch_rating = {b.id: b.breaker.rating_a for b in pdu.branches if b.breaker is not None}
        dup_outlets = _duplicates([o.id for o in pdu.outlets])
        for oi, outlet in enumerate(pdu.outlets):
            where = f"pdus[{pi}].outlets[{oi}]"
            if outlet.id in dup_outlets:
                issues.append(ConfigIssue(f"{where}.id", f"duplicate outlet id {outlet.id!r}"))
            limit = 10.0 if outlet.connector is ConnectorType.C13 else 16.0
            if (
                outlet.rating_a is not None
                and outlet.connector is not None
                and outlet.rating_a > limit
            ):
                issues.append(
                    ConfigIssue(
                        f"{where}.rating_a",
                        f"{outlet.rating_a} A exceeds the {limit} A a {outlet.connector} outlet allows",
                    )
                )
            # A valid reference never matches an invalid id (both are ``Id``s), so "unknown"
            # stays true when some ids failed validation.
            if outlet.branch is None:
                pass  # invalid itself: reported as a field error
            elif outlet.branch not in branch_ids:
                known = ", ".join(sorted(b for b in branch_ids if b is not None))
                issues.append(
                    ConfigIssue(
                        f"{where}.branch", f"unknown branch {outlet.branch!r}; known: {known}"
                    )
                )
            elif (
                outlet.rating_a is not None
                and branch_rating.get(outlet.branch) is not None
                and outlet.rating_a > branch_rating[outlet.branch]
            ):
                issues.append(
                    ConfigIssue(
                        f"{where}.rating_a",
                        f"{outlet.rating_a} A exceeds its branch breaker "
                        f"({branch_rating[outlet.branch]} A)",
                    )
                )
        outlets_of[pdu.id] = {o.id for o in pdu.outlets}

    used: dict[tuple[str, str], str] = {}
    for di, device in enumerate(cfg.devices):
        if device.name in _duplicates([d.name for d in cfg.devices]):
            issues.append(ConfigIssue(f"devices[{di}].name", f"duplicate device {device.name!r}"))
        rack_u = cfg.rack.height_u if cfg.rack is not None else None
        if (
            device.u_position is not None
            and device.height_u is not None
            and rack_u is not None
            and device.u_position + device.height_u - 1 > rack_u
        ):
            issues.append(
                ConfigIssue(
                    f"devices[{di}].u_position",
                    f"device ends above the rack's {rack_u} U",
                )
            )
        for si, psu in enumerate(device.psus):
            where = f"devices[{di}].psus[{si}]"
            if psu.pdu is None:
                continue  # reported as a field error
            if psu.pdu not in outlets_of:
                issues.append(ConfigIssue(f"{where}.pdu", f"unknown PDU {psu.pdu!r}"))
                continue
            if psu.outlet is None:
                continue
            if psu.outlet not in outlets_of[psu.pdu]:
                issues.append(
                    ConfigIssue(f"{where}.outlet", f"PDU {psu.pdu!r} has no outlet {psu.outlet!r}")
                )
                continue
            key = (psu.pdu, psu.outlet)
            if key in used:
                issues.append(
                    ConfigIssue(
                        f"{where}.outlet",
                        f"outlet {psu.pdu}/{psu.outlet} already feeds device {used[key]!r}",
                    )
                )
            used[key] = device.name

    pdu_ids = set(outlets_of)
    for si, sensor in enumerate(cfg.sensors):
        if sensor.id in _duplicates([s.id for s in cfg.sensors]):
            issues.append(ConfigIssue(f"sensors[{si}].id", f"duplicate sensor id {sensor.id!r}"))
        if sensor.pdu is not None and sensor.pdu not in pdu_ids:
            issues.append(ConfigIssue(f"sensors[{si}].pdu", f"unknown PDU {sensor.pdu!r}"))
    for li, lever in enumerate(cfg.levers):
        if lever.id in _duplicates([x.id for x in cfg.levers]):
            issues.append(ConfigIssue(f"levers[{li}].id", f"duplicate lever id {lever.id!r}"))
    lever_ids = {lv.id for lv in cfg.levers}
    for ti, name in enumerate(cfg.access.two_person_levers):
        if name not in lever_ids:
            issues.append(ConfigIssue(f"access.two_person_levers[{ti}]",
                                      f"unknown lever {name!r}; levers: {sorted(lever_ids)}"))  # fmt: skip
    return issues
