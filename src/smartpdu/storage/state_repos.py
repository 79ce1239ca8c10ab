"""Typed repositories of migration 8's runtime state: alarms, maximum demand, residual trends.

- ``alarm_counter`` (one row: the next alarm id) and ``alarm_records`` (one row per active or
  recently cleared alarm: id, whether active, order, acknowledged, the alarm as JSON);
- ``max_demand``: one row per (PDU, channel) with the maximum 15-min demand;
- ``residual_trends``: one row per residual-current channel with its bucket means, a JSON array
  of ``[t_s, mean_ma]`` read and written whole (≤ window/bucket points, never queried singly:
  packed like the readings blocks).

Each implements its protocol of :mod:`smartpdu.model.runtime_state`; each call is one committed
transaction on the owning store.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from smartpdu.storage.sql_core import SqlCore

__all__ = ["SqlAlarmState", "SqlMaxDemand", "SqlResidualTrends"]

_NEXT: Final = "SELECT next_id FROM alarm_counter WHERE singleton = 1"
_SET_NEXT: Final = (
    "INSERT INTO alarm_counter (singleton, next_id) VALUES (1, ?) "
    "ON CONFLICT (singleton) DO UPDATE SET next_id = excluded.next_id"
)
_ALARMS: Final = "SELECT active, acknowledged, body FROM alarm_records ORDER BY active, ordinal, id"
_INSERT_ALARM: Final = (
    "INSERT INTO alarm_records (active, id, ordinal, acknowledged, body) VALUES (?,?,?,?,?)"
)
_CLEAR_ALARMS: Final = "DELETE FROM alarm_records"
_DEMAND: Final = "SELECT channel, value FROM max_demand WHERE pdu_id = ?"
_SET_DEMAND: Final = (
    "INSERT INTO max_demand (pdu_id, channel, value) VALUES (?,?,?) "
    "ON CONFLICT (pdu_id, channel) DO UPDATE SET value = excluded.value"
)
_TRENDS: Final = "SELECT entity, points FROM residual_trends ORDER BY entity"
_INSERT_TREND: Final = "INSERT INTO residual_trends (entity, points) VALUES (?, ?)"
_CLEAR_TRENDS: Final = "DELETE FROM residual_trends"


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


def alarm_rows(state: Mapping[str, Any]) -> list[tuple[object, ...]]:
    """``alarm_records`` rows of an engine dump (shared with the kv upgrade of migration 8)."""
    rows: list[tuple[object, ...]] = []
    for i, a in enumerate(state.get("history", ())):
        rows.append((False, int(a["id"]), i, bool(a.get("acknowledged_by")), _dumps(dict(a))))
    for i, item in enumerate(state.get("active", ())):
        a = item["alarm"]
        rows.append((True, int(a["id"]), i, bool(item.get("acknowledged")), _dumps(dict(a))))
    return rows


class SqlAlarmState:
    """The alarm engine's state in ``alarm_counter`` and ``alarm_records``."""

    def __init__(self, store: SqlCore) -> None:
        self._store = store

    def load(self) -> dict[str, Any] | None:
        st = self._store
        nxt = st._query(_NEXT)
        rows = st._query(_ALARMS)
        if not nxt and not rows:
            return None
        active = [{"alarm": json.loads(r[2]), "acknowledged": bool(r[1])} for r in rows if r[0]]
        history = [json.loads(r[2]) for r in rows if not r[0]]
        return {"next_id": int(nxt[0][0]) if nxt else 1, "active": active, "history": history}

    def save(self, state: Mapping[str, Any]) -> None:
        rows = alarm_rows(state)
        st = self._store
        with st._lock:
            st._check_open()
            with st._tx() as cur:
                cur.execute(st._sql(_SET_NEXT), (int(state.get("next_id", 1)),))
                cur.execute(st._sql(_CLEAR_ALARMS))
                if rows:
                    cur.executemany(st._sql(_INSERT_ALARM), rows)


class SqlMaxDemand:
    """Maximum demand per (PDU, channel) in ``max_demand``."""

    def __init__(self, store: SqlCore) -> None:
        self._store = store

    def load(self, pdu_id: str) -> dict[str, float]:
        return {str(r[0]): float(r[1]) for r in self._store._query(_DEMAND, (pdu_id,))}

    def save(self, pdu_id: str, values: Mapping[str, float]) -> None:
        rows = [(pdu_id, ch, float(v)) for ch, v in values.items()]
        if not rows:
            return
        st = self._store
        with st._lock:
            st._check_open()
            with st._tx() as cur:
                cur.executemany(st._sql(_SET_DEMAND), rows)


class SqlResidualTrends:
    """Residual-current trend points per channel in ``residual_trends``."""

    def __init__(self, store: SqlCore) -> None:
        self._store = store

    def load(self) -> dict[str, list[tuple[float, float]]]:
        return {
            str(r[0]): [(float(t), float(v)) for t, v in json.loads(r[1])]
            for r in self._store._query(_TRENDS)
        }

    def save(self, trends: Mapping[str, Sequence[tuple[float, float]]]) -> None:
        rows = [(e, _dumps([[t, v] for t, v in pts])) for e, pts in sorted(trends.items())]
        st = self._store
        with st._lock:
            st._check_open()
            with st._tx() as cur:
                cur.execute(st._sql(_CLEAR_TRENDS))
                if rows:
                    cur.executemany(st._sql(_INSERT_TREND), rows)
