"""Typed repository of the outbox (migration 7's ``outbox_cursors`` and ``outbox_log``).

``outbox_cursors`` has one row per (destination, PDU): the last delivered sequence id and the
end of the batch in flight (``pending_last``, NULL when none). ``outbox_log`` keeps the newest
delivery records per destination by number ``n``. It implements
:class:`smartpdu.events.outbox_store.OutboxTables`; each call is one committed transaction on
the owning store (same lock, same error translation).
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any, Final

from smartpdu.events.outbox_store import DeliveryCursor, DeliveryRecord

if TYPE_CHECKING:
    from smartpdu.storage.sql_core import Row, SqlCore

__all__ = ["OUTBOX_TABLES", "SqlOutbox", "move_outbox_rows"]

log = logging.getLogger(__name__)

OUTBOX_TABLES: Final = (
    "CREATE TABLE outbox_cursors ("
    " dest_id TEXT NOT NULL, pdu_id TEXT NOT NULL, delivered BIGINT NOT NULL,"
    " pending_last BIGINT, PRIMARY KEY (dest_id, pdu_id))",
    "CREATE TABLE outbox_log ("
    " dest_id TEXT NOT NULL, n BIGINT NOT NULL, delivery_id TEXT NOT NULL,"
    " pdu_id TEXT NOT NULL, first_seq BIGINT NOT NULL, last_seq BIGINT NOT NULL,"
    " events INTEGER NOT NULL, attempt INTEGER NOT NULL, ok BOOLEAN NOT NULL,"
    " detail TEXT NOT NULL, latency_s DOUBLE PRECISION NOT NULL, at_utc TEXT NOT NULL,"
    " PRIMARY KEY (dest_id, n))",
)
"""Portable DDL (BIGINT is an INTEGER on SQLite, BOOLEAN and DOUBLE PRECISION numeric)."""

_LIST: Final = "SELECT pdu_id, delivered, pending_last FROM outbox_cursors WHERE dest_id = ?"
_GET: Final = (
    "SELECT pdu_id, delivered, pending_last FROM outbox_cursors WHERE dest_id = ? AND pdu_id = ?"
)
_UPSERT: Final = (
    "INSERT INTO outbox_cursors (dest_id, pdu_id, delivered, pending_last) VALUES (?,?,?,?) "
    "ON CONFLICT (dest_id, pdu_id) DO UPDATE SET delivered = excluded.delivered, "
    "pending_last = excluded.pending_last"
)
_FORGET: Final = "DELETE FROM outbox_cursors WHERE dest_id = ?"
_LOG_COLUMNS: Final = (
    "n, delivery_id, pdu_id, first_seq, last_seq, events, attempt, ok, detail, latency_s, at_utc"
)
_INSERT_LOG: Final = (
    f"INSERT INTO outbox_log (dest_id, {_LOG_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "
    "ON CONFLICT (dest_id, n) DO UPDATE SET delivery_id = excluded.delivery_id, "
    "pdu_id = excluded.pdu_id, first_seq = excluded.first_seq, last_seq = excluded.last_seq, "
    "events = excluded.events, attempt = excluded.attempt, ok = excluded.ok, "
    "detail = excluded.detail, latency_s = excluded.latency_s, at_utc = excluded.at_utc"
)
_TRIM_LOG: Final = "DELETE FROM outbox_log WHERE dest_id = ? AND n <= ?"
_LOG: Final = f"SELECT {_LOG_COLUMNS} FROM outbox_log WHERE dest_id = ? ORDER BY n"
_FORGET_LOG: Final = "DELETE FROM outbox_log WHERE dest_id = ?"


def _cursor(r: Row) -> DeliveryCursor:
    return DeliveryCursor(int(r[1]), None if r[2] is None else int(r[2]))


def _record(r: Row) -> DeliveryRecord:
    return DeliveryRecord(
        int(r[0]), str(r[1]), str(r[2]), int(r[3]), int(r[4]), int(r[5]), int(r[6]),
        bool(r[7]), str(r[8]), float(r[9]), str(r[10]),
    )  # fmt: skip


def _log_row(dest_id: str, r: DeliveryRecord) -> tuple[object, ...]:
    return (
        dest_id, int(r.n), r.delivery_id, r.pdu_id, int(r.first_seq), int(r.last_seq),
        int(r.events), int(r.attempt), bool(r.ok), r.detail, float(r.latency_s), r.at_utc,
    )  # fmt: skip


class SqlOutbox:
    """Delivery cursors in ``outbox_cursors``, the bounded delivery log in ``outbox_log``."""

    def __init__(self, store: SqlCore) -> None:
        self._store = store

    def cursors(self, dest_id: str) -> dict[str, DeliveryCursor]:
        return {str(r[0]): _cursor(r) for r in self._store._query(_LIST, (dest_id,))}

    def cursor(self, dest_id: str, pdu_id: str) -> DeliveryCursor | None:
        rows = self._store._query(_GET, (dest_id, pdu_id))
        return _cursor(rows[0]) if rows else None

    def set_cursor(self, dest_id: str, pdu_id: str, cursor: DeliveryCursor) -> None:
        row = (dest_id, pdu_id, int(cursor.delivered), cursor.pending_last)
        self._store._write(_UPSERT, row)

    def append_log(self, dest_id: str, record: DeliveryRecord, keep: int) -> None:
        st = self._store
        with st._lock:
            st._check_open()
            with st._tx() as cur:
                cur.execute(st._sql(_INSERT_LOG), _log_row(dest_id, record))
                cur.execute(st._sql(_TRIM_LOG), (dest_id, int(record.n) - keep))

    def log(self, dest_id: str) -> list[DeliveryRecord]:
        return [_record(r) for r in self._store._query(_LOG, (dest_id,))]

    def advance(
        self, dest_id: str, pdu_id: str, cursor: DeliveryCursor, record: DeliveryRecord, keep: int
    ) -> None:
        st = self._store
        with st._lock:
            st._check_open()
            with st._tx() as cur:
                cur.execute(st._sql(_INSERT_LOG), _log_row(dest_id, record))
                cur.execute(st._sql(_TRIM_LOG), (dest_id, int(record.n) - keep))
                cur.execute(
                    st._sql(_UPSERT), (dest_id, pdu_id, int(cursor.delivered), cursor.pending_last)
                )

    def forget(self, dest_id: str) -> int:
        st = self._store
        with st._lock:
            st._check_open()
            with st._tx() as cur:
                cur.execute(st._sql(_FORGET), (dest_id,))
                gone = int(cur.rowcount)
                cur.execute(st._sql(_FORGET_LOG), (dest_id,))
                return gone + int(cur.rowcount)


def _moved_log_row(dest_id: str, text: str) -> tuple[object, ...]:
    d = json.loads(text)
    fields = DeliveryRecord.__dataclass_fields__
    if not isinstance(d, dict) or set(d) != set(fields):
        raise ValueError("not a delivery record")
    return _log_row(dest_id, DeliveryRecord(**d))


def move_outbox_rows(cur: Any, ph: str) -> None:
    """Migration 7's data step: kv ``outbox/<dest>/cursor/<pdu>`` and ``outbox/<dest>/log/<slot>``
    rows into ``outbox_cursors`` and ``outbox_log``.

    A row it cannot parse stays in ``kv`` untouched (nothing is lost, the log says which).
    """
    prefix = "outbox/"
    cur.execute(
        f"SELECT key, value FROM kv WHERE substr(key, 1, {ph}) = {ph}", (len(prefix), prefix)
    )
    moved: list[str] = []
    for key, text in ((str(k), str(v)) for k, v in cur.fetchall()):
        parts = key.removeprefix(prefix).split("/", 2)  # <dest>/cursor|log/<pdu|slot>
        if len(parts) == 3 and parts[1] == "log":
            try:
                log_row = _moved_log_row(parts[0], text)
            except (ValueError, TypeError):
                log.warning("kv row %s is not an outbox log record; left in kv", key)
                continue
            cur.execute(
                f"INSERT INTO outbox_log (dest_id, {_LOG_COLUMNS}) "
                f"VALUES ({', '.join([ph] * 12)}) ON CONFLICT (dest_id, n) DO NOTHING",
                log_row,
            )
            moved.append(key)
            continue
        if len(parts) != 3 or parts[1] != "cursor":
            continue
        try:
            d = json.loads(text)
            pending = d.get("pending_last")
            row = (
                parts[0],
                parts[2],
                int(d["delivered"]),
                None if pending is None else int(pending),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("kv row %s is not an outbox cursor; left in kv", key)
            continue
        cur.execute(
            "INSERT INTO outbox_cursors (dest_id, pdu_id, delivered, pending_last) "
            f"VALUES ({ph}, {ph}, {ph}, {ph}) ON CONFLICT (dest_id, pdu_id) DO NOTHING",
            row,
        )
        moved.append(key)
    for key in moved:
        cur.execute(f"DELETE FROM kv WHERE key = {ph}", (key,))
    if moved:
        log.info("moved %d outbox rows out of key/value", len(moved))
