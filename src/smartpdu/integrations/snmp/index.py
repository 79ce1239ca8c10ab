"""One snapshot flattened into the sorted OID → value list the agent serves (pure, no pysnmp).

An SNMP walk is column-major (every row of column 1, then column 2, ...), so a walk spans many
requests; serving each request from one :class:`MibIndex` built from one :class:`RackView` (and
a walk in progress from the same index, see :mod:`.walks`) keeps every row of a walk at one
tick. Values are plain Python here — ``("i", 2305)``, ``("s", "web-01")``, ``("c64", 1234)`` —
and become pysnmp objects only for the handful a response carries.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from smartpdu.integrations.snmp.tree import SCALARS, TABLES, Column, RackView
from smartpdu.model.metrics import display

__all__ = ["INT32_MAX", "MibIndex", "Value", "build_index", "encode"]

Value = tuple[str, object]
"""(kind, python value): ``i`` Integer32, ``u`` Unsigned32, ``c64`` Counter64, ``s`` octets,
``t`` TimeTicks, ``o`` object identifier."""

INT32_MAX: Final = 2**31 - 1
_U64_MAX: Final = 2**64 - 1


def _clamp(x: int, lo: int, hi: int) -> int:
    return lo if x < lo else hi if x > hi else x


def encode(col: Column, raw: object) -> Value | None:
    """The served value of a column, or None for an absent instance (no value)."""
    if raw is None:
        return None
    syntax = col.syntax
    if syntax == "DisplayString":
        return ("s", str(raw)[:255])
    if syntax == "TruthValue":
        return ("i", 1 if raw else 2)
    if syntax == "enum":
        try:
            return ("i", col.enum.index(str(raw)) + 1)
        except ValueError:
            return None
    x = float(raw)  # type: ignore[arg-type]
    if col.metric is not None:
        shown = display(col.metric, x)
        if shown is None:
            return None
        x = shown
    elif not math.isfinite(x):
        return None
    scaled = round(x * 10**col.decimals)
    if syntax.startswith("Smartpdu") and "64" in syntax:
        return ("c64", _clamp(scaled, 0, _U64_MAX))
    if syntax == "Counter64":
        return ("c64", _clamp(scaled, 0, _U64_MAX))
    return ("i", _clamp(scaled, -INT32_MAX - 1, INT32_MAX))


@dataclass(frozen=True, slots=True)
class MibIndex:
    """Sorted OIDs with their values, plus the column prefixes that exist (for noSuchInstance)."""

    oids: list[tuple[int, ...]]
    values: list[Value]
    positions: dict[tuple[int, ...], int]
    objects: frozenset[tuple[int, ...]]
    """OIDs of every object (column or scalar) the index could serve."""
    tick: int
    writable: dict[tuple[int, ...], tuple[str, str, str]]
    """Column OID → (column name, pdu id, entity id) per writable instance."""

    def get(self, oid: tuple[int, ...]) -> Value | None:
        i = self.positions.get(oid)
        return None if i is None else self.values[i]

    def next_after(self, oid: tuple[int, ...]) -> int:
        """Position of the first OID strictly after ``oid`` (== len when none)."""
        return bisect_right(self.oids, oid)

    def is_object(self, oid: tuple[int, ...]) -> bool:
        """Whether ``oid`` names an instance of a known object (used for noSuchInstance)."""
        return len(oid) > 1 and any(oid[:n] in self.objects for n in range(len(oid) - 1, 0, -1))


Extra = Callable[[], list[tuple[tuple[int, ...], Value]]]


def build_index(
    view: RackView, root: tuple[int, ...], extra: list[tuple[tuple[int, ...], Value]]
) -> MibIndex:
    """Flatten ``view`` under ``root`` (``1.3.6.1.4.1.<PEN>``) plus ``extra`` scalars (MIB-2
    system group, USM statistics), sorted."""
    items: list[tuple[tuple[int, ...], Value]] = list(extra)
    objects: set[tuple[int, ...]] = {oid[:-1] for oid, _ in extra}
    writable: dict[tuple[int, ...], tuple[str, str, str]] = {}
    rack = (*root, 1, 1)
    for s in SCALARS:
        objects.add((*rack, s.sub))
        raw = s.get(view)
        value = encode(Column(s.sub, s.name, s.syntax, "", None, decimals=0), raw)
        if value is not None:
            items.append(((*rack, s.sub, 0), value))
    for t in TABLES:
        entry = (*root, 1, t.sub, 1)
        rows = list(t.rows(view))
        for col in t.columns:
            if col.get is None:
                continue
            base = (*entry, col.sub)
            objects.add(base)
            for index, row in rows:
                value = encode(col, col.get(row))
                oid = (*base, *index)
                if value is not None:
                    items.append((oid, value))
                if col.access == "read-write":
                    writable[oid] = (col.name, row[0].id, row[1].id)
    items.sort(key=lambda kv: kv[0])
    oids = [k for k, _ in items]
    return MibIndex(
        oids,
        [v for _, v in items],
        {k: i for i, k in enumerate(oids)},
        frozenset(objects),
        view.snapshot.tick,
        writable,
    )
