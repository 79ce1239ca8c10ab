"""Stable entity ids: one id per channel, sensor and lever, the same on every interface.

Grammar (segments are separated by ``/``)::

    entity   := [scope "/"] local
    scope    := pdu-id | "rack"
    local    := "inlet"                      inlet totals (sum of the phases)
              | "inlet/" line                one inlet phase (or the neutral)
              | "branch/" name               a branch circuit
              | "outlet/" name               an outlet
              | "sensor/" name               an environment sensor (rack- or PDU-scoped)
              | "lever/" name                a locking lever (rack-scoped)
    line     := "L1" | "L2" | "L3" | "N"
    name     := [A-Za-z0-9][A-Za-z0-9_.-]*   (the configuration's id pattern)

Examples: ``pdu-a/inlet/L1``, ``pdu-a/inlet``, ``pdu-a/branch/B1``, ``pdu-a/outlet/7``,
``pdu-a/sensor/temp-top``, ``rack/lever/front``. Inside one PDU (stored history keys, energy
registers, ``POST /energy/reset``) the local part is used: ``inlet/L1``. Older spellings of the
phase channel (``phase/L1`` of the 1-s history, bare ``L1`` of the snapshot) are accepted as
aliases by :func:`canonical_channel` and :func:`canonical_metric_key`, and never produced.
Redfish sensor ids are generated from the one id (:func:`redfish_prefix`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

__all__ = [
    "LINES",
    "RACK_SCOPE",
    "EntityId",
    "EntityKind",
    "branch_id",
    "canonical_channel",
    "canonical_metric_key",
    "inlet_id",
    "lever_id",
    "outlet_id",
    "parse_entity_id",
    "phase_id",
    "redfish_prefix",
    "sensor_id",
]

RACK_SCOPE: Final = "rack"
LINES: Final = ("L1", "L2", "L3", "N")
_NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class EntityKind(StrEnum):
    INLET = "inlet"
    """The inlet totals (``name`` is None)."""
    PHASE = "phase"
    """One inlet line ``inlet/L1``; the kind says what it is, the id keeps the ``inlet/`` path."""
    BRANCH = "branch"
    OUTLET = "outlet"
    SENSOR = "sensor"
    LEVER = "lever"


_SEGMENT: Final = {
    EntityKind.INLET: "inlet",
    EntityKind.PHASE: "inlet",
    EntityKind.BRANCH: "branch",
    EntityKind.OUTLET: "outlet",
    EntityKind.SENSOR: "sensor",
    EntityKind.LEVER: "lever",
}
_KEYWORDS: Final = frozenset(_SEGMENT.values())


@dataclass(frozen=True, slots=True, order=True)
class EntityId:
    """One entity: ``scope`` (PDU id, ``rack`` or None for a PDU-local id), kind and name."""

    kind: EntityKind
    name: str | None = None
    scope: str | None = None

    def __post_init__(self) -> None:
        if self.kind is EntityKind.INLET:
            if self.name is not None:
                raise ValueError("the inlet totals id has no name; use kind=phase for a line")
        elif self.kind is EntityKind.PHASE:
            if self.name not in LINES:
                raise ValueError(f"phase must be one of {', '.join(LINES)}, got {self.name!r}")
        elif self.name is None or not _NAME.match(self.name):
            raise ValueError(
                f"{self.kind} name must match [A-Za-z0-9][A-Za-z0-9_.-]* (≤ 64), got {self.name!r}"
            )
        if self.scope is not None and (not _NAME.match(self.scope) or self.scope in _KEYWORDS):
            raise ValueError(
                f"scope must be a PDU id or 'rack' (not one of {sorted(_KEYWORDS)}), "
                f"got {self.scope!r}"
            )

    @property
    def local(self) -> str:
        """The id inside its PDU (``inlet/L1``): history keys and energy registers use it."""
        seg = _SEGMENT[self.kind]
        return seg if self.name is None else f"{seg}/{self.name}"

    def in_scope(self, scope: str) -> EntityId:
        return EntityId(self.kind, self.name, scope)

    def metric_key(self, metric: str) -> str:
        """The stored history key of one metric of this entity: ``outlet/7/power_w``."""
        return f"{self.local}/{metric}"

    def __str__(self) -> str:
        return self.local if self.scope is None else f"{self.scope}/{self.local}"


def inlet_id(scope: str | None = None) -> EntityId:
    return EntityId(EntityKind.INLET, None, scope)


def phase_id(line: str, scope: str | None = None) -> EntityId:
    return EntityId(EntityKind.PHASE, line, scope)


def branch_id(name: str, scope: str | None = None) -> EntityId:
    return EntityId(EntityKind.BRANCH, name, scope)


def outlet_id(name: str, scope: str | None = None) -> EntityId:
    return EntityId(EntityKind.OUTLET, name, scope)


def sensor_id(name: str, scope: str | None = None) -> EntityId:
    return EntityId(EntityKind.SENSOR, name, scope)


def lever_id(name: str, scope: str | None = RACK_SCOPE) -> EntityId:
    return EntityId(EntityKind.LEVER, name, scope)


def parse_entity_id(text: str) -> EntityId:
    """Parse ``[scope/]local``; raise ValueError saying what a valid id looks like."""
    parts = text.split("/")
    scope: str | None = None
    if parts and parts[0] not in _KEYWORDS:
        scope, parts = parts[0], parts[1:]
    try:
        if parts == ["inlet"]:
            return EntityId(EntityKind.INLET, None, scope)
        if len(parts) == 2:
            seg, name = parts
            kind = {
                "inlet": EntityKind.PHASE,
                "branch": EntityKind.BRANCH,
                "outlet": EntityKind.OUTLET,
                "sensor": EntityKind.SENSOR,
                "lever": EntityKind.LEVER,
            }.get(seg)
            if kind is not None:
                return EntityId(kind, name, scope)
    except ValueError as e:
        raise ValueError(f"invalid entity id {text!r}: {e}") from None
    raise ValueError(
        f"invalid entity id {text!r}: expected [pdu/]inlet[/L1], [pdu/]branch/<id>, "
        "[pdu/]outlet/<id>, [pdu/]sensor/<id> or rack/lever/<id>"
    )


def canonical_channel(text: str) -> str:
    """The PDU-local channel id for an accepted spelling: ``phase/L1`` and ``L1`` → ``inlet/L1``.

    Unknown shapes are returned unchanged (the caller reports "no such channel").
    """
    if text in LINES:
        return f"inlet/{text}"
    if text.startswith("phase/") and text[6:] in LINES:
        return f"inlet/{text[6:]}"
    return text


def canonical_metric_key(key: str) -> str:
    """Map a history key alias to the stored key: ``phase/L1/current_a`` → ``inlet/L1/current_a``."""
    head, sep, rest = key.partition("/")
    if head == "phase" and sep:
        line, sep2, metric = rest.partition("/")
        if line in LINES and sep2:
            return f"inlet/{line}/{metric}"
    return key


def redfish_prefix(eid: EntityId) -> str:
    """Prefix of Redfish sensor ids of an electrical entity: ``MainsL1``, ``Mains``, ``Outlet7``."""
    if eid.kind is EntityKind.INLET:
        return "Mains"
    if eid.kind is EntityKind.PHASE:
        return f"Mains{eid.name}"
    if eid.kind is EntityKind.BRANCH:
        return f"Branch{eid.name}"
    if eid.kind is EntityKind.OUTLET:
        return f"Outlet{eid.name}"
    raise ValueError(f"{eid} is not an electrical channel (no Redfish sensor prefix)")
