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


# -- interfaces talk to the port only ---------------------------------------------------------------
INTERFACE_MODULES = ("api", "redfish", "app/interfaces.py")
PORT_MODULES = ("smartpdu.runtime.port", "smartpdu.runtime.subscription_book")
"""What an interface may import of ``runtime/``: the port (and the types it hands out)."""
REACH_PAST_PORT = {"store", "_store", "backend", "bus"}
"""Attributes through which an interface would reach the store or the runtime behind the port."""


def _interface_files() -> Iterator[Path]:
    for place in INTERFACE_MODULES:
        target = PKG / place
        yield from sorted(target.rglob("*.py")) if target.is_dir() else [target]


def _port_bypasses(path: Path) -> list[str]:
    """``storage``/runtime-internal imports and ``.store``-like attribute reads in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            mods = [node.module]
            if node.module in ("smartpdu", "smartpdu.runtime"):
                mods = [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            mods = [a.name for a in node.names]
        elif isinstance(node, ast.Attribute) and node.attr in REACH_PAST_PORT:
            found.append((node.lineno, f".{node.attr}"))
            continue
        else:
            continue
        for mod in mods:
            storage = mod == "smartpdu.storage" or mod.startswith("smartpdu.storage.")
            internal = mod.startswith("smartpdu.runtime.") and mod not in PORT_MODULES
            if storage or internal:
                found.append((node.lineno, f"imports {mod}"))
    return [f"line {n}: {what}" for n, what in sorted(found)]


def test_the_port_check_sees_store_and_runtime_internals(tmp_path: Path) -> None:
    mod = tmp_path / "m.py"
    mod.write_text(
        "from smartpdu.storage.base import Store\n"
        "import smartpdu.storage\n"
        "from smartpdu.runtime import engine\n"
        "from smartpdu.runtime.port import RackPort\n"
        "def f(services):\n    return services.store.kv_get('x'), services.backend\n"
    )
    assert _port_bypasses(mod) == [
        "line 1: imports smartpdu.storage.base",
        "line 2: imports smartpdu.storage",
        "line 3: imports smartpdu.runtime.engine",
        "line 6: .backend",
        "line 6: .store",
    ]


@pytest.mark.parametrize(
    "path", list(_interface_files()), ids=lambda p: p.relative_to(PKG).as_posix()
)
def test_interfaces_reach_nothing_past_the_port(path: Path) -> None:
    """Issue 10: an interface (REST, Redfish, the registry) touches only ``RackPort`` and
    ``AuthService``: no ``storage`` import, no runtime internals, no ``.store``/``.backend``."""
    assert _port_bypasses(path) == []


# -- no import circles ------------------------------------------------------------------------------
def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph() -> dict[str, set[str]]:
    """Module -> the ``smartpdu`` modules it imports (every import; ``from a import b`` is
    ``a.b`` when that is a module, else ``a``)."""
    files = {_module_name(p): p for p in _modules()}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        here = path.relative_to(SRC).with_suffix("").parts[:-1]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            found: list[str] = []
            if isinstance(node, ast.Import):
                found = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = here[: len(here) - node.level + 1]
                    base = ".".join((*up, node.module) if node.module else up)
                found = [f"{base}.{a.name}" if f"{base}.{a.name}" in files else base
                         for a in node.names]  # fmt: skip
            for mod in found:
                while mod and mod not in files:
                    mod = mod.rpartition(".")[0]
                if mod and mod != name:
                    targets.add(mod)
        graph[name] = targets
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (iterative Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                group = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    group.append(w)
                    if w == v:
                        break
                if len(group) > 1:
                    out.append(sorted(group))
    return out


def test_the_circle_finder_finds_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _circles(graph) == [["a", "b", "c"]]


def test_no_module_imports_itself_round_a_circle() -> None:
    """Issue 10: every import counts (lazy and ``TYPE_CHECKING`` ones too); a circle means two
    modules are one concept or one of them should get a protocol (storage/sql_core.py,
    runtime/device_commands.DeviceCommandPort show how)."""
    assert _circles(_import_graph()) == []
