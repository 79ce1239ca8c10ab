"""Migration 8: the last runtime and interface state moves out of ``kv`` into typed tables.

Earlier releases kept, as JSON strings in ``kv``:

- ``redfish/cursor/<sid>/<pdu>``: Redfish delivery cursors from before the outbox; they become
  ``outbox_cursors`` rows of destination ``redfish-<sid>`` (an outbox cursor already there
  wins: it is newer);

Each step copies what it can parse and deletes those rows from ``kv``; a row it cannot parse
stays in ``kv`` untouched (nothing is lost, the log says which). Written once for both
backends: only portable SQL with the backend's placeholder.
"""

from __future__ import annotations

import logging
from typing import Any, Final

__all__ = ["STATE_TABLES", "move_state_rows"]

log = logging.getLogger(__name__)

LEGACY_CURSOR_PREFIX: Final = "redfish/cursor/"

STATE_TABLES: Final[tuple[str, ...]] = ()
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


def move_state_rows(cur: Any, ph: str) -> None:
    """Copy the kv rows migration 8 types into their tables, then delete the copied rows."""
    moved = _move_legacy_cursors(cur, ph)
    for key in moved:
        cur.execute(f"DELETE FROM kv WHERE key = {ph}", (key,))
    if moved:
        log.info("moved %d runtime/interface state rows out of key/value", len(moved))
