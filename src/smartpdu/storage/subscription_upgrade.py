"""Migration 6: Redfish EventService subscriptions move from ``kv`` into their own tables.

Earlier releases kept ``redfish/subscription/<id>`` (one JSON object per subscription) and
``redfish/subscription-next-id`` (the id counter) in ``kv``. This step copies each row into
``redfish_subscriptions`` / ``redfish_subscription_counter`` and deletes it from ``kv``; a row
it cannot parse stays in ``kv`` untouched (nothing is lost, the log says which). The delivery
cursors of earlier releases (``redfish/cursor/...``) stay: delivery adopts them into the outbox.
Written once for both backends: only portable SQL with the backend's placeholder.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Final

from smartpdu.storage.subscription_repo import parse_subscription_id

__all__ = ["SUBSCRIPTION_TABLES_PG", "SUBSCRIPTION_TABLES_SQLITE", "move_subscription_rows"]

log = logging.getLogger(__name__)

SUB_PREFIX: Final = "redfish/subscription/"
NEXT_ID_KEY: Final = "redfish/subscription-next-id"

SUBSCRIPTION_TABLES_SQLITE: Final = (
    "CREATE TABLE redfish_subscriptions ("
    " id INTEGER PRIMARY KEY, destination TEXT NOT NULL, context TEXT, owner TEXT NOT NULL,"
    " created_utc TEXT NOT NULL)",
    "CREATE TABLE redfish_subscription_counter ("
    " singleton INTEGER PRIMARY KEY CHECK (singleton = 1), next_id INTEGER NOT NULL)",
)
SUBSCRIPTION_TABLES_PG: Final = (
    "CREATE TABLE redfish_subscriptions ("
    " id BIGINT PRIMARY KEY, destination TEXT NOT NULL, context TEXT, owner TEXT NOT NULL,"
    " created_utc TEXT NOT NULL)",
    "CREATE TABLE redfish_subscription_counter ("
    " singleton INTEGER PRIMARY KEY CHECK (singleton = 1), next_id BIGINT NOT NULL)",
)


def _subscription_row(key: str, text: str) -> tuple[object, ...] | None:
    n = parse_subscription_id(key.removeprefix(SUB_PREFIX))
    try:
        d = json.loads(text)
        context = d.get("context")
        row = (
            n,
            str(d["destination"]),
            None if context is None else str(context),
            str(d["owner"]),
            str(d["created_utc"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return None if n is None or str(d.get("id", "")) != str(n) else row


def move_subscription_rows(cur: Any, ph: str) -> None:
    """Copy the kv subscriptions and id counter into migration 6's tables; delete them from kv."""
    cur.execute(
        f"SELECT key, value FROM kv WHERE substr(key, 1, {ph}) = {ph} OR key = {ph}",
        (len(SUB_PREFIX), SUB_PREFIX, NEXT_ID_KEY),
    )
    moved: list[str] = []
    for key, text in ((str(k), str(v)) for k, v in cur.fetchall()):
        if key == NEXT_ID_KEY:
            if not (text.isascii() and text.isdigit() and len(text) <= 18):
                log.warning("kv row %s is not an id counter; left in kv", key)
                continue
            cur.execute(
                "INSERT INTO redfish_subscription_counter (singleton, next_id) "
                f"VALUES (1, {ph}) ON CONFLICT (singleton) DO NOTHING",
                (int(text),),
            )
        else:
            row = _subscription_row(key, text)
            if row is None:
                log.warning("kv row %s is not a Redfish subscription; left in kv", key)
                continue
            cur.execute(
                "INSERT INTO redfish_subscriptions (id, destination, context, owner, created_utc) "
                f"VALUES ({ph}, {ph}, {ph}, {ph}, {ph}) ON CONFLICT (id) DO NOTHING",
                row,
            )
        moved.append(key)
    for key in moved:
        cur.execute(f"DELETE FROM kv WHERE key = {ph}", (key,))
    if moved:
        log.info("moved %d Redfish subscription rows out of key/value", len(moved))
