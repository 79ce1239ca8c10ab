"""Typed repositories over the migration-4 tables: outlet memory, command results, calibration.

They implement the narrow protocols their consumers declare (``control.holds.OutletMemory``,
``control.commands.CommandResults``) and :class:`CalibrationRepository`; each call is one
committed transaction on the owning store (same lock, same error translation).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from smartpdu.control.commands import StoredResult, result_to_json, stored_from_json
from smartpdu.model.commands import CommandResult
from smartpdu.protection.lockout import OutletHold

if TYPE_CHECKING:
    from smartpdu.storage.sql_core import SqlCore

__all__ = ["CalibrationRecord", "SqlCalibrations", "SqlCommandResults", "SqlOutletMemory"]

_HOLD_COLUMNS: Final = (
    "reason_code, since_s, latched, cooldown_until_s, trips_s, acknowledged, retried"
)
_UPSERT_HOLD: Final = (
    f"INSERT INTO outlet_holds (pdu_id, outlet_id, {_HOLD_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?) "
    "ON CONFLICT (pdu_id, outlet_id) DO UPDATE SET reason_code = excluded.reason_code, "
    "since_s = excluded.since_s, latched = excluded.latched, "
    "cooldown_until_s = excluded.cooldown_until_s, trips_s = excluded.trips_s, "
    "acknowledged = excluded.acknowledged, retried = excluded.retried"
)
_GET_HOLD: Final = f"SELECT {_HOLD_COLUMNS} FROM outlet_holds WHERE pdu_id = ? AND outlet_id = ?"
_DELETE_HOLD: Final = "DELETE FROM outlet_holds WHERE pdu_id = ? AND outlet_id = ?"
_UPSERT_INTENT: Final = (
    "INSERT INTO outlet_intents (pdu_id, outlet_id, commanded_on) VALUES (?,?,?) "
    "ON CONFLICT (pdu_id, outlet_id) DO UPDATE SET commanded_on = excluded.commanded_on"
)
_GET_INTENT: Final = "SELECT commanded_on FROM outlet_intents WHERE pdu_id = ? AND outlet_id = ?"

_GET_RESULT: Final = "SELECT result FROM command_results WHERE command_id = ?"
_MAX_ORDINAL: Final = "SELECT MAX(ordinal) FROM command_results"
_UPSERT_RESULT: Final = (
    "INSERT INTO command_results (command_id, ordinal, status, result) VALUES (?,?,?,?) "
    "ON CONFLICT (command_id) DO UPDATE SET ordinal = excluded.ordinal, "
    "status = excluded.status, result = excluded.result"
)
_TRIM_RESULTS: Final = "DELETE FROM command_results WHERE ordinal <= ?"

_CAL_COLUMNS: Final = "pdu_id, version, timestamp_utc, source, crc32, body"
_UPSERT_CAL: Final = (
    f"INSERT INTO calibration_sets ({_CAL_COLUMNS}) VALUES (?,?,?,?,?,?) "
    "ON CONFLICT (pdu_id, version) DO UPDATE SET timestamp_utc = excluded.timestamp_utc, "
    "source = excluded.source, crc32 = excluded.crc32, body = excluded.body"
)
_LATEST_CAL: Final = (
    f"SELECT {_CAL_COLUMNS} FROM calibration_sets WHERE pdu_id = ? ORDER BY version DESC LIMIT 1"
)
_CAL_HISTORY: Final = (
    f"SELECT {_CAL_COLUMNS} FROM calibration_sets WHERE pdu_id = ? ORDER BY version"
)


class SqlOutletMemory:
    """Holds in ``outlet_holds`` (no row = released), intents in ``outlet_intents``."""

    def __init__(self, store: SqlCore) -> None:
        self._store = store

    def load_hold(self, pdu_id: str, outlet_id: str) -> OutletHold | None:
        rows = self._store._query(_GET_HOLD, (pdu_id, outlet_id))
        if not rows:
            return None
        r = rows[0]
        trips = tuple(float(t) for t in json.loads(r[4]))
        return OutletHold(
            str(r[0]), float(r[1]), bool(r[2]), float(r[3]), trips, bool(r[5]), bool(r[6])
        )

    def save_hold(self, pdu_id: str, outlet_id: str, hold: OutletHold | None) -> None:
        if hold is None:
            self._store._write(_DELETE_HOLD, (pdu_id, outlet_id))
            return
        row = (
            pdu_id,
            outlet_id,
            hold.reason_code,
            float(hold.since_s),
            bool(hold.latched),
            float(hold.cooldown_until_s),
            json.dumps([float(t) for t in hold.trips_s]),
            bool(hold.acknowledged),
            bool(hold.retried),
        )
        self._store._write(_UPSERT_HOLD, row)

    def save_intent(self, pdu_id: str, outlet_id: str, on: bool) -> None:
        self._store._write(_UPSERT_INTENT, (pdu_id, outlet_id, bool(on)))

    def last_commanded(self, pdu_id: str, outlet_id: str) -> bool | None:
        rows = self._store._query(_GET_INTENT, (pdu_id, outlet_id))
        return bool(rows[0][0]) if rows else None


class SqlCommandResults:
    """Results in ``command_results``, numbered by ``ordinal``; older than ``capacity`` go."""

    def __init__(self, store: SqlCore) -> None:
        self._store = store

    def load(self, key: str) -> StoredResult | None:
        rows = self._store._query(_GET_RESULT, (key,))
        return stored_from_json(rows[0][0]) if rows else None

    def save(self, key: str, result: CommandResult, fingerprint: str, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        st = self._store
        with st._lock:
            st._check_open()
            with st._tx() as cur:
                cur.execute(st._sql(_MAX_ORDINAL))
                row = cur.fetchone()
                ordinal = (int(row[0]) if row and row[0] is not None else 0) + 1
                text = result_to_json(result, fingerprint)
                values = (key, ordinal, str(result.status), text)
                cur.execute(st._sql(_UPSERT_RESULT), values)
                cur.execute(st._sql(_TRIM_RESULTS), (ordinal - capacity,))


@dataclass(frozen=True, slots=True)
class CalibrationRecord:
    """One stored calibration set: its identity columns and the sealed JSON body as stored."""

    pdu_id: str
    version: int
    timestamp_utc: str
    source: str
    crc32: int | None
    body: str


class SqlCalibrations:
    """Calibration sets per PDU in ``calibration_sets``, every version kept."""

    def __init__(self, store: SqlCore) -> None:
        self._store = store

    def save(self, record: CalibrationRecord) -> None:
        r = record
        self._store._write(
            _UPSERT_CAL, (r.pdu_id, r.version, r.timestamp_utc, r.source, r.crc32, r.body)
        )

    def latest(self, pdu_id: str) -> CalibrationRecord | None:
        rows = self._store._query(_LATEST_CAL, (pdu_id,))
        return _cal(rows[0]) if rows else None

    def history(self, pdu_id: str) -> list[CalibrationRecord]:
        return [_cal(r) for r in self._store._query(_CAL_HISTORY, (pdu_id,))]


def _cal(r: tuple[object, ...]) -> CalibrationRecord:
    crc = r[4]
    return CalibrationRecord(
        str(r[0]),
        int(str(r[1])),
        str(r[2]),
        str(r[3]),
        None if crc is None else int(str(crc)),
        str(r[5]),
    )
