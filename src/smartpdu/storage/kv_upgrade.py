"""Data step of migration 4: move control state and calibration out of the key/value table.

Release 3 kept the command ledger (``command/...``), outlet holds and last commanded states
(``control/<pdu>/outlet/<id>/hold|commanded``) and calibration sets (``calibration/<pdu>``) as
JSON strings in ``kv``. This step copies each row into its typed table and deletes it from
``kv``; a row it cannot parse stays in ``kv`` untouched (nothing is lost, the log says which).
Written once for both backends: only portable SQL with the backend's placeholder.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol

__all__ = ["move_kv_rows"]

log = logging.getLogger(__name__)

_CAPACITY = 4096  # release 3's ledger ring size: orders slots that wrapped around


class _Cursor(Protocol):
    def execute(self, sql: Any, params: Any = ..., /) -> Any: ...
    def fetchall(self) -> list[Any]: ...


def _rows(cur: _Cursor, prefix: str, ph: str) -> dict[str, str]:
    cur.execute(
        f"SELECT key, value FROM kv WHERE substr(key, 1, {ph}) = {ph}", (len(prefix), prefix)
    )
    return {str(k): str(v) for k, v in cur.fetchall()}


def _move_commands(cur: _Cursor, ph: str) -> list[str]:
    rows = _rows(cur, "command/", ph)
    nxt = int(rows.get("command/next", "0") or 0)
    slot_of = {
        v: int(k.rsplit("/", 1)[1]) for k, v in rows.items() if k.startswith("command/slot/")
    }
    moved = [k for k in rows if k.startswith("command/slot/") or k == "command/next"]
    for key, text in rows.items():
        if not key.startswith("command/id/"):
            continue
        command_id = key.removeprefix("command/id/")
        try:
            status = str(json.loads(text)["status"])
        except (ValueError, KeyError, TypeError):
            log.warning("kv row %s is not a command result; left in kv", key)
            continue
        slot = slot_of.get(command_id, 0)
        ordinal = slot if slot < nxt else slot - _CAPACITY  # slots at/after next are older
        cur.execute(
            "INSERT INTO command_results (command_id, ordinal, status, result) "
            f"VALUES ({ph}, {ph}, {ph}, {ph}) ON CONFLICT (command_id) DO NOTHING",
            (command_id, ordinal, status, text),
        )
        moved.append(key)
    return moved


def _move_control(cur: _Cursor, ph: str) -> list[str]:
    moved = []
    for key, text in _rows(cur, "control/", ph).items():
        parts = key.split("/")  # control/<pdu>/outlet/<id>/<what>
        if len(parts) != 5 or parts[2] != "outlet":
            continue
        pdu_id, outlet_id, what = parts[1], parts[3], parts[4]
        if what == "commanded" and text in ("on", "off"):
            cur.execute(
                "INSERT INTO outlet_intents (pdu_id, outlet_id, commanded_on) "
                f"VALUES ({ph}, {ph}, {ph}) ON CONFLICT (pdu_id, outlet_id) DO NOTHING",
                (pdu_id, outlet_id, text == "on"),
            )
        elif what == "hold" and text == "":
            pass  # a released hold: no row
        elif what == "hold":
            try:
                d = json.loads(text)
                row = (
                    pdu_id,
                    outlet_id,
                    str(d["reason_code"]),
                    float(d["since_s"]),
                    bool(d["latched"]),
                    float(d["cooldown_until_s"]),
                    json.dumps([float(t) for t in d["trips_s"]]),
                    bool(d.get("acknowledged", False)),
                    bool(d.get("retried", False)),
                )
            except (ValueError, KeyError, TypeError):
                log.warning("kv row %s is not an outlet hold; left in kv", key)
                continue
            cur.execute(
                "INSERT INTO outlet_holds (pdu_id, outlet_id, reason_code, since_s, latched, "
                "cooldown_until_s, trips_s, acknowledged, retried) "
                f"VALUES ({', '.join([ph] * 9)}) ON CONFLICT (pdu_id, outlet_id) DO NOTHING",
                row,
            )
        else:
            continue
        moved.append(key)
    return moved


def _move_calibration(cur: _Cursor, ph: str) -> list[str]:
    moved = []
    for key, text in _rows(cur, "calibration/", ph).items():
        parts = key.split("/")
        if len(parts) != 2:
            continue  # calibration/<pdu>/bench_seed belongs to the twin's bench: stays
        try:
            d = json.loads(text)
            crc = d.get("crc32")
            row = (
                parts[1],
                int(d["version"]),
                str(d["timestamp"]),
                str(d["source"]),
                None if crc is None else int(crc),
                text,
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("kv row %s is not a calibration set; left in kv", key)
            continue
        cur.execute(
            "INSERT INTO calibration_sets (pdu_id, version, timestamp_utc, source, crc32, body) "
            f"VALUES ({ph}, {ph}, {ph}, {ph}, {ph}, {ph}) ON CONFLICT (pdu_id, version) DO NOTHING",
            row,
        )
        moved.append(key)
    return moved


def move_kv_rows(cur: Any, ph: str) -> None:
    """Copy release-3 kv rows into the migration-4 tables, then delete the copied rows."""
    moved = _move_commands(cur, ph) + _move_control(cur, ph) + _move_calibration(cur, ph)
    for key in moved:
        cur.execute(f"DELETE FROM kv WHERE key = {ph}", (key,))
    if moved:
        log.info("moved %d key/value rows into typed tables", len(moved))
