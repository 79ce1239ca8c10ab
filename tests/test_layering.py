"""The package layering of DESIGN.md, checked on the source's import statements (AST, no deps).

``model``/``config`` ← pure domain (metering, protection, control, ...) ← ``runtime`` ←
interfaces (api, redfish, ...) ← ``app``, ``cli``. The twin is physics and imports nothing of the
controller, so a wrong controller model cannot agree with itself. Every import counts: module
level, inside functions (lazy) and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PKG = SRC / "smartpdu"
MAX_LINES = 500

DOMAIN = ("model", "metering", "protection", "control", "safety", "alarms", "analytics", "access")
INTERFACES = ("api", "redfish", "integrations", "app", "cli")
CONTROLLER = ("metering", "protection", "control", "safety", "alarms", "analytics")

RULES: dict[str, tuple[str, ...]] = {
    # pure domain: no runtime, no protocol, no I/O
    **{pkg: ("runtime", "api", "redfish", "storage", "app", "cli") for pkg in DOMAIN},
    # the twin is the plant, not the controller
    "twin": ("metering", "protection", "control"),
    # the runtime is driven by interfaces, never the other way round
    "runtime": INTERFACES,
    # the hardware interface sits below everything that reads it
    "hardware": (*CONTROLLER, "runtime", "storage", "twin", *INTERFACES),
}

# Known violations on today's main, each to be removed by the work named next to it. The lead
# empties this list at merge; an entry that no longer occurs fails the test (keep it honest).
ALLOWED: set[tuple[str, str]] = set()

LINE_ALLOWED: set[str] = set()


def _modules() -> Iterator[Path]:
    yield from sorted(PKG.rglob("*.py"))


def _imported_packages(path: Path) -> set[str]:
    """Top-level ``smartpdu`` subpackages imported by the module at ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    rel = path.relative_to(SRC).with_suffix("").parts  # ("smartpdu", pkg, ..., module)
    here = rel[:-1]  # the package a relative import starts from (also for an __init__.py)
    out: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level + 1]
                mod = ".".join((*base, node.module)) if node.module else ".".join(base)
                names = [mod] if node.module else [f"{mod}.{a.name}" for a in node.names]
            elif node.module:
                names = [node.module]
                if node.module == "smartpdu":
                    names = [f"smartpdu.{a.name}" for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "smartpdu" and len(parts) > 1:
                out.add(parts[1])
    return out


def _violations() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for path in _modules():
        rel = path.relative_to(PKG)
        if len(rel.parts) < 2:
            continue
        forbidden = RULES.get(rel.parts[0], ())
        for pkg in _imported_packages(path) & set(forbidden):
            found.add((rel.as_posix(), pkg))
    return found


def test_the_import_walker_sees_absolute_relative_and_lazy_imports(tmp_path: Path) -> None:
    global SRC
    mod = tmp_path / "smartpdu" / "control" / "sub" / "m.py"
    mod.parent.mkdir(parents=True)
    mod.write_text(
        "import smartpdu.api.app\n"
        "from smartpdu import runtime\n"
        "from ...storage import base\n"
        "from .. import types\n"
        "def f():\n    from smartpdu.cli.main import app\n"
    )
    saved, SRC = SRC, tmp_path
    try:
        assert _imported_packages(mod) == {"api", "runtime", "storage", "control", "cli"}
    finally:
        SRC = saved


def test_layering() -> None:
    found = _violations()
    new = sorted(found - ALLOWED)
    assert not new, "layering violations (module, forbidden package): " + ", ".join(
        f"{m} -> {p}" for m, p in new
    )
    stale = sorted(ALLOWED - found)
    assert not stale, f"allow-list entries that no longer occur (remove them): {stale}"


@pytest.mark.parametrize("path", list(_modules()), ids=lambda p: p.relative_to(PKG).as_posix())
def test_no_module_exceeds_the_line_budget(path: Path) -> None:
    rel = path.relative_to(PKG).as_posix()
    lines = len(path.read_text(encoding="utf-8").splitlines())
    if rel in LINE_ALLOWED:
        return
    assert lines <= MAX_LINES, f"{rel} has {lines} lines (> {MAX_LINES}): split it by concept"


def test_line_allow_list_is_not_stale() -> None:
    over = {
        p.relative_to(PKG).as_posix()
        for p in _modules()
        if len(p.read_text(encoding="utf-8").splitlines()) > MAX_LINES
    }
    stale = sorted(LINE_ALLOWED - over)
    assert not stale, f"line allow-list entries now within budget (remove them): {stale}"
