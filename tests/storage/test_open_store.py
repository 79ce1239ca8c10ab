"""open_store URL handling."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import psycopg
import pytest
from store_upgrade import LATEST

from smartpdu.storage import open_store
from smartpdu.storage.postgres_store import PostgresStore
from smartpdu.storage.sqlite_store import SqliteStore

PG_URL = os.environ.get("SMARTPDU_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def test_sqlite_memory() -> None:
    s = open_store("sqlite:///:memory:")
    assert isinstance(s, SqliteStore) and s.schema_version() == LATEST
    s.close()


def test_sqlite_relative_and_absolute_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    rel = open_store("sqlite:///sub/rel.db")
    assert (tmp_path / "sub" / "rel.db").exists()
    rel.close()
    absolute = open_store(f"sqlite:///{tmp_path / 'abs.db'}")  # sqlite:////tmp/.../abs.db
    assert (tmp_path / "abs.db").exists()
    absolute.kv_set("a", "b")
    absolute.close()


@pytest.mark.parametrize("url", ["sqlite://x.db", "sqlite:///", "mysql://h/db", "pdu.db"])
def test_bad_urls_are_rejected_with_help(url: str) -> None:
    with pytest.raises(ValueError, match="sqlite:///"):
        open_store(url)


@pytest.mark.postgres
def test_postgres_url_with_schema() -> None:
    if os.environ.get("SMARTPDU_SKIP_PG") == "1":
        pytest.skip("SMARTPDU_SKIP_PG=1")
    schema = f"t_{uuid.uuid4().hex[:16]}"
    try:
        s = open_store(f"{PG_URL}?schema={schema}&connect_timeout=5")
        assert isinstance(s, PostgresStore) and s.schema_version() == LATEST
        s.close()
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_unreachable_postgres_raises_store_error() -> None:
    from smartpdu.storage import StoreError

    with pytest.raises(StoreError, match="cannot connect"):
        PostgresStore("postgresql://postgres@127.0.0.1:1/test", connect_timeout_s=2)
