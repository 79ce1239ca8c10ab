"""SQLite backend (stdlib ``sqlite3``): the embedded default.

WAL journal, ``synchronous=FULL`` by default: a committed write survives ``kill -9`` of the
process and power loss. Kept for flash too: the runtime commits a handful of times a minute
(docs/runtime.md, Storage), where the fsyncs cost about 4 % of the bytes written; the default
``wal_autocheckpoint`` (≈ 4 MB of WAL) lets the database file take a page that changes every
minute once per checkpoint. One connection guarded by a lock (``check_same_thread=False``), so the
store is usable from the writer thread and from ``asyncio.to_thread`` workers.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final, Literal

from smartpdu.storage.access_repo import ACCESS_TABLES_SQLITE
from smartpdu.storage.kv_upgrade import move_kv_rows
from smartpdu.storage.migrations import Migration, apply_migrations
from smartpdu.storage.outbox_repo import OUTBOX_TABLES, move_outbox_rows
from smartpdu.storage.readings_upgrade import NEW_TABLES_SQLITE, pack_reading_rows
from smartpdu.storage.records import StoreError
from smartpdu.storage.sql_store import Cursor, Row, SqlStore
from smartpdu.storage.state_upgrade import STATE_TABLES, move_state_rows
from smartpdu.storage.subscription_upgrade import (
    SUBSCRIPTION_TABLES_SQLITE,
    move_subscription_rows,
)
from smartpdu.storage.webhook_repo import WEBHOOK_TABLES

MIGRATIONS: Final = (
    Migration(
        1,
        "events, checkpoints, kv",
        (
            "CREATE TABLE events ("
            " pdu_id TEXT NOT NULL, sequence_id INTEGER NOT NULL, timestamp_utc TEXT NOT NULL,"
            " source TEXT NOT NULL, event_code TEXT NOT NULL, severity TEXT NOT NULL,"
            " action_taken TEXT NOT NULL, reason_code TEXT, evidence TEXT NOT NULL,"
            " actor TEXT, command_id TEXT, message TEXT NOT NULL,"
            " prev_hash TEXT NOT NULL, hash TEXT NOT NULL,"
            " PRIMARY KEY (pdu_id, sequence_id)) WITHOUT ROWID",
            "CREATE INDEX events_time ON events (timestamp_utc)",
            "CREATE INDEX events_pdu_time ON events (pdu_id, timestamp_utc)",
            "CREATE TABLE checkpoints ("
            " pdu_id TEXT NOT NULL, sequence_id INTEGER NOT NULL, hash TEXT NOT NULL,"
            " signature TEXT NOT NULL, key_fingerprint TEXT NOT NULL, timestamp_utc TEXT NOT NULL,"
            " PRIMARY KEY (pdu_id, sequence_id)) WITHOUT ROWID",
            "CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
        ),
    ),
    Migration(
        2,
        "readings 1s/1min/1h and roll-up state",
        (
            *(
                f"CREATE TABLE {table} ("
                " pdu_id TEXT NOT NULL, key TEXT NOT NULL, ts INTEGER NOT NULL,"
                " n INTEGER NOT NULL, v_min REAL NOT NULL, v_avg REAL NOT NULL,"
                " v_max REAL NOT NULL,"
                " PRIMARY KEY (pdu_id, key, ts)) WITHOUT ROWID"
                for table in ("readings_1s", "readings_1m", "readings_1h")
            ),
            "CREATE INDEX readings_1s_ts ON readings_1s (ts)",
            "CREATE INDEX readings_1m_ts ON readings_1m (ts)",
            "CREATE INDEX readings_1h_ts ON readings_1h (ts)",
            "CREATE TABLE rollup_state (resolution TEXT PRIMARY KEY, done_until INTEGER NOT NULL)",
        ),
    ),
    Migration(
        3,
        "energy registers, config versions, users, sessions",
        (
            "CREATE TABLE energy_registers ("
            " pdu_id TEXT NOT NULL, channel TEXT NOT NULL, registers TEXT NOT NULL,"
            " meta TEXT NOT NULL, updated_utc TEXT NOT NULL,"
            " PRIMARY KEY (pdu_id, channel)) WITHOUT ROWID",
            "CREATE TABLE config_versions ("
            " version INTEGER PRIMARY KEY AUTOINCREMENT, created_utc TEXT NOT NULL,"
            " author TEXT NOT NULL, comment TEXT NOT NULL, yaml_text TEXT NOT NULL)",
            "CREATE TABLE users ("
            " username TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL,"
            " created_utc TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0)",
            "CREATE TABLE sessions ("
            " token_hash TEXT PRIMARY KEY,"
            " username TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,"
            " created_utc TEXT NOT NULL, expires_utc TEXT NOT NULL)",
            "CREATE INDEX sessions_user ON sessions (username)",
            "CREATE INDEX sessions_expiry ON sessions (expires_utc)",
        ),
    ),
    Migration(
        4,
        "command ledger, outlet holds and intents, calibration sets (moved from kv)",
        (
            "CREATE TABLE command_results ("
            " command_id TEXT PRIMARY KEY, ordinal INTEGER NOT NULL, status TEXT NOT NULL,"
            " result TEXT NOT NULL) WITHOUT ROWID",
            "CREATE INDEX command_results_ordinal ON command_results (ordinal)",
            "CREATE TABLE outlet_holds ("
            " pdu_id TEXT NOT NULL, outlet_id TEXT NOT NULL, reason_code TEXT NOT NULL,"
            " since_s REAL NOT NULL, latched INTEGER NOT NULL, cooldown_until_s REAL NOT NULL,"
            " trips_s TEXT NOT NULL, acknowledged INTEGER NOT NULL, retried INTEGER NOT NULL,"
            " PRIMARY KEY (pdu_id, outlet_id)) WITHOUT ROWID",
            "CREATE TABLE outlet_intents ("
            " pdu_id TEXT NOT NULL, outlet_id TEXT NOT NULL, commanded_on INTEGER NOT NULL,"
            " PRIMARY KEY (pdu_id, outlet_id)) WITHOUT ROWID",
            "CREATE TABLE calibration_sets ("
            " pdu_id TEXT NOT NULL, version INTEGER NOT NULL, timestamp_utc TEXT NOT NULL,"
            " source TEXT NOT NULL, crc32 INTEGER, body TEXT NOT NULL,"
            " PRIMARY KEY (pdu_id, version)) WITHOUT ROWID",
        ),
        move_kv_rows,
    ),
    Migration(
        5,
        "readings as packed blocks per PDU and interval (key index in reading_series)",
        NEW_TABLES_SQLITE,
        pack_reading_rows,
    ),
    Migration(
        6,
        "Redfish EventService subscriptions and their id counter (moved from kv)",
        SUBSCRIPTION_TABLES_SQLITE,
        move_subscription_rows,
    ),
    Migration(
        7,
        "outbox delivery cursors and delivery log (moved from kv)",
        OUTBOX_TABLES,
        move_outbox_rows,
    ),
    Migration(
        8,
        "sessions index, alarm state, maximum demand, residual trends (moved from kv)",
        STATE_TABLES,
        move_state_rows,
    ),
    Migration(9, "webhook subscriptions (secrets, filters, template, enabled)", WEBHOOK_TABLES),
    Migration(
        10,
        "rack access: lever credentials (PIN hash, card digest, schedule) and the access log",
        ACCESS_TABLES_SQLITE,
    ),
)

Synchronous = Literal["NORMAL", "FULL", "EXTRA"]


class SqliteStore(SqlStore):
    """SQLite :class:`~smartpdu.storage.base.Store`; ``path`` may be ``":memory:"``."""

    _integrity_errors = (sqlite3.IntegrityError,)

    def __init__(
        self,
        path: str | Path,
        *,
        synchronous: Synchronous = "FULL",
        migrations: Sequence[Migration] = MIGRATIONS,
    ) -> None:
        self.path = str(path)
        super().__init__(f"sqlite:///{self.path}")
        if synchronous not in ("NORMAL", "FULL", "EXTRA"):
            raise ValueError(f"synchronous must be NORMAL, FULL or EXTRA, got {synchronous!r}")
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=30.0
        )
        try:
            if self.path != ":memory:":
                mode = self._conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise RuntimeError(f"could not enable WAL on {self.path} (got {mode})")
            self._conn.execute(f"PRAGMA synchronous={synchronous}")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.execute("PRAGMA busy_timeout=30000")
            with self._lock:
                self.applied_migrations = apply_migrations(migrations, self._tx)
        except BaseException:
            self._conn.close()
            raise

    @contextmanager
    def _tx(self) -> Iterator[Cursor]:
        cur = self._conn.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                if self._conn.in_transaction:
                    cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")
        except sqlite3.OperationalError as exc:  # locked, disk full, I/O error
            raise StoreError(f"SQLite write failed on {self.path}: {exc}") from exc
        finally:
            cur.close()

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            return self._conn.execute(sql, tuple(params)).fetchall()
        except sqlite3.OperationalError as exc:
            raise StoreError(f"SQLite read failed on {self.path}: {exc}") from exc

    def _close_connection(self) -> None:
        self._conn.close()
