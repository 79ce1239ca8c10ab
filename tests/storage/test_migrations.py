"""Versioned migrations: same logical steps on both backends, applied once, upgrade in place."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from store_upgrade import LATEST, since

from smartpdu.storage import Migration, SqlStore, apply_migrations, postgres_store, sqlite_store
from smartpdu.storage.sqlite_store import SqliteStore

Opener = Callable[[], SqlStore]


def test_backends_declare_the_same_migration_steps() -> None:
    sq = [(m.version, m.name) for m in sqlite_store.MIGRATIONS]
    pg = [(m.version, m.name) for m in postgres_store.MIGRATIONS]
    assert sq == pg and [v for v, _ in sq] == list(range(1, len(sq) + 1))


def test_fresh_store_is_at_latest_version_and_reopen_is_noop(backend: tuple[str, Opener]) -> None:
    first = backend[1]()
    assert first.schema_version() == len(sqlite_store.MIGRATIONS)
    assert first.applied_migrations == since(1)  # type: ignore[attr-defined]
    first.kv_set("x", "1")
    first.close()
    again = backend[1]()
    assert again.applied_migrations == []  # type: ignore[attr-defined]
    assert again.kv_get("x") == "1"


def test_old_database_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = SqliteStore(path, migrations=sqlite_store.MIGRATIONS[:1])
    assert old.schema_version() == 1
    old.kv_set("kept", "yes")
    old.close()
    new = SqliteStore(path)
    assert new.applied_migrations == since(2)
    assert new.schema_version() == LATEST and new.kv_get("kept") == "yes"
    new.close()


def test_failed_migration_rolls_back_and_is_retried(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)

    def tx():  # type: ignore[no-untyped-def]
        from contextlib import contextmanager

        @contextmanager
        def cm():  # type: ignore[no-untyped-def]
            cur = conn.cursor()
            cur.execute("BEGIN")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

        return cm()

    good = Migration(1, "a", ("CREATE TABLE a (x INTEGER)",))
    bad = Migration(2, "b", ("CREATE TABLE b (x INTEGER)", "THIS IS NOT SQL"))
    with pytest.raises(sqlite3.OperationalError):
        apply_migrations([good, bad], tx)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "a" in tables and "b" not in tables  # step 2 rolled back entirely
    fixed = Migration(2, "b", ("CREATE TABLE b (x INTEGER)",))
    assert apply_migrations([good, fixed], tx) == [2]


def test_migration_versions_must_be_contiguous() -> None:
    with pytest.raises(ValueError, match=r"versions must be 1\.\.N"):
        apply_migrations([Migration(2, "x", ())], lambda: None)  # type: ignore[arg-type,return-value]


def test_store_satisfies_protocol(store: SqlStore) -> None:
    from smartpdu.storage import Store

    assert isinstance(store, Store)
