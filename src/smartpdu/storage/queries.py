"""Portable SQL shared by both backends (``?`` placeholders; PostgreSQL rewrites them to ``%s``).

Only statements that mean the same on SQLite ≥ 3.35 and PostgreSQL ≥ 12 live here (INSERT …
ON CONFLICT, RETURNING, integer division of BIGINT). DDL, pragmas, COPY and locking are in the
backend modules.
"""

from __future__ import annotations

from typing import Final

EVENT_COLUMNS: Final = (
    "pdu_id, sequence_id, timestamp_utc, source, event_code, severity, action_taken, "
    "reason_code, evidence, actor, command_id, message, prev_hash, hash"
)
INSERT_EVENT: Final = f"INSERT INTO events ({EVENT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
LAST_EVENT: Final = (
    f"SELECT {EVENT_COLUMNS} FROM events WHERE pdu_id = ? ORDER BY sequence_id DESC LIMIT 1"
)
EVENTS_SINCE: Final = (
    f"SELECT {EVENT_COLUMNS} FROM events WHERE pdu_id = ? AND sequence_id > ? "
    "ORDER BY sequence_id LIMIT ?"
)
EVENTS_BETWEEN: Final = (
    f"SELECT {EVENT_COLUMNS} FROM events WHERE pdu_id = ? AND timestamp_utc >= ? "
    "AND timestamp_utc < ? ORDER BY timestamp_utc, sequence_id LIMIT ?"
)
EVENTS_BETWEEN_ALL: Final = (
    f"SELECT {EVENT_COLUMNS} FROM events WHERE timestamp_utc >= ? AND timestamp_utc < ? "
    "ORDER BY timestamp_utc, pdu_id, sequence_id LIMIT ?"
)
EVENT_PDU_IDS: Final = "SELECT DISTINCT pdu_id FROM events ORDER BY pdu_id"

CHECKPOINT_COLUMNS: Final = "pdu_id, sequence_id, hash, signature, key_fingerprint, timestamp_utc"
INSERT_CHECKPOINT: Final = (
    f"INSERT INTO checkpoints ({CHECKPOINT_COLUMNS}) VALUES (?,?,?,?,?,?) "
    "ON CONFLICT (pdu_id, sequence_id) DO NOTHING"
)
SELECT_CHECKPOINTS: Final = (
    f"SELECT {CHECKPOINT_COLUMNS} FROM checkpoints WHERE pdu_id = ? ORDER BY sequence_id"
)

UPSERT_ENERGY: Final = (
    "INSERT INTO energy_registers (pdu_id, channel, registers, meta, updated_utc) "
    "VALUES (?,?,?,?,?) ON CONFLICT (pdu_id, channel) DO UPDATE SET "
    "registers = excluded.registers, meta = excluded.meta, updated_utc = excluded.updated_utc"
)
ENERGY_COLUMNS: Final = "pdu_id, channel, registers, meta, updated_utc"
SELECT_ENERGY_ALL: Final = f"SELECT {ENERGY_COLUMNS} FROM energy_registers ORDER BY pdu_id, channel"
SELECT_ENERGY_PDU: Final = (
    f"SELECT {ENERGY_COLUMNS} FROM energy_registers WHERE pdu_id = ? ORDER BY channel"
)

INSERT_CONFIG: Final = (
    "INSERT INTO config_versions (created_utc, author, comment, yaml_text) VALUES (?,?,?,?) "
    "RETURNING version"
)
LIST_CONFIGS: Final = (
    "SELECT version, created_utc, author, comment FROM config_versions ORDER BY version"
)
GET_CONFIG: Final = (
    "SELECT version, created_utc, author, comment, yaml_text FROM config_versions WHERE version = ?"
)
GET_LATEST_CONFIG: Final = (
    "SELECT version, created_utc, author, comment, yaml_text FROM config_versions "
    "ORDER BY version DESC LIMIT 1"
)

USER_COLUMNS: Final = "username, role, password_hash, created_utc, disabled"
INSERT_USER: Final = f"INSERT INTO users ({USER_COLUMNS}) VALUES (?,?,?,?,?)"
GET_USER: Final = f"SELECT {USER_COLUMNS} FROM users WHERE username = ?"
LIST_USERS: Final = f"SELECT {USER_COLUMNS} FROM users ORDER BY username"
UPDATE_USER: Final = "UPDATE users SET role = ?, password_hash = ?, disabled = ? WHERE username = ?"
DELETE_USER: Final = "DELETE FROM users WHERE username = ?"

SESSION_COLUMNS: Final = "token_hash, username, created_utc, expires_utc, interface"
INSERT_SESSION: Final = f"INSERT INTO sessions ({SESSION_COLUMNS}, session_id) VALUES (?,?,?,?,?,?)"
GET_SESSION: Final = f"SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = ?"
FIND_SESSION: Final = f"SELECT {SESSION_COLUMNS} FROM sessions WHERE session_id = ?"
LIVE_SESSIONS: Final = (
    f"SELECT {SESSION_COLUMNS} FROM sessions WHERE expires_utc > ? ORDER BY created_utc, session_id"
)
DELETE_SESSION: Final = "DELETE FROM sessions WHERE token_hash = ?"
DELETE_USER_SESSIONS: Final = "DELETE FROM sessions WHERE username = ?"
PURGE_SESSIONS: Final = "DELETE FROM sessions WHERE expires_utc <= ?"

KV_GET: Final = "SELECT value FROM kv WHERE key = ?"
KV_SET: Final = (
    "INSERT INTO kv (key, value) VALUES (?, ?) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)
KV_DELETE: Final = "DELETE FROM kv WHERE key = ?"
KV_ITEMS: Final = "SELECT key, value FROM kv WHERE substr(key, 1, ?) = ? ORDER BY key"
