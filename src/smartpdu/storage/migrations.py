"""Versioned schema migrations: an ordered list per backend, applied once each.

Each backend module declares ``MIGRATIONS`` with the same ``(version, name)`` sequence (a test
checks that), so both hold the same logical schema. Applied versions are recorded in
``schema_version``; re-running is a no-op.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol


class _Cursor(Protocol):
    def execute(self, sql: Any, params: Any = ..., /) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


DataStep = Callable[[_Cursor, str], None]
"""Moves rows inside a migration's transaction: ``step(cursor, placeholder)``."""


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step: statements, then an optional data step, in a single transaction.

    The data step is plain Python written once for both backends (``placeholder`` is ``?`` or
    ``%s``), so a data migration means the same on SQLite and PostgreSQL.
    """

    version: int
    name: str
    statements: tuple[str, ...]
    data: DataStep | None = None


SCHEMA_VERSION_DDL = (
    "CREATE TABLE IF NOT EXISTS schema_version ("
    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
    "applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
)


def check_order(migrations: Sequence[Migration]) -> None:
    """Raise ValueError unless versions are 1, 2, 3, … in order."""
    for i, m in enumerate(migrations, start=1):
        if m.version != i:
            raise ValueError(f"migration #{i} has version {m.version}; versions must be 1..N")


def apply_migrations(
    migrations: Sequence[Migration],
    transaction: Callable[[], AbstractContextManager[_Cursor]],
    placeholder: str = "?",
    lock_statement: str | None = None,
) -> list[int]:
    """Apply every migration newer than the recorded version; return the versions applied.

    ``lock_statement`` (e.g. a PostgreSQL advisory lock) is run first inside each transaction
    so two processes starting together do not apply the same step twice.
    """
    check_order(migrations)
    applied: list[int] = []
    with transaction() as cur:
        if lock_statement:
            cur.execute(lock_statement)
        cur.execute(SCHEMA_VERSION_DDL)
    for m in migrations:
        with transaction() as cur:
            if lock_statement:
                cur.execute(lock_statement)
            cur.execute("SELECT MAX(version) FROM schema_version")
            row = cur.fetchone()
            current = int(row[0]) if row and row[0] is not None else 0
            if m.version <= current:
                continue
            for stmt in m.statements:
                cur.execute(stmt)
            if m.data is not None:
                m.data(cur, placeholder)
            cur.execute(
                f"INSERT INTO schema_version (version, name) VALUES ({placeholder}, {placeholder})",
                (m.version, m.name),
            )
            applied.append(m.version)
    return applied
