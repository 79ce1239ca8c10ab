"""Typed repository of the outbox's delivery cursors (migration 7's ``outbox_cursors``).

One row per (destination, PDU): the last delivered sequence id and the end of the batch in
flight (``pending_last``, NULL when none). It implements
:class:`smartpdu.events.outbox_store.CursorRepository`; each call is one committed transaction
on the owning store (same lock, same error translation).
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any, Final

from smartpdu.events.outbox_store import DeliveryCursor

if TYPE_CHECKING:
    from smartpdu.storage.sql_store import Row, SqlStore

__all__ = ["OUTBOX_TABLES", "SqlOutboxCursors", "move_outbox_cursor_rows"]

log = logging.getLogger(__name__)

OUTBOX_TABLES: Final = (
    "CREATE TABLE outbox_cursors ("
    " dest_id TEXT NOT NULL, pdu_id TEXT NOT NULL, delivered BIGINT NOT NULL,"
    " pending_last BIGINT, PRIMARY KEY (dest_id, pdu_id))",
)
"""Portable DDL (BIGINT is an INTEGER on SQLite)."""

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


def _cursor(r: Row) -> DeliveryCursor:
    return DeliveryCursor(int(r[1]), None if r[2] is None else int(r[2]))


class SqlOutboxCursors:
    """Delivery cursors per destination and PDU in ``outbox_cursors``."""

    def __init__(self, store: SqlStore) -> None:
        self._store = store

    def cursors(self, dest_id: str) -> dict[str, DeliveryCursor]:
        return {str(r[0]): _cursor(r) for r in self._store._query(_LIST, (dest_id,))}

    def cursor(self, dest_id: str, pdu_id: str) -> DeliveryCursor | None:
        rows = self._store._query(_GET, (dest_id, pdu_id))
        return _cursor(rows[0]) if rows else None

    def set_cursor(self, dest_id: str, pdu_id: str, cursor: DeliveryCursor) -> None:
        row = (dest_id, pdu_id, int(cursor.delivered), cursor.pending_last)
        self._store._write(_UPSERT, row)

    def forget(self, dest_id: str) -> int:
        return self._store._write(_FORGET, (dest_id,))


def move_outbox_cursor_rows(cur: Any, ph: str) -> None:
    """Migration 7's data step: kv ``outbox/<dest>/cursor/<pdu>`` rows into ``outbox_cursors``.

    A row it cannot parse stays in ``kv`` untouched (nothing is lost, the log says which).
    """
    prefix = "outbox/"
    cur.execute(
        f"SELECT key, value FROM kv WHERE substr(key, 1, {ph}) = {ph}", (len(prefix), prefix)
    )
    moved: list[str] = []
    for key, text in ((str(k), str(v)) for k, v in cur.fetchall()):
        parts = key.removeprefix(prefix).split("/", 2)  # <dest>/cursor/<pdu>
        if len(parts) != 3 or parts[1] != "cursor":
            continue  # the delivery log stays in kv
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
        log.info("moved %d outbox cursor rows out of key/value", len(moved))
