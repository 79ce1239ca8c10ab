"""Typed repository of rack access (migration 10): lever credentials and the access log.

``lever_credentials`` holds one row per user (argon2id PIN hash, keyed card digest, schedule
windows as JSON, time zone); ``access_log`` one row per attempt or visit, updated once when the
door closes. Portable SQL written once for both backends (the store translates ``?``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final

from smartpdu.events.model import format_timestamp
from smartpdu.model.access import (
    AccessEntry,
    AccessMethod,
    AccessQuery,
    AccessResult,
    LeverCredential,
)
from smartpdu.storage.records import ConflictError

if TYPE_CHECKING:
    from smartpdu.storage.sql_core import Row, SqlCore

__all__ = ["ACCESS_TABLES_PG", "ACCESS_TABLES_SQLITE", "SqlAccess"]

_CRED_COLS: Final = "username, pin_hash, card_digest, schedule, tz, updated_utc"
_LOG_COLS: Final = (
    "id, timestamp_utc, lever_id, actor, method, result, reason, opened_utc, closed_utc, "
    "open_s, command_id"
)


def _tables(serial: str) -> tuple[str, ...]:
    return (
        "CREATE TABLE lever_credentials ("
        " username TEXT PRIMARY KEY REFERENCES users (username) ON DELETE CASCADE,"
        " pin_hash TEXT, card_digest TEXT UNIQUE, schedule TEXT NOT NULL, tz TEXT NOT NULL,"
        " updated_utc TEXT NOT NULL)",
        f"CREATE TABLE access_log (id {serial}, timestamp_utc TEXT NOT NULL,"
        " lever_id TEXT NOT NULL, actor TEXT NOT NULL, method TEXT NOT NULL,"
        " result TEXT NOT NULL, reason TEXT NOT NULL, opened_utc TEXT, closed_utc TEXT,"
        " open_s DOUBLE PRECISION, command_id TEXT)",
        "CREATE INDEX access_log_ts ON access_log (timestamp_utc)",
        "CREATE INDEX access_log_lever ON access_log (lever_id, timestamp_utc)",
    )


ACCESS_TABLES_SQLITE: Final = _tables("INTEGER PRIMARY KEY AUTOINCREMENT")
ACCESS_TABLES_PG: Final = _tables("BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY")


def _cred(r: Row) -> LeverCredential:
    return LeverCredential(
        str(r[0]),
        None if r[1] is None else str(r[1]),
        None if r[2] is None else str(r[2]),
        tuple(json.loads(r[3])),
        str(r[4]),
        str(r[5]),
    )


def _entry(r: Row) -> AccessEntry:
    return AccessEntry(
        timestamp_utc=str(r[1]),
        lever_id=str(r[2]),
        actor=str(r[3]),
        method=AccessMethod(r[4]),
        result=AccessResult(r[5]),
        reason=str(r[6]),
        opened_utc=None if r[7] is None else str(r[7]),
        closed_utc=None if r[8] is None else str(r[8]),
        open_s=None if r[9] is None else float(r[9]),
        command_id=None if r[10] is None else str(r[10]),
        id=int(r[0]),
    )


class SqlAccess:
    """Lever credentials and the access log of one store."""

    def __init__(self, store: SqlCore) -> None:
        self._store = store

    def get_credential(self, username: str) -> LeverCredential | None:
        rows = self._store._query(
            f"SELECT {_CRED_COLS} FROM lever_credentials WHERE username = ?", (username,)
        )
        return _cred(rows[0]) if rows else None

    def credential_by_card(self, card_digest: str) -> LeverCredential | None:
        rows = self._store._query(
            f"SELECT {_CRED_COLS} FROM lever_credentials WHERE card_digest = ?", (card_digest,)
        )
        return _cred(rows[0]) if rows else None

    def save_credential(self, cred: LeverCredential) -> None:
        """Insert or replace; ``ConflictError`` if the card belongs to another user or the
        user does not exist."""
        try:
            self._save(cred)
        except self._store._integrity_errors as exc:
            raise ConflictError(
                f"credentials of {cred.username!r} not saved: the card is already assigned "
                "to another user, or the user does not exist"
            ) from exc

    def _save(self, cred: LeverCredential) -> None:
        self._store._write(
            f"INSERT INTO lever_credentials ({_CRED_COLS}) VALUES (?,?,?,?,?,?) "
            "ON CONFLICT (username) DO UPDATE SET pin_hash = excluded.pin_hash, "
            "card_digest = excluded.card_digest, schedule = excluded.schedule, "
            "tz = excluded.tz, updated_utc = excluded.updated_utc",
            (cred.username, cred.pin_hash, cred.card_digest, json.dumps(list(cred.schedule)),
             cred.tz, cred.updated_utc),
        )  # fmt: skip

    def delete_credential(self, username: str) -> bool:
        return (
            self._store._write("DELETE FROM lever_credentials WHERE username = ?", (username,)) > 0
        )

    def append_access(self, entry: AccessEntry) -> int:
        st = self._store
        sql = (
            "INSERT INTO access_log (timestamp_utc, lever_id, actor, method, result, reason,"
            " opened_utc, closed_utc, open_s, command_id) VALUES (?,?,?,?,?,?,?,?,?,?)"
            " RETURNING id"
        )
        params = (entry.timestamp_utc, entry.lever_id, entry.actor, str(entry.method),
                  str(entry.result), entry.reason, entry.opened_utc, entry.closed_utc,
                  entry.open_s, entry.command_id)  # fmt: skip
        with st._lock:
            st._check_open()
            with st._tx() as cur:
                cur.execute(st._sql(sql), params)
                return int(cur.fetchone()[0])

    def update_access(
        self, entry_id: int, opened_utc: str | None, closed_utc: str | None, open_s: float | None
    ) -> None:
        self._store._write(
            "UPDATE access_log SET opened_utc = COALESCE(?, opened_utc),"
            " closed_utc = COALESCE(?, closed_utc), open_s = COALESCE(?, open_s) WHERE id = ?",
            (opened_utc, closed_utc, open_s, entry_id),
        )

    def access_log(self, query: AccessQuery) -> list[AccessEntry]:
        where: list[str] = []
        params: list[Any] = []
        for col, value in (("lever_id", query.lever_id), ("actor", query.actor),
                           ("method", query.method), ("result", query.result)):  # fmt: skip
            if value is not None:
                where.append(f"{col} = ?")
                params.append(value)
        if query.since is not None:
            where.append("timestamp_utc >= ?")
            params.append(format_timestamp(query.since))
        if query.until is not None:
            where.append("timestamp_utc < ?")
            params.append(format_timestamp(query.until))
        sql = f"SELECT {_LOG_COLS} FROM access_log"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY timestamp_utc, id LIMIT ?"
        params.append(max(1, min(int(query.limit), 100_000)))
        return [_entry(r) for r in self._store._query(sql, tuple(params))]
