"""SMARTPDU-MIB: generated from the catalogue, compiled by pysmi and net-snmp, never renumbered."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from smartpdu.integrations.snmp.mib_text import PLACEHOLDER_PEN, published_oids, render_mib
from smartpdu.integrations.snmp.tree import TABLES, metric_column_name
from smartpdu.model.metrics import CATALOGUE, Level

ROOT = Path(__file__).resolve().parents[2]
MIBS = ROOT / "mibs"
LEVEL_TABLE = {Level.INLET: "inlet", Level.PHASE: "phase", Level.BRANCH: "branch",
               Level.OUTLET: "outlet", Level.SENSOR: "sensor"}  # fmt: skip


def _committed_oids() -> list[tuple[str, str]]:
    lines = (MIBS / "published-oids.txt").read_text().splitlines()
    return [(a, b) for a, b in (line.split() for line in lines if line.strip())]


def test_committed_mib_is_the_generated_one() -> None:
    assert (MIBS / "SMARTPDU-MIB.txt").read_text() == render_mib(), (
        "mibs/SMARTPDU-MIB.txt is stale: regenerate it (docs/snmp.md)"
    )


def test_published_oids_are_only_ever_appended() -> None:
    committed = _committed_oids()
    current = published_oids()
    by_oid = dict(current)
    moved = [(o, n, by_oid.get(o)) for o, n in committed if by_oid.get(o) != n]
    assert not moved, f"published OIDs renumbered, renamed or removed: {moved}"
    new = [x for x in current if x not in set(committed)]
    assert not new, f"append these to mibs/published-oids.txt (never insert): {new}"
    names = [n for _, n in current]
    assert len(names) == len(set(names)), "an object name is defined twice"
    oids = [o for o, _ in current]
    assert len(oids) == len(set(oids)), "an OID is assigned twice"


def test_every_catalogue_metric_is_a_column_of_its_levels_table() -> None:
    numbers = [m.number for m in CATALOGUE]
    unnumbered = [(m.source.__name__, m.key) for m in CATALOGUE if m.number < 10]
    assert not unnumbered, (
        f"catalogue rows without a number: {unnumbered}; write them as _row({max(numbers) + 1}, "
        "...) (the next free number: SNMP column, Modbus slot, OPC UA node), then regenerate "
        "the MIB and append to mibs/published-oids.txt (docs/snmp.md)"
    )
    assert len(numbers) == len(set(numbers)), "two catalogue rows share a number"
    tables = {t.name: t for t in TABLES}
    for m in CATALOGUE:
        for level in m.levels:
            t = tables[LEVEL_TABLE[level]]
            col = next(c for c in t.columns if c.metric is m)
            assert col.sub == m.number
            assert col.name == metric_column_name(t.name, m)
    for t in TABLES:
        subs = [c.sub for c in t.columns]
        assert len(subs) == len(set(subs)), t.name


def test_enterprise_number_only_changes_the_module_identity() -> None:
    other = render_mib(64000).splitlines()
    base = render_mib().splitlines()
    diff = [(a, b) for a, b in zip(base, other, strict=True) if a != b]
    assert diff == [
        (f"    ::= {{ enterprises {PLACEHOLDER_PEN} }}", "    ::= { enterprises 64000 }")
    ]


def test_pysmi_compiles_the_mib(tmp_path: Path) -> None:
    from pysmi.codegen import PySnmpCodeGen
    from pysmi.compiler import MibCompiler
    from pysmi.parser import SmiV2Parser
    from pysmi.reader import FileReader
    from pysmi.searcher import StubSearcher
    from pysmi.writer import PyFileWriter

    compiler = MibCompiler(SmiV2Parser(), PySnmpCodeGen(), PyFileWriter(str(tmp_path)))
    compiler.add_sources(FileReader(str(MIBS)), FileReader(str(MIBS / "ietf")))
    compiler.add_searchers(StubSearcher(*PySnmpCodeGen.baseMibs))
    result = compiler.compile("SMARTPDU-MIB", rebuild=True, genTexts=True)
    assert result["SMARTPDU-MIB"] == "compiled", result
    assert (tmp_path / "SMARTPDU-MIB.py").stat().st_size > 10_000


def _snmptranslate(*args: str) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("snmptranslate")
    if tool is None:
        pytest.fail("snmptranslate missing: run `make services` (Debian package snmp)")
    env = {**os.environ, "MIBS": "", "MIBDIRS": ""}
    return subprocess.run(
        [tool, "-M", f"{MIBS / 'ietf'}:{MIBS}", "-m", "SMARTPDU-MIB", "-PW", *args],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip


def test_net_snmp_parses_the_mib_without_a_warning() -> None:
    tree = _snmptranslate("-Tp")
    assert tree.returncode == 0, tree.stderr
    # -PW also reports the RFC base modules' own long strings and macro bodies, and says "No
    # known translation for type (XEntry)" for every conceptual row's SEQUENCE type (it does
    # so for RFC 3414's usmUserEntry too): everything else counts
    entry = re.compile(r"No known translation for type \(\w+Entry\)")
    ours = [
        line
        for line in tree.stderr.splitlines()
        if not ("/ietf/" in line or "MACRO (lines" in line or entry.search(line))
    ]
    assert ours == [], tree.stderr
    assert "outletPowerW" in tree.stdout and "feedLost" in tree.stdout


def test_net_snmp_resolves_published_oids() -> None:
    for rel, name in [
        ("1.6.1.12", "outletPowerW"),
        ("0.1", "feedLost"),
        ("1.4.1.11", "phaseCurrentA"),
    ]:
        out = _snmptranslate("-On", f"SMARTPDU-MIB::{name}")
        assert out.stdout.strip() == f".1.3.6.1.4.1.{PLACEHOLDER_PEN}.{rel}", out.stderr
    assert (rel := dict((n, o) for o, n in published_oids())["outletPowerW"]) == "1.6.1.12", rel
    units = _snmptranslate("-Td", "SMARTPDU-MIB::outletPowerW").stdout
    assert 'UNITS\t\t"W"' in units or 'UNITS "W"' in " ".join(units.split()), units
    hint = _snmptranslate("-Td", "SMARTPDU-MIB::outletCurrentA").stdout
    assert 'DISPLAY-HINT\t"d-3"' in hint or 'DISPLAY-HINT "d-3"' in " ".join(hint.split()), hint
