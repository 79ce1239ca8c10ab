"""PostgreSQL: a dropped connection surfaces as StoreError once, then the store reconnects."""

from __future__ import annotations

import os

import psycopg
import pytest

from smartpdu.storage import SqlStore, StoreError
from smartpdu.storage.postgres_store import PostgresStore

PG_URL = os.environ.get("SMARTPDU_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_reconnects_after_the_server_drops_the_session(store: SqlStore) -> None:
    assert isinstance(store, PostgresStore)
    store.kv_set("k", "v")
    pid = store._conn.info.backend_pid
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    with pytest.raises(StoreError, match="PostgreSQL"):
        store.kv_get("k")
    assert store.kv_get("k") == "v"  # new connection, same schema
    store.kv_set("k2", "v2")
    assert store.kv_items() == {"k": "v", "k2": "v2"}
