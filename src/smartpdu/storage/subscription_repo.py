"""Typed repository of Redfish EventService subscriptions (migration 6's tables).

One row per subscription in ``redfish_subscriptions`` and the id counter in the single row of
``redfish_subscription_counter``: ids are handed out once, persisted before they are returned,
and never reused after a delete, even across restarts. Each call is one committed transaction
on the owning store (same lock, same error translation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from smartpdu.model.subscriptions import SubscriptionRecord

if TYPE_CHECKING:
    from smartpdu.storage.sql_core import Row, SqlCore

__all__ = ["SqlSubscriptions", "SubscriptionRecord", "parse_subscription_id"]

_MAX_ID: Final = 2**63 - 1  # BIGINT on PostgreSQL, INTEGER on SQLite
_COLUMNS: Final = "id, destination, context, owner, created_utc"
_LIST: Final = f"SELECT {_COLUMNS} FROM redfish_subscriptions ORDER BY id"
_GET: Final = f"SELECT {_COLUMNS} FROM redfish_subscriptions WHERE id = ?"
_UPSERT: Final = (
    f"INSERT INTO redfish_subscriptions ({_COLUMNS}) VALUES (?,?,?,?,?) "
    "ON CONFLICT (id) DO UPDATE SET destination = excluded.destination, "
    "context = excluded.context, owner = excluded.owner, created_utc = excluded.created_utc"
)
_DELETE: Final = "DELETE FROM redfish_subscriptions WHERE id = ?"
_COUNT_MAX: Final = "SELECT COUNT(*), MAX(id) FROM redfish_subscriptions"
_NEXT: Final = "SELECT next_id FROM redfish_subscription_counter WHERE singleton = 1"
_SET_NEXT: Final = (
    "INSERT INTO redfish_subscription_counter (singleton, next_id) VALUES (1, ?) "
    "ON CONFLICT (singleton) DO UPDATE SET next_id = excluded.next_id"
)


def parse_subscription_id(sid: str) -> int | None:
    """The integer behind a canonical decimal id (``"7"``), else None (``"07"``, ``"x"``)."""
    if not (sid.isascii() and sid.isdigit()) or (len(sid) > 1 and sid[0] == "0"):
        return None
    n = int(sid)
    return n if 0 < n <= _MAX_ID else None


def _record(r: Row) -> SubscriptionRecord:
    context = r[2]
    return SubscriptionRecord(
        str(r[0]), str(r[1]), None if context is None else str(context), str(r[3]), str(r[4])
    )


class SqlSubscriptions:
    """Subscriptions in ``redfish_subscriptions``, ordered by id."""

    def __init__(self, store: SqlCore) -> None:
        self._store = store

    def list(self) -> list[SubscriptionRecord]:
        return [_record(r) for r in self._store._query(_LIST)]

    def get(self, sid: str) -> SubscriptionRecord | None:
        n = parse_subscription_id(sid)
        rows = [] if n is None else self._store._query(_GET, (n,))
        return _record(rows[0]) if rows else None

    def allocate_id(self, limit: int) -> str | None:
        """Reserve and persist the next id; None when ``limit`` subscriptions already exist."""
        st = self._store
        with st._lock:
            st._check_open()
            with st._tx() as cur:
                cur.execute(st._sql(_COUNT_MAX))
                count, highest = cur.fetchone()
                if int(count) >= limit:
                    return None
                cur.execute(st._sql(_NEXT))
                row = cur.fetchone()
                # A counter behind the highest id (hand-edited, restored) must not reuse ids.
                nxt = max(int(row[0]) if row else 1, int(highest or 0) + 1)
                cur.execute(st._sql(_SET_NEXT), (nxt + 1,))
                return str(nxt)

    def save(self, sub: SubscriptionRecord) -> None:
        n = parse_subscription_id(sub.id)
        if n is None:
            raise ValueError(f"subscription id must be a positive decimal integer, got {sub.id!r}")
        self._store._write(_UPSERT, (n, sub.destination, sub.context, sub.owner, sub.created_utc))

    def delete(self, sid: str) -> bool:
        n = parse_subscription_id(sid)
        return n is not None and self._store._write(_DELETE, (n,)) > 0
