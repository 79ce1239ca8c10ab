"""Typed repository of webhook subscriptions (migration 10's ``webhooks`` table).

Secrets and filters are JSON text columns (a list each): portable across SQLite and
PostgreSQL, and read back as a whole with their webhook. Implements
:class:`smartpdu.events.webhook_store.WebhookTables`; each call is one committed transaction
on the owning store.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Final

from smartpdu.events.webhook_store import SigningSecret, WebhookRecord

if TYPE_CHECKING:
    from smartpdu.storage.sql_core import Row, SqlCore

__all__ = ["WEBHOOK_TABLES", "SqlWebhooks"]

WEBHOOK_TABLES: Final = (
    "CREATE TABLE webhooks ("
    " id TEXT PRIMARY KEY, url TEXT NOT NULL, secrets TEXT NOT NULL, filter TEXT NOT NULL,"
    " template TEXT NOT NULL, description TEXT NOT NULL, enabled BOOLEAN NOT NULL,"
    " disabled_reason TEXT NOT NULL, owner TEXT NOT NULL, created_utc TEXT NOT NULL)",
)
"""Migration 9: the webhooks table (secrets as JSON, filters, template, enabled state)."""

_COLUMNS: Final = (
    "id, url, secrets, filter, template, description, enabled, disabled_reason, owner, created_utc"
)
_LIST: Final = f"SELECT {_COLUMNS} FROM webhooks ORDER BY created_utc, id"
_GET: Final = f"SELECT {_COLUMNS} FROM webhooks WHERE id = ?"
_UPSERT: Final = (
    f"INSERT INTO webhooks ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?) "
    "ON CONFLICT (id) DO UPDATE SET url = excluded.url, secrets = excluded.secrets, "
    "filter = excluded.filter, template = excluded.template, "
    "description = excluded.description, enabled = excluded.enabled, "
    "disabled_reason = excluded.disabled_reason, owner = excluded.owner, "
    "created_utc = excluded.created_utc"
)
_DELETE: Final = "DELETE FROM webhooks WHERE id = ?"


def _record(r: Row) -> WebhookRecord:
    secrets = tuple(SigningSecret(s["secret"], s.get("expires_utc")) for s in json.loads(r[2]))
    f = json.loads(r[3])
    return WebhookRecord(
        id=str(r[0]),
        url=str(r[1]),
        secrets=secrets,
        event_codes=tuple(f.get("event_codes", ())),
        min_severity=str(f.get("min_severity", "info")),
        sources=tuple(f.get("sources", ())),
        pdu_ids=tuple(f.get("pdu_ids", ())),
        template=str(r[4]),
        description=str(r[5]),
        enabled=bool(r[6]),
        disabled_reason=str(r[7]),
        owner=str(r[8]),
        created_utc=str(r[9]),
    )


def _row(w: WebhookRecord) -> tuple[object, ...]:
    secrets = json.dumps([{"secret": s.secret, "expires_utc": s.expires_utc} for s in w.secrets])
    filt = json.dumps(
        {
            "event_codes": list(w.event_codes),
            "min_severity": w.min_severity,
            "sources": list(w.sources),
            "pdu_ids": list(w.pdu_ids),
        }
    )
    return (w.id, w.url, secrets, filt, w.template, w.description, bool(w.enabled),
            w.disabled_reason, w.owner, w.created_utc)  # fmt: skip


class SqlWebhooks:
    """Webhooks in ``webhooks``, oldest first."""

    def __init__(self, store: SqlCore) -> None:
        self._store = store

    def list(self) -> list[WebhookRecord]:
        return [_record(r) for r in self._store._query(_LIST)]

    def get(self, webhook_id: str) -> WebhookRecord | None:
        rows = self._store._query(_GET, (webhook_id,))
        return _record(rows[0]) if rows else None

    def save(self, record: WebhookRecord) -> None:
        self._store._write(_UPSERT, _row(record))

    def delete(self, webhook_id: str) -> bool:
        return self._store._write(_DELETE, (webhook_id,)) > 0
