"""Audit tail protection: the signed head outside the database catches a cut or rewritten tail.

Each attack leaves the database self-consistent (the in-database verification passes); only
the head file (``audit_head.json``) can tell. Runs on both backends, plus the CLI and the
server's start-up gate on SQLite.
"""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smartpdu.cli import app
from smartpdu.cli.audit_check import BrokenChainError, check_chain_before_start
from smartpdu.events import (
    AUDIT_HEAD_FILENAME,
    DeviceKey,
    EventCode,
    EventLog,
    NewEvent,
    Severity,
    audit_verify,
    load_or_create_device_key,
    read_head_file,
)
from smartpdu.events.chain import seal
from smartpdu.events.model import canonical_json
from smartpdu.storage import SqlStore, open_store


class Clock:
    def __init__(self) -> None:
        self.t = datetime(2026, 3, 1, tzinfo=UTC)
        self.lock = threading.Lock()

    def __call__(self) -> datetime:
        with self.lock:
            self.t += timedelta(seconds=1)
            return self.t


def fill(store: SqlStore, key: DeviceKey, head_file: Path, n: int = 25) -> None:
    """Checkpoints at 10, 20 and 25 (close); the head file then holds 25."""
    log = EventLog(
        store, key, Clock(), checkpoint_every=10, checkpoint_interval_s=3600, head_file=head_file
    )
    for i in range(n):
        log.append(
            NewEvent(pdu_id="pdu-a", source=f"outlet/{i % 8 + 1}",
                     event_code=EventCode.OUTLET_ON, message=f"Outlet {i % 8 + 1} on",
                     evidence={"power_w": 100.0 + i}, actor="bob")
        )  # fmt: skip
    log.close()


def raw(store: SqlStore, statement: str, params: tuple[object, ...] = ()) -> None:
    """Tamper like an attacker with database access (bypassing the Store API)."""
    sql = statement if not params or "sqlite" in store.url else statement.replace("?", "%s")
    store._conn.execute(sql, params)  # type: ignore[attr-defined]


def _verify(store: SqlStore, key: DeviceKey, head_file: Path) -> tuple[bool, bool]:
    inside = audit_verify(store, "pdu-a", key.public_key).ok
    head = read_head_file(head_file)["pdu-a"]
    return inside, audit_verify(store, "pdu-a", key.public_key, head).ok


def test_untouched_log_verifies_with_its_head(store: SqlStore, tmp_path: Path) -> None:
    key, head_file = DeviceKey.generate(), tmp_path / AUDIT_HEAD_FILENAME
    fill(store, key, head_file)
    assert read_head_file(head_file)["pdu-a"].sequence_id == 25
    assert _verify(store, key, head_file) == (True, True)


def test_cut_tail_with_its_checkpoints_fails(store: SqlStore, tmp_path: Path) -> None:
    key, head_file = DeviceKey.generate(), tmp_path / AUDIT_HEAD_FILENAME
    fill(store, key, head_file)
    raw(store, "DELETE FROM events WHERE pdu_id = 'pdu-a' AND sequence_id > 20")
    raw(store, "DELETE FROM checkpoints WHERE pdu_id = 'pdu-a' AND sequence_id > 20")
    assert _verify(store, key, head_file) == (True, False)  # only the head file can tell
    res = audit_verify(store, "pdu-a", key.public_key, read_head_file(head_file)["pdu-a"])
    assert res.first_bad_sequence_id == 21 and "cut" in res.reason


def test_rewritten_unsigned_tail_with_recomputed_hashes_fails(
    store: SqlStore, tmp_path: Path
) -> None:
    key, head_file = DeviceKey.generate(), tmp_path / AUDIT_HEAD_FILENAME
    fill(store, key, head_file)
    raw(store, "DELETE FROM checkpoints WHERE pdu_id = 'pdu-a' AND sequence_id > 20")
    prev = store.events_since("pdu-a", 19, 1)[0].hash
    for ev in store.events_since("pdu-a", 20, 100):  # forge 21..25, re-chain every hash
        forged = seal(
            NewEvent(pdu_id="pdu-a", source=ev.source, event_code=ev.event_code,
                     message=ev.message, evidence={"power_w": 1.0}, actor="mallory"),
            ev.sequence_id, ev.timestamp_utc, prev,
        )  # fmt: skip
        raw(
            store,
            "UPDATE events SET actor = ?, evidence = ?, prev_hash = ?, hash = ? "
            "WHERE pdu_id = 'pdu-a' AND sequence_id = ?",
            (forged.actor, canonical_json(dict(forged.evidence)).decode(), prev, forged.hash,
             ev.sequence_id),
        )  # fmt: skip
        prev = forged.hash
    assert _verify(store, key, head_file) == (True, False)
    res = audit_verify(store, "pdu-a", key.public_key, read_head_file(head_file)["pdu-a"])
    assert res.first_bad_sequence_id == 25 and "rewritten" in res.reason


def test_forged_head_file_is_rejected(store: SqlStore, tmp_path: Path) -> None:
    key, head_file = DeviceKey.generate(), tmp_path / AUDIT_HEAD_FILENAME
    fill(store, key, head_file)
    head = read_head_file(head_file)["pdu-a"]
    res = audit_verify(store, "pdu-a", key.public_key, dataclasses.replace(head, sequence_id=3))
    assert not res.ok and "not signed" in res.reason


# -- CLI and start-up gate (SQLite in a data dir, as `smartpdu run` lays it out) -----------------
def _data_dir(tmp_path: Path) -> tuple[Path, str]:
    data = tmp_path / "data"
    url = f"sqlite:///{(data / 'smartpdu.db').resolve()}"
    key = load_or_create_device_key(data)
    store = open_store(url)
    try:
        fill(store, key, data / AUDIT_HEAD_FILENAME)
        raw(store, "DELETE FROM events WHERE sequence_id > 20")
        raw(store, "DELETE FROM checkpoints WHERE sequence_id > 20")
    finally:
        store.close()
    return data, url


def test_cli_audit_verify_fails_on_a_cut_tail(tmp_path: Path) -> None:
    data, _ = _data_dir(tmp_path)
    res = CliRunner().invoke(app, ["audit", "verify", "--data-dir", str(data)])
    assert res.exit_code == 1 and "cut" in res.output, res.output


def test_server_refuses_a_broken_chain_unless_accepted(tmp_path: Path) -> None:
    data, url = _data_dir(tmp_path)
    with pytest.raises(BrokenChainError, match="--accept-broken-chain"):
        check_chain_before_start(url, data, accept_broken=False)
    accepted = check_chain_before_start(url, data, accept_broken=True)
    assert len(accepted) == 1 and "pdu-a" in accepted[0]
    store = open_store(url)
    try:
        last = store.last_event("pdu-a")
        assert last is not None and last.event_code == "AUDIT_CHAIN_BROKEN"
        assert last.severity is Severity.CRITICAL and last.evidence["first_bad_sequence_id"] == 21
    finally:
        store.close()


def test_healthy_chain_starts_silently(tmp_path: Path) -> None:
    data = tmp_path / "fresh"
    url = f"sqlite:///{(data / 'smartpdu.db').resolve()}"
    assert check_chain_before_start(url, data, accept_broken=False) == []
