"""Render SMARTPDU-MIB (SMIv2) from the object tree, and list every OID it publishes.

``mibs/SMARTPDU-MIB.txt`` is this module's output for the placeholder enterprise number
(:data:`PLACEHOLDER_PEN`, 32473: reserved for documentation by RFC 5612); a test keeps the
committed file equal to it, and ``mibs/published-oids.txt`` lists every OID (relative to the
module root) so a renumbering fails the test. Regenerate with::

    python -m smartpdu.integrations.snmp.mib_text > mibs/SMARTPDU-MIB.txt
    python -m smartpdu.integrations.snmp.mib_text --oids > mibs/published-oids.txt

A vendor with its own PEN regenerates with ``--enterprise N`` and configures the agent with the
same number (``snmp.enterprise`` in the rack configuration).
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Iterator
from typing import Final

from smartpdu.integrations.snmp.notifications import EVENT_OBJECTS, NOTIFICATIONS
from smartpdu.integrations.snmp.tree import SCALARS, TABLES, Column, Table, used_fixed_syntaxes

__all__ = ["MODULE", "PLACEHOLDER_PEN", "published_oids", "render_mib"]

MODULE: Final = "SMARTPDU-MIB"
PLACEHOLDER_PEN: Final = 32473
REVISION: Final = "202612010000Z"

_ASCII: Final = {"·": "*", "φ": "phi", "–": "-", "Σ": "sum of ", "²": "^2", "Δ": "delta "}


def _text(s: str) -> str:
    """MIB descriptions are ASCII without double quotes."""
    for k, v in _ASCII.items():
        s = s.replace(k, v)
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    return s.replace('"', "'")


def _entry_type(t: Table) -> str:
    return t.name[:1].upper() + t.name[1:] + "Entry"


def _syntax_decl(c: Column) -> str:
    if c.syntax == "enum":
        return "INTEGER { " + ", ".join(f"{v}({i})" for i, v in enumerate(c.enum, 1)) + " }"
    if c.range is not None:
        lo, hi = c.range
        if c.syntax == "DisplayString":
            return f"DisplayString (SIZE ({lo}..{hi}))"
        return f"{c.syntax} ({lo}..{hi})"
    return c.syntax


def _seq_syntax(c: Column) -> str:
    return "INTEGER" if c.syntax == "enum" else c.syntax


def _object(
    name: str, syntax: str, access: str, description: str, parent: str, sub: int,
    units: str | None = None, index: tuple[str, ...] = (),
) -> str:  # fmt: skip
    lines = [f"{name} OBJECT-TYPE", f"    SYNTAX      {syntax}"]
    if units:
        lines.append(f'    UNITS       "{_text(units)}"')
    lines += [
        f"    MAX-ACCESS  {access}",
        "    STATUS      current",
        f'    DESCRIPTION "{_text(description)}"',
    ]
    if index:
        lines.append(f"    INDEX       {{ {', '.join(index)} }}")
    lines.append(f"    ::= {{ {parent} {sub} }}")
    return "\n".join(lines) + "\n"


def _tc(name: str) -> str:
    wide = "64" in name
    decimals = int(name.rsplit("Fixed", 1)[1])
    hint = f"d-{decimals}" if decimals else "d"
    base = "Counter64" if wide else "Integer32"
    kind = (
        "monotonic total" if "Counter" in name else "value that may go down (e.g. reset)"
        if wide else "value"
    )  # fmt: skip
    return (
        f"{name} ::= TEXTUAL-CONVENTION\n"
        f'    DISPLAY-HINT "{hint}"\n'
        "    STATUS       current\n"
        f'    DESCRIPTION  "Fixed-point {kind}: the integer divided by 10^{decimals} is the '
        "value in the unit of the object's UNITS clause. An absent instance means no value.\"\n"
        f"    SYNTAX       {base}\n"
    )


def _walk(enterprise: int) -> Iterator[tuple[str, str, str]]:
    """(relative oid, name, SMI text) in module order."""
    yield (
        "",
        "smartpduMIB",
        (
            "smartpduMIB MODULE-IDENTITY\n"
            f'    LAST-UPDATED "{REVISION}"\n'
            '    ORGANIZATION "smartpdu project"\n'
            '    CONTACT-INFO "smartpdu maintainers; see docs/snmp.md"\n'
            '    DESCRIPTION  "SmartPDU controller: rack, PDUs, inlets, phases, branches, outlets,\n'
            "                 sensors, alarms and levers, with notifications for feed, breaker,\n"
            "                 residual-current, temperature, dew-point, THD, redundancy, tamper\n"
            "                 and fire events. Generated from the metric catalogue. OIDs are never\n"
            "                 renumbered. The enterprise number 32473 is the RFC 5612 documentation\n"
            '                 placeholder until a Private Enterprise Number is registered."\n'
            f'    REVISION     "{REVISION}"\n'
            '    DESCRIPTION  "Initial version."\n'
            f"    ::= {{ enterprises {enterprise} }}\n"
        ),
    )
    yield (
        "0",
        "smartpduNotifications",
        "smartpduNotifications OBJECT IDENTIFIER ::= { smartpduMIB 0 }\n",
    )
    yield "1", "smartpduObjects", _node("smartpduObjects", "smartpduMIB", 1)
    yield (
        "2",
        "smartpduConformance",
        "smartpduConformance OBJECT IDENTIFIER ::= { smartpduMIB 2 }\n",
    )
    yield "1.1", "smartpduRack", _node("smartpduRack", "smartpduObjects", 1)
    for s in SCALARS:
        yield (
            f"1.1.{s.sub}",
            s.name,
            _object(s.name, s.syntax, "read-only", s.description, "smartpduRack", s.sub, s.units),
        )
    for t in TABLES:
        entry, etype = f"{t.name}Entry", _entry_type(t)
        yield f"1.{t.sub}", f"{t.name}Table", _object(
            f"{t.name}Table", f"SEQUENCE OF {etype}", "not-accessible", t.description,
            "smartpduObjects", t.sub,
        )  # fmt: skip
        yield f"1.{t.sub}.1", entry, _object(
            entry, etype, "not-accessible", f"One row of {t.name}Table.", f"{t.name}Table", 1,
            index=t.index,
        ) + f"\n{etype} ::= SEQUENCE {{\n" + ",\n".join(
            f"    {c.name} {_seq_syntax(c)}" for c in t.columns
        ) + "\n}\n"  # fmt: skip
        for c in t.columns:
            units = c.units
            yield (
                f"1.{t.sub}.1.{c.sub}",
                c.name,
                _object(c.name, _syntax_decl(c), c.access, c.description, entry, c.sub, units),
            )
    yield "1.10", "smartpduEvent", _node("smartpduEvent", "smartpduObjects", 10)
    for sub, name, syntax, description in EVENT_OBJECTS:
        yield (
            f"1.10.{sub}",
            name,
            _object(name, syntax, "accessible-for-notify", description, "smartpduEvent", sub),
        )
    event_names = ", ".join(n for _, n, _, _ in EVENT_OBJECTS)
    for n in NOTIFICATIONS:
        yield (
            f"0.{n.sub}",
            n.name,
            (
                f"{n.name} NOTIFICATION-TYPE\n"
                f"    OBJECTS     {{ {event_names} }}\n"
                "    STATUS      current\n"
                f'    DESCRIPTION "{_text(n.description)}"\n'
                f"    ::= {{ smartpduNotifications {n.sub} }}\n"
            ),
        )
    yield (
        "2.1",
        "smartpduCompliances",
        "smartpduCompliances OBJECT IDENTIFIER ::= { smartpduConformance 1 }\n",
    )
    yield (
        "2.2",
        "smartpduGroups",
        "smartpduGroups OBJECT IDENTIFIER ::= { smartpduConformance 2 }\n",
    )
    groups: list[str] = []
    scalar_names = ", ".join(s.name for s in SCALARS)
    groups.append("smartpduRackGroup")
    yield (
        "2.2.1",
        "smartpduRackGroup",
        _group("smartpduRackGroup", scalar_names, "Rack scalars.", 1),
    )
    for t in TABLES:
        name = f"smartpdu{t.name[:1].upper()}{t.name[1:]}Group"
        cols = ", ".join(c.name for c in t.columns if c.access != "not-accessible")
        groups.append(name)
        yield f"2.2.{t.sub}", name, _group(name, cols, f"Objects of {t.name}Table.", t.sub)
    groups.append("smartpduEventGroup")
    yield (
        "2.2.10",
        "smartpduEventGroup",
        _group("smartpduEventGroup", event_names, "Objects carried by notifications.", 10),
    )
    groups.append("smartpduNotificationGroup")
    yield (
        "2.2.11",
        "smartpduNotificationGroup",
        (
            "smartpduNotificationGroup NOTIFICATION-GROUP\n"
            f"    NOTIFICATIONS {{ {', '.join(n.name for n in NOTIFICATIONS)} }}\n"
            "    STATUS      current\n"
            '    DESCRIPTION "Notifications of the SmartPDU."\n'
            "    ::= { smartpduGroups 11 }\n"
        ),
    )
    yield (
        "2.1.1",
        "smartpduCompliance",
        (
            "smartpduCompliance MODULE-COMPLIANCE\n"
            "    STATUS      current\n"
            '    DESCRIPTION "A SmartPDU agent implementing this module."\n'
            "    MODULE      -- this module\n"
            f"        MANDATORY-GROUPS {{ {', '.join(groups)} }}\n"
            "    ::= { smartpduCompliances 1 }\n"
        ),
    )


def _node(name: str, parent: str, sub: int) -> str:
    return f"{name} OBJECT IDENTIFIER ::= {{ {parent} {sub} }}\n"


def _group(name: str, objects: str, description: str, sub: int) -> str:
    return (
        f"{name} OBJECT-GROUP\n"
        f"    OBJECTS     {{ {objects} }}\n"
        "    STATUS      current\n"
        f'    DESCRIPTION "{description}"\n'
        f"    ::= {{ smartpduGroups {sub} }}\n"
    )


def render_mib(enterprise: int = PLACEHOLDER_PEN) -> str:
    """The whole SMIv2 module text."""
    header = (
        f"{MODULE} DEFINITIONS ::= BEGIN\n\n"
        "-- Generated by smartpdu.integrations.snmp.mib_text from the metric catalogue.\n"
        "-- Do not edit: regenerate (see docs/snmp.md). OIDs are append-only.\n\n"
        "IMPORTS\n"
        "    MODULE-IDENTITY, OBJECT-TYPE, NOTIFICATION-TYPE,\n"
        "    Integer32, Unsigned32, Counter64, enterprises    FROM SNMPv2-SMI\n"
        "    TEXTUAL-CONVENTION, DisplayString, TruthValue    FROM SNMPv2-TC\n"
        "    MODULE-COMPLIANCE, OBJECT-GROUP, NOTIFICATION-GROUP FROM SNMPv2-CONF;\n\n"
    )
    parts = [text for _, _, text in _walk(enterprise)]
    tcs = [_tc(name) for name in used_fixed_syntaxes()]
    body = parts[0] + "\n" + "\n".join(tcs) + "\n" + "\n".join(parts[1:])
    return header + body + "\nEND\n"


def published_oids() -> list[tuple[str, str]]:
    """Every (OID relative to the module root, name) the module defines, in module order."""
    return [(oid, name) for oid, name, _ in _walk(PLACEHOLDER_PEN) if oid]


def main(argv: list[str]) -> int:
    enterprise = PLACEHOLDER_PEN
    if "--enterprise" in argv:
        enterprise = int(argv[argv.index("--enterprise") + 1])
    if "--oids" in argv:
        sys.stdout.write("".join(f"{oid} {name}\n" for oid, name in published_oids()))
    else:
        sys.stdout.write(render_mib(enterprise))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
