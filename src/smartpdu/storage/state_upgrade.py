"""Migration 8: the last runtime and interface state moves out of ``kv`` into typed tables.

Earlier releases kept, as JSON strings in ``kv``:

- ``redfish/cursor/<sid>/<pdu>``: Redfish delivery cursors from before the outbox; they become
  ``outbox_cursors`` rows of destination ``redfish-<sid>`` (an outbox cursor already there
  wins: it is newer);
- ``access/session/<id>``: the session index (public id, interface) becomes two columns of
  ``sessions``; a session without an entry gets its id computed, an entry without a session
  (expired, deleted) is dropped, as listing did;
- ``alarms/state``: the alarm engine's dump becomes ``alarm_counter`` and ``alarm_records``;
- ``demand/<pdu>``: the maximum demand list (phases in order, then power) becomes ``max_demand``
  rows ``L1``… and ``power``;
- ``residual/trends``: the bucket means per channel become ``residual_trends`` rows.

Each step copies what it can parse and deletes those rows from ``kv``; a row it cannot parse
stays in ``kv`` untouched (nothing is lost, the log says which). Written once for both
backends: only portable SQL with the backend's placeholder.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Final

from smartpdu.model.accounts import session_public_id
from smartpdu.storage.state_repos import alarm_rows

__all__ = ["STATE_TABLES", "move_state_rows"]

log = logging.getLogger(__name__)

LEGACY_CURSOR_PREFIX: Final = "redfish/cursor/"
SESSION_PREFIX: Final = "access/session/"
ALARMS_KEY: Final = "alarms/state"
DEMAND_PREFIX: Final = "demand/"
RESIDUAL_KEY: Final = "residual/trends"

STATE_TABLES: Final = (
    "ALTER TABLE sessions ADD COLUMN session_id TEXT",
    "ALTER TABLE sessions ADD COLUMN interface TEXT NOT NULL DEFAULT 'api'",
    "CREATE UNIQUE INDEX sessions_public_id ON sessions (session_id)",
    "CREATE TABLE alarm_counter ("
    " singleton INTEGER PRIMARY KEY CHECK (singleton = 1), next_id BIGINT NOT NULL)",
    "CREATE TABLE alarm_records ("
    " active BOOLEAN NOT NULL, id BIGINT NOT NULL, ordinal INTEGER NOT NULL,"
    " acknowledged BOOLEAN NOT NULL, body TEXT NOT NULL, PRIMARY KEY (active, id))",
    "CREATE TABLE max_demand ("
    " pdu_id TEXT NOT NULL, channel TEXT NOT NULL, value DOUBLE PRECISION NOT NULL,"
    " PRIMARY KEY (pdu_id, channel))",
    "CREATE TABLE residual_trends (entity TEXT PRIMARY KEY, points TEXT NOT NULL)",
)
"""Portable DDL (BIGINT is an INTEGER on SQLite, BOOLEAN and DOUBLE PRECISION numeric)."""


def _kv_rows(cur: Any, prefix: str, ph: str) -> list[tuple[str, str]]:
    cur.execute(
        f"SELECT key, value FROM kv WHERE substr(key, 1, {ph}) = {ph}", (len(prefix), prefix)
    )
    return [(str(k), str(v)) for k, v in cur.fetchall()]


def _move_legacy_cursors(cur: Any, ph: str) -> list[str]:
    moved = []
    for key, text in _kv_rows(cur, LEGACY_CURSOR_PREFIX, ph):
        parts = key.removeprefix(LEGACY_CURSOR_PREFIX).split("/")  # <sid>/<pdu>
        if len(parts) != 2 or not parts[0] or not parts[1] or not text.strip().isdigit():
            log.warning("kv row %s is not a Redfish delivery cursor; left in kv", key)
            continue
        cur.execute(
            "INSERT INTO outbox_cursors (dest_id, pdu_id, delivered, pending_last) "
            f"VALUES ({ph}, {ph}, {ph}, NULL) ON CONFLICT (dest_id, pdu_id) DO NOTHING",
            (f"redfish-{parts[0]}", parts[1], int(text)),
        )
        moved.append(key)
    return moved


def _move_sessions(cur: Any, ph: str) -> list[str]:
    moved = []
    for key, text in _kv_rows(cur, SESSION_PREFIX, ph):
        try:
            d = json.loads(text)
            row = (key.removeprefix(SESSION_PREFIX), str(d.get("interface", "api")),
                   str(d["token_hash"]))  # fmt: skip
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("kv row %s is not a session index entry; left in kv", key)
            continue
        cur.execute(f"UPDATE sessions SET session_id = {ph}, interface = {ph} "
                    f"WHERE token_hash = {ph}", row)  # fmt: skip
        moved.append(key)
    cur.execute("SELECT token_hash FROM sessions WHERE session_id IS NULL")
    for (token_hash,) in cur.fetchall():
        cur.execute(
            f"UPDATE sessions SET session_id = {ph} WHERE token_hash = {ph}",
            (session_public_id(str(token_hash)), str(token_hash)),
        )
    return moved


def _move_alarms(cur: Any, ph: str) -> list[str]:
    rows = dict(_kv_rows(cur, ALARMS_KEY, ph))
    text = rows.get(ALARMS_KEY)
    if text is None:
        return []
    try:
        state = json.loads(text)
        next_id = int(state.get("next_id", 1))
        records = alarm_rows(state)
    except (ValueError, KeyError, TypeError, AttributeError):
        log.warning("kv row %s is not an alarm state; left in kv", ALARMS_KEY)
        return []
    cur.execute(f"INSERT INTO alarm_counter (singleton, next_id) VALUES (1, {ph})", (next_id,))
    for row in records:
        cur.execute(
            "INSERT INTO alarm_records (active, id, ordinal, acknowledged, body) "
            f"VALUES ({ph}, {ph}, {ph}, {ph}, {ph}) ON CONFLICT (active, id) DO NOTHING",
            row,
        )
    return [ALARMS_KEY]


def _move_demand(cur: Any, ph: str) -> list[str]:
    moved = []
    for key, text in _kv_rows(cur, DEMAND_PREFIX, ph):
        try:
            values = [float(v) for v in json.loads(text)["max_demand"]]
        except (ValueError, KeyError, TypeError):
            log.warning("kv row %s is not a maximum demand; left in kv", key)
            continue
        names = [f"L{i + 1}" for i in range(len(values) - 1)] + ["power"]
        for channel, value in zip(names, values, strict=True):
            cur.execute(
                f"INSERT INTO max_demand (pdu_id, channel, value) VALUES ({ph}, {ph}, {ph}) "
                "ON CONFLICT (pdu_id, channel) DO NOTHING",
                (key.removeprefix(DEMAND_PREFIX), channel, value),
            )
        moved.append(key)
    return moved


def _move_residual(cur: Any, ph: str) -> list[str]:
    text = dict(_kv_rows(cur, RESIDUAL_KEY, ph)).get(RESIDUAL_KEY)
    if text is None:
        return []
    try:
        rows = [
            (str(entity), json.dumps([[float(t), float(v)] for t, v in d.get("points", ())]))
            for entity, d in json.loads(text).items()
        ]
    except (ValueError, TypeError, AttributeError):
        log.warning("kv row %s is not a set of residual trends; left in kv", RESIDUAL_KEY)
        return []
    for row in rows:
        cur.execute(f"INSERT INTO residual_trends (entity, points) VALUES ({ph}, {ph})", row)
    return [RESIDUAL_KEY]


def move_state_rows(cur: Any, ph: str) -> None:
    """Copy the kv rows migration 8 types into their tables, then delete the copied rows."""
    moved = (_move_legacy_cursors(cur, ph) + _move_sessions(cur, ph) + _move_alarms(cur, ph)
             + _move_demand(cur, ph) + _move_residual(cur, ph))  # fmt: skip
    for key in moved:
        cur.execute(f"DELETE FROM kv WHERE key = {ph}", (key,))
    if moved:
        log.info("moved %d runtime/interface state rows out of key/value", len(moved))
