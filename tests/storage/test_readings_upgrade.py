"""Migration 5 on both backends: rows of the per-row reading tables become packed blocks that
answer ``history`` with the same buckets; the roll-up watermarks carry over."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from store_upgrade import since

from smartpdu.storage import SqlStore, postgres_store, sqlite_store
from smartpdu.storage.postgres_store import PostgresStore
from smartpdu.storage.records import HistoryPoint, from_epoch_s
from smartpdu.storage.sqlite_store import SqliteStore

PG_URL = os.environ.get("SMARTPDU_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")

T0 = int(datetime(2026, 3, 1, 12, tzinfo=UTC).timestamp())

# (table, pdu, key, ts, n, min, avg, max): two days apart, so the copy walks several windows
ROWS = [
    ("readings_1s", "pdu-a", "outlet/7/power_w", T0 + 1, 1, 10.25, 10.5, 10.75),
    ("readings_1s", "pdu-a", "outlet/7/power_w", T0 + 2, 1, 11.0, 11.0, 11.0),
    ("readings_1s", "pdu-b", "inlet/energy_wh", T0 + 1, 1, 1234.56789, 1234.5679, 1234.56791),
    ("readings_1s", "pdu-a", "outlet/7/power_w", T0 + 2 * 86400 + 61, 1, -3.0, -2.5, -2.0),
    ("readings_1m", "pdu-a", "outlet/7/power_w", T0, 60, 1.0, 29.5, 60.0),
    ("readings_1m", "pdu-a", "outlet/7/power_w", T0 + 60, 20, 4.0, 4.0, 4.0),
    ("readings_1h", "pdu-a", "outlet/7/power_w", T0, 80, 1.0, 1.75, 60.0),
]


def _check(store: SqlStore) -> None:
    at = from_epoch_s
    got = store.history("pdu-a", "outlet/7/power_w", at(T0), at(T0 + 3), step_s=1)
    assert got == [
        HistoryPoint(at(T0 + 1), 10.25, 10.5, 10.75, 1),
        HistoryPoint(at(T0 + 2), 11.0, 11.0, 11.0, 1),
    ]
    (late,) = store.history(
        "pdu-a", "outlet/7/power_w", at(T0 + 86400), at(T0 + 3 * 86400), step_s=1
    )
    assert (late.ts, late.avg) == (at(T0 + 2 * 86400 + 61), -2.5)
    (energy,) = store.history("pdu-b", "inlet/energy_wh", at(T0), at(T0 + 60), step_s=1)
    assert energy.avg == pytest.approx(1234.5679, abs=5e-6)  # stored to 10 µWh
    minutes = store.history("pdu-a", "outlet/7/power_w", at(T0), at(T0 + 120), step_s=60)
    assert [(p.avg, p.count) for p in minutes] == [(29.5, 60), (4.0, 20)]
    (hour,) = store.history("pdu-a", "outlet/7/power_w", at(T0), at(T0 + 3600), step_s=3600)
    assert hour == HistoryPoint(at(T0), 1.0, 1.75, 60.0, 80)
    assert store.reading_keys("pdu-a") == ["outlet/7/power_w"]


def _upgrade(make_old: Callable[[], SqlStore], make_new: Callable[[], SqlStore]) -> None:
    old = make_old()
    assert old.schema_version() == 4
    for table, pdu, key, ts, n, lo, avg, hi in ROWS:
        old._write(
            f"INSERT INTO {table} (pdu_id, key, ts, n, v_min, v_avg, v_max) VALUES (?,?,?,?,?,?,?)",
            (pdu, key, ts, n, lo, avg, hi),
        )
    for res, done in (("1min", T0 + 120), ("1h", T0 + 3600)):
        old._write("INSERT INTO rollup_state (resolution, done_until) VALUES (?, ?)", (res, done))
    old.close()
    new = make_new()
    try:
        assert new.applied_migrations == since(5)  # type: ignore[attr-defined]
        _check(new)
    finally:
        new.close()


def test_sqlite_reading_rows_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "v4.db"
    _upgrade(
        lambda: SqliteStore(path, migrations=sqlite_store.MIGRATIONS[:4]),
        lambda: SqliteStore(path),
    )


@pytest.mark.postgres
def test_postgres_reading_rows_upgrade() -> None:
    if os.environ.get("SMARTPDU_SKIP_PG") == "1":
        pytest.skip("SMARTPDU_SKIP_PG=1")
    schema = f"t_{uuid.uuid4().hex[:16]}"
    try:
        _upgrade(
            lambda: PostgresStore(PG_URL, schema=schema, migrations=postgres_store.MIGRATIONS[:4]),
            lambda: PostgresStore(PG_URL, schema=schema),
        )
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
