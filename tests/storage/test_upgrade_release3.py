"""A database file written by release 3 (schema v3, state in kv) opens with no loss.

``fixtures/v3-release.db`` was made by ``fixtures/make_v3_release.py`` on the release: the demo
runtime on the sim clock, three outlet commands, a factory calibration and a latched hold.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from store_upgrade import LATEST, since

from smartpdu.control.commands import CommandLedger, result_from_json
from smartpdu.events.audit import audit_verify
from smartpdu.events.signing import load_public_key
from smartpdu.model.commands import CommandStatus
from smartpdu.protection.lockout import OutletHold
from smartpdu.runtime.calibration_store import load_calibration
from smartpdu.storage.kv_upgrade import move_kv_rows
from smartpdu.storage.packed import decimals_for
from smartpdu.storage.records import from_epoch_s
from smartpdu.storage.sqlite_store import SqliteStore

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def release3(tmp_path: Path) -> Path:
    path = tmp_path / "smartpdu.db"
    shutil.copy(FIXTURES / "v3-release.db", path)
    return path


def _raw(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_release3_database_upgrades_without_loss(release3: Path) -> None:
    before_kv = dict(_raw(release3, "SELECT key, value FROM kv"))  # type: ignore[arg-type]
    counts = {
        t: _raw(release3, f"SELECT COUNT(*) FROM {t}")[0][0]
        for t in ("events", "checkpoints", "energy_registers")
    }
    readings = _raw(release3, "SELECT pdu_id, key, ts, n, v_min, v_avg, v_max FROM readings_1s")
    assert len(readings) > 500
    assert _raw(release3, "SELECT MAX(version) FROM schema_version")[0][0] == 3
    assert any(k.startswith("command/id/") for k in before_kv)  # the fixture holds what we move

    store = SqliteStore(release3)
    try:
        assert store.applied_migrations == since(4)
        # untouched tables keep every row; the chain still verifies with the release's key
        for table, n in counts.items():
            assert _raw(release3, f"SELECT COUNT(*) FROM {table}")[0][0] == n, table
        key = load_public_key(FIXTURES / "v3-release.pub.pem")
        assert audit_verify(store, "pdu-a", key).ok

        # command ledger: every result answers by id, identical to what was stored
        ledger = CommandLedger(repo=store.command_results)
        for cid in ("fixture-off-3", "fixture-off-b", "fixture-on-3"):
            got = ledger.result(cid)
            assert got == result_from_json(before_kv[f"command/id/{cid}"])
            assert got is not None and got.status is CommandStatus.DONE

        # holds and intents
        mem = store.outlet_memory
        assert mem.load_hold("pdu-a", "5") == OutletHold(
            "OVERCURRENT", 12.4, True, 42.0, (12.4,), False, True
        )
        assert mem.last_commanded("pdu-a", "3") is True
        assert mem.last_commanded("pdu-b", "2") is False
        assert mem.last_commanded("pdu-b", "4") is False
        assert mem.last_commanded("pdu-b", "1") is None

        # calibration: the same sealed set, CRCs intact
        cal = load_calibration(store, "pdu-a")
        assert cal is not None and cal.version == 1 and not cal.degraded_channels()
        assert cal.to_dict() == json.loads(before_kv["calibration/pdu-a"])

        # 1 s readings: now packed blocks, every row answers through history() with the same
        # count and its values to within half the stored quantum of the key
        tables = {r[0] for r in _raw(release3, "SELECT name FROM sqlite_master")}
        assert "readings_1s" not in tables and "reading_blocks" in tables
        for pdu_id, key, ts, n, v_min, v_avg, v_max in readings:
            at = from_epoch_s(int(ts))  # type: ignore[call-overload]
            (p,) = store.history(str(pdu_id), str(key), at, at + timedelta(seconds=1), step_s=1)
            tol = 0.5 * 10.0 ** -decimals_for(str(key)) * (1 + 1e-9)
            assert p.count == n
            for got, want in ((p.min, v_min), (p.avg, v_avg), (p.max, v_max)):
                assert abs(got - float(want)) <= tol, (key, ts, got, want)  # type: ignore[arg-type]

        # kv keeps only what has no table of its own
        assert store.kv_items() == {"calibration/pdu-a/bench_seed": "7"}
    finally:
        store.close()
    again = SqliteStore(release3)
    assert again.applied_migrations == [] and again.schema_version() == LATEST
    again.close()


def test_unparseable_kv_rows_stay_in_kv(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    conn.executescript(
        "CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE command_results (command_id TEXT PRIMARY KEY, ordinal INTEGER, "
        "status TEXT, result TEXT);"
        "CREATE TABLE outlet_holds (pdu_id TEXT, outlet_id TEXT, reason_code TEXT, since_s REAL,"
        " latched INTEGER, cooldown_until_s REAL, trips_s TEXT, acknowledged INTEGER,"
        " retried INTEGER, PRIMARY KEY (pdu_id, outlet_id));"
        "CREATE TABLE outlet_intents (pdu_id TEXT, outlet_id TEXT, commanded_on INTEGER,"
        " PRIMARY KEY (pdu_id, outlet_id));"
        "CREATE TABLE calibration_sets (pdu_id TEXT, version INTEGER, timestamp_utc TEXT,"
        " source TEXT, crc32 INTEGER, body TEXT, PRIMARY KEY (pdu_id, version));"
        "INSERT INTO kv VALUES ('command/id/x', 'not json'), ('control/p/outlet/1/hold', '{}'),"
        " ('calibration/p', '[]'), ('control/p/outlet/2/hold', ''), ('redfish/session/1', 's');"
    )
    cur = conn.cursor()
    move_kv_rows(cur, "?")
    left = dict(conn.execute("SELECT key, value FROM kv").fetchall())
    conn.close()
    assert left == {
        "command/id/x": "not json",
        "control/p/outlet/1/hold": "{}",
        "calibration/p": "[]",
        "redfish/session/1": "s",
    }
