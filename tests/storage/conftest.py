"""One store suite for every backend: the ``store`` fixture runs each test on SQLite and PostgreSQL.

PostgreSQL tests use the real server (``SMARTPDU_TEST_PG_URL``, default
``postgresql://postgres@127.0.0.1:5432/test``), each test in its own schema dropped afterwards.
An unreachable server FAILS the PostgreSQL tests unless ``SMARTPDU_SKIP_PG=1``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from smartpdu.storage import SqlStore, StoreError, postgres_store, sqlite_store
from smartpdu.storage.postgres_store import PostgresStore
from smartpdu.storage.sqlite_store import SqliteStore

PG_URL = os.environ.get("SMARTPDU_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")

Opener = Callable[[], SqlStore]


def _pg_opener(schema: str) -> Opener:
    def open_pg() -> SqlStore:
        try:
            return PostgresStore(PG_URL, schema=schema, connect_timeout_s=5)
        except StoreError as exc:
            pytest.fail(
                f"PostgreSQL is unreachable ({exc}); start it (make services) or set "
                "SMARTPDU_SKIP_PG=1 to skip the PostgreSQL half of the suite"
            )

    return open_pg


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Opener]]:
    """``(name, open_again)``: opening again reaches the same database (restart tests)."""
    opened: list[SqlStore] = []
    if request.param == "sqlite":
        path = tmp_path / "store.db"

        def open_sqlite() -> SqlStore:
            s = SqliteStore(path)
            opened.append(s)
            return s

        yield "sqlite", open_sqlite
        for s in opened:
            s.close()
        return
    if os.environ.get("SMARTPDU_SKIP_PG") == "1":
        pytest.skip("SMARTPDU_SKIP_PG=1")
    schema = f"t_{uuid.uuid4().hex[:16]}"
    inner = _pg_opener(schema)

    def open_pg() -> SqlStore:
        s = inner()
        opened.append(s)
        return s

    yield "postgres", open_pg
    for s in opened:
        s.close()
    if not opened:
        return  # never connected: nothing to drop
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
def store(backend: tuple[str, Opener]) -> SqlStore:
    return backend[1]()


Upgrade = Callable[..., SqlStore]


@pytest.fixture
def upgraded(backend: tuple[str, Opener], tmp_path: Path) -> Iterator[Upgrade]:
    """``upgraded(version, kv, prepare=None)``: a database made at schema ``version`` (the rows
    ``kv`` an earlier release wrote to key/value, then ``prepare(old_store)``), closed and opened
    again by this release on the same backend; the reopened store is returned."""
    name = backend[0]
    schema = f"t_{uuid.uuid4().hex[:16]}"
    path = tmp_path / "upgrade.db"

    def upgrade(
        version: int,
        kv: Mapping[str, str],
        prepare: Callable[[SqlStore], object] | None = None,
    ) -> SqlStore:
        old: SqlStore
        if name == "sqlite":
            old = SqliteStore(path, migrations=sqlite_store.MIGRATIONS[:version])
        else:
            old = PostgresStore(
                PG_URL, schema=schema, migrations=postgres_store.MIGRATIONS[:version]
            )
        try:
            assert old.schema_version() == version
            for k, v in kv.items():
                old.kv_set(k, v)
            if prepare is not None:
                prepare(old)
        finally:
            old.close()
        new = SqliteStore(path) if name == "sqlite" else PostgresStore(PG_URL, schema=schema)
        stores.append(new)
        return new

    stores: list[SqlStore] = []
    yield upgrade
    for s in stores:
        s.close()
    if name == "postgres":
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
