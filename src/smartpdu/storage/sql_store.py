"""Backend-independent implementation of :class:`~smartpdu.storage.base.Store` over DB-API.

Backends supply a connection, a transaction context, placeholder translation and their DDL
(the connection core is :mod:`~smartpdu.storage.sql_core`); row mapping and error translation
live here once, the typed tables in their repository modules, readings (packed blocks, roll-up,
history) in :mod:`~smartpdu.storage.readings_sql`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from types import MappingProxyType

from smartpdu.events.chain import Checkpoint
from smartpdu.events.codes import Severity
from smartpdu.events.model import Event, canonical_json, format_timestamp, parse_timestamp
from smartpdu.storage import queries as q
from smartpdu.storage.access_repo import SqlAccess
from smartpdu.storage.control_repos import SqlCalibrations, SqlCommandResults, SqlOutletMemory
from smartpdu.storage.outbox_repo import SqlOutbox
from smartpdu.storage.readings_sql import BlockReadings
from smartpdu.storage.records import (
    ConfigVersion,
    ConfigVersionInfo,
    ConflictError,
    EnergyRegisterState,
    HistoryPoint,
    NotFoundError,
    Reading,
    Resolution,
    RetentionPolicy,
    SessionRecord,
    UserRecord,
)
from smartpdu.storage.sql_core import Cursor, Row, SqlCore
from smartpdu.storage.state_repos import SqlAlarmState, SqlMaxDemand, SqlResidualTrends
from smartpdu.storage.subscription_repo import SqlSubscriptions
from smartpdu.storage.webhook_repo import SqlWebhooks

__all__ = ["Cursor", "Row", "SqlStore"]


def _event_row(ev: Event) -> Row:
    return (
        ev.pdu_id,
        ev.sequence_id,
        ev.timestamp_utc,
        ev.source,
        ev.event_code,
        str(ev.severity),
        str(ev.action_taken),
        ev.reason_code,
        canonical_json(dict(ev.evidence)).decode("utf-8"),
        ev.actor,
        ev.command_id,
        ev.message,
        ev.prev_hash,
        ev.hash,
    )


def _row_event(r: Row) -> Event:
    return Event(
        pdu_id=r[0],
        sequence_id=int(r[1]),
        timestamp_utc=r[2],
        source=r[3],
        event_code=r[4],
        severity=Severity(r[5]),
        action_taken=r[6],
        reason_code=r[7],
        evidence=MappingProxyType(json.loads(r[8])),
        actor=r[9],
        command_id=r[10],
        message=r[11],
        prev_hash=r[12],
        hash=r[13],
    )


def _row_user(r: Row) -> UserRecord:
    return UserRecord(r[0], r[1], r[2], parse_timestamp(r[3]), bool(r[4]))


def _row_session(r: Row) -> SessionRecord:
    return SessionRecord(r[0], r[1], parse_timestamp(r[2]), parse_timestamp(r[3]), str(r[4]))


class SqlStore(SqlCore):
    """Shared Store logic; subclasses implement connection handling and DDL."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.outlet_memory = SqlOutletMemory(self)
        """Outlet holds and last commanded states (``control.holds.OutletMemory``)."""
        self.command_results = SqlCommandResults(self)
        """The command idempotency ledger (``control.commands.CommandResults``)."""
        self.calibrations = SqlCalibrations(self)
        """Calibration sets per PDU, every version kept."""
        self.redfish_subscriptions = SqlSubscriptions(self)
        """Redfish EventService subscriptions and their never-reused ids."""
        self.outbox = SqlOutbox(self)
        """The outbox's delivery cursors and delivery log per destination."""
        self.alarm_state = SqlAlarmState(self)
        """The alarm engine's id counter, active alarms and history."""
        self.max_demand = SqlMaxDemand(self)
        """Maximum demand per PDU and channel."""
        self.residual_trends = SqlResidualTrends(self)
        """Residual-current trend points per channel."""
        self.webhooks = SqlWebhooks(self)
        """Webhook subscriptions (secrets, filters, template, enabled)."""
        self.access = SqlAccess(self)
        """Lever credentials and the access log (migration 10)."""
        self._readings = BlockReadings(self)

    def __enter__(self) -> SqlStore:
        return self

    # -- events ---------------------------------------------------------------------------------
    def append_events(self, events: Sequence[Event]) -> None:
        if not events:
            return
        with self._lock:
            self._check_open()
            try:
                with self._tx() as cur:
                    cur.executemany(self._sql(q.INSERT_EVENT), [_event_row(e) for e in events])
            except self._integrity_errors as exc:
                first = events[0]
                raise ConflictError(
                    f"event sequence_id {first.sequence_id}.. of PDU {first.pdu_id!r} already "
                    "stored; only one EventLog may write a PDU's chain"
                ) from exc

    def last_event(self, pdu_id: str) -> Event | None:
        rows = self._query(q.LAST_EVENT, (pdu_id,))
        return _row_event(rows[0]) if rows else None

    def events_since(self, pdu_id: str, since_seq: int = 0, limit: int = 1000) -> list[Event]:
        return [_row_event(r) for r in self._query(q.EVENTS_SINCE, (pdu_id, since_seq, limit))]

    def iter_events(self, pdu_id: str, page: int = 5000) -> Iterator[Event]:
        """All events of ``pdu_id`` in ascending order, fetched page by page."""
        since = 0
        while True:
            batch = self.events_since(pdu_id, since, page)
            yield from batch
            if len(batch) < page:
                return
            since = batch[-1].sequence_id

    def events_between(
        self, pdu_id: str | None, start: datetime, end: datetime, limit: int = 1000
    ) -> list[Event]:
        lo, hi = format_timestamp(start), format_timestamp(end)
        if pdu_id is None:
            rows = self._query(q.EVENTS_BETWEEN_ALL, (lo, hi, limit))
        else:
            rows = self._query(q.EVENTS_BETWEEN, (pdu_id, lo, hi, limit))
        return [_row_event(r) for r in rows]

    def event_pdu_ids(self) -> list[str]:
        return [r[0] for r in self._query(q.EVENT_PDU_IDS)]

    def append_checkpoint(self, checkpoint: Checkpoint) -> None:
        c = checkpoint
        row = (c.pdu_id, c.sequence_id, c.hash, c.signature, c.key_fingerprint, c.timestamp_utc)
        self._write(q.INSERT_CHECKPOINT, row)

    def checkpoints(self, pdu_id: str) -> list[Checkpoint]:
        rows = self._query(q.SELECT_CHECKPOINTS, (pdu_id,))
        return [Checkpoint(r[0], int(r[1]), r[2], r[3], r[4], r[5]) for r in rows]

    # -- readings (packed blocks, see readings_sql) ------------------------------------------------
    def write_readings(self, readings: Sequence[Reading]) -> int:
        return self._readings.write_readings(readings)

    def rollup(self, now: datetime) -> None:
        self._readings.rollup(now)

    def purge(
        self, now: datetime, retention: RetentionPolicy | None = None
    ) -> dict[Resolution, int]:
        return self._readings.purge(now, retention)

    def maintain(self, now: datetime, retention: RetentionPolicy | None = None) -> None:
        """Roll up, then purge (call about once a minute from the writer thread)."""
        self.rollup(now)
        self.purge(now, retention)

    def history(
        self, pdu_id: str, key: str, start: datetime, end: datetime, step_s: int = 60
    ) -> list[HistoryPoint]:
        return self._readings.history(pdu_id, key, start, end, step_s)

    def reading_keys(self, pdu_id: str) -> list[str]:
        return self._readings.reading_keys(pdu_id)

    # -- energy ---------------------------------------------------------------------------------
    def save_energy(self, states: Sequence[EnergyRegisterState]) -> None:
        rows = [
            (
                s.pdu_id,
                s.channel,
                canonical_json({k: float(v) for k, v in s.registers.items()}).decode(),
                canonical_json(dict(s.meta)).decode(),
                format_timestamp(s.updated_utc),
            )
            for s in states
        ]
        if not rows:
            return
        with self._lock:
            self._check_open()
            with self._tx() as cur:
                cur.executemany(self._sql(q.UPSERT_ENERGY), rows)

    def load_energy(self, pdu_id: str | None = None) -> list[EnergyRegisterState]:
        if pdu_id is None:
            rows = self._query(q.SELECT_ENERGY_ALL)
        else:
            rows = self._query(q.SELECT_ENERGY_PDU, (pdu_id,))
        return [
            EnergyRegisterState(
                pdu_id=r[0],
                channel=r[1],
                registers=MappingProxyType(json.loads(r[2])),
                meta=MappingProxyType(json.loads(r[3])),
                updated_utc=parse_timestamp(r[4]),
            )
            for r in rows
        ]

    # -- config versions ------------------------------------------------------------------------
    def add_config_version(
        self, yaml_text: str, author: str, comment: str, created_utc: datetime
    ) -> int:
        with self._lock:
            self._check_open()
            with self._tx() as cur:
                cur.execute(
                    self._sql(q.INSERT_CONFIG),
                    (format_timestamp(created_utc), author, comment, yaml_text),
                )
                return int(cur.fetchone()[0])

    def list_config_versions(self) -> list[ConfigVersionInfo]:
        return [
            ConfigVersionInfo(int(r[0]), parse_timestamp(r[1]), r[2], r[3])
            for r in self._query(q.LIST_CONFIGS)
        ]

    def get_config_version(self, version: int | None = None) -> ConfigVersion | None:
        if version is None:
            rows = self._query(q.GET_LATEST_CONFIG)
        else:
            rows = self._query(q.GET_CONFIG, (version,))
        if not rows:
            return None
        r = rows[0]
        return ConfigVersion(int(r[0]), parse_timestamp(r[1]), r[2], r[3], r[4])

    # -- users / sessions -----------------------------------------------------------------------
    def create_user(self, user: UserRecord) -> None:
        row = (
            user.username,
            user.role,
            user.password_hash,
            format_timestamp(user.created_utc),
            bool(user.disabled),
        )
        try:
            self._write(q.INSERT_USER, row)
        except self._integrity_errors as exc:
            raise ConflictError(f"user {user.username!r} already exists") from exc

    def get_user(self, username: str) -> UserRecord | None:
        rows = self._query(q.GET_USER, (username,))
        return _row_user(rows[0]) if rows else None

    def list_users(self) -> list[UserRecord]:
        return [_row_user(r) for r in self._query(q.LIST_USERS)]

    def update_user(
        self,
        username: str,
        *,
        role: str | None = None,
        password_hash: str | None = None,
        disabled: bool | None = None,
    ) -> UserRecord:
        with self._lock:
            current = self.get_user(username)
            if current is None:
                raise NotFoundError(f"user {username!r} does not exist")
            new = UserRecord(
                username,
                current.role if role is None else role,
                current.password_hash if password_hash is None else password_hash,
                current.created_utc,
                current.disabled if disabled is None else bool(disabled),
            )
            self._write(q.UPDATE_USER, (new.role, new.password_hash, new.disabled, username))
            return new

    def delete_user(self, username: str) -> bool:
        with self._lock:
            self._check_open()
            with self._tx() as cur:
                cur.execute(self._sql(q.DELETE_USER_SESSIONS), (username,))
                cur.execute(self._sql(q.DELETE_USER), (username,))
                return int(cur.rowcount) > 0

    def create_session(self, session: SessionRecord) -> None:
        row = (
            session.token_hash,
            session.username,
            format_timestamp(session.created_utc),
            format_timestamp(session.expires_utc),
            session.interface,
            session.id,
        )
        try:
            self._write(q.INSERT_SESSION, row)
        except self._integrity_errors as exc:
            raise ConflictError(
                f"session could not be created for {session.username!r}: duplicate token "
                "or unknown user"
            ) from exc

    def get_session(self, token_hash: str) -> SessionRecord | None:
        rows = self._query(q.GET_SESSION, (token_hash,))
        return _row_session(rows[0]) if rows else None

    def find_session(self, session_id: str) -> SessionRecord | None:
        rows = self._query(q.FIND_SESSION, (session_id,))
        return _row_session(rows[0]) if rows else None

    def list_sessions(self, now: datetime) -> list[SessionRecord]:
        return [_row_session(r) for r in self._query(q.LIVE_SESSIONS, (format_timestamp(now),))]

    def delete_session(self, token_hash: str) -> bool:
        return self._write(q.DELETE_SESSION, (token_hash,)) > 0

    def delete_user_sessions(self, username: str) -> int:
        return self._write(q.DELETE_USER_SESSIONS, (username,))

    def purge_sessions(self, now: datetime) -> int:
        return self._write(q.PURGE_SESSIONS, (format_timestamp(now),))

    # -- key/value ------------------------------------------------------------------------------
    def kv_get(self, key: str) -> str | None:
        rows = self._query(q.KV_GET, (key,))
        return rows[0][0] if rows else None

    def kv_set(self, key: str, value: str) -> None:
        self._write(q.KV_SET, (key, value))

    def kv_delete(self, key: str) -> bool:
        return self._write(q.KV_DELETE, (key,)) > 0

    def kv_items(self, prefix: str = "") -> dict[str, str]:
        return {r[0]: r[1] for r in self._query(q.KV_ITEMS, (len(prefix), prefix))}
