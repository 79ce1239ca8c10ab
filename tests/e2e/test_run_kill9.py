"""Issue 4 acceptance: a real `smartpdu run` survives kill -9 with energy and the event chain intact."""

from __future__ import annotations

import sqlite3
import subprocess
import time

import pytest

pytestmark = pytest.mark.e2e


def _energy(client) -> tuple[float, float, dict[str, float]]:  # type: ignore[no-untyped-def]
    pdu = client.get("/api/v1/pdus/pdu-a").json()
    outlets = client.get("/api/v1/pdus/pdu-a/outlets").json()
    items = outlets["items"] if isinstance(outlets, dict) else outlets
    return (
        float(pdu["inlet"]["energy_wh"]),
        float(pdu["inlet"]["power_w"]),
        {o["id"]: float(o["energy_wh"]) for o in items},
    )


def _events(client) -> list[dict]:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/events", params={"pdu_id": "pdu-a", "since_seq": 0, "limit": 1000})
    r.raise_for_status()
    body = r.json()
    return body["events"] if isinstance(body, dict) else body


def _verify(server) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    return subprocess.run(
        [*server.cmd, "audit", "verify", "--db", server.db_url, "--data-dir", str(server.data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_kill9_keeps_energy_and_chain(server) -> None:  # type: ignore[no-untyped-def]
    server.start()
    with server.client() as c:
        outlets = c.get("/api/v1/pdus/pdu-a/outlets").json()
        items = outlets["items"] if isinstance(outlets, dict) else outlets
        assert len(items) == 24 and {"state", "current_a", "power_w", "energy_wh"} <= set(items[0])
        time.sleep(3.0)
        e_before, p_before, outlets_before = _energy(c)
        seq_before = max(e["sequence_id"] for e in _events(c))
    assert e_before > 0 and p_before > 1000
    server.kill9()

    server.start()
    with server.client() as c:
        e_after, p_after, outlets_after = _energy(c)
        events = _events(c)
    # Monotonic across the crash, and at most 2 s of load lost (persisted at least every second).
    max_loss_wh = 2.0 * max(p_before, p_after) / 3600.0
    assert e_after >= e_before - max_loss_wh, (e_before, e_after, max_loss_wh)
    for oid, before in outlets_before.items():
        assert outlets_after[oid] >= before - max_loss_wh, oid
    seqs = [e["sequence_id"] for e in events]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs)), "sequence_ids reused or unordered"
    assert seqs == list(range(1, len(seqs) + 1)), "gap in sequence_ids"
    assert max(seqs) > seq_before
    restart = [e for e in events if e["sequence_id"] > seq_before]
    assert any(e["event_code"] == "SYSTEM_START" for e in restart)
    # energy keeps growing after the restart
    time.sleep(1.5)
    with server.client() as c:
        e_later, _, _ = _energy(c)
    assert e_later > e_after
    server.stop()

    ok = _verify(server)
    assert ok.returncode == 0, ok.stdout + ok.stderr

    # Alter one stored event: verification must fail and name its sequence_id.
    db = sqlite3.connect(server.data_dir / "smartpdu.db")
    victim = 3
    rows = db.execute(
        "SELECT sequence_id FROM events WHERE pdu_id = 'pdu-a' AND sequence_id = ?", (victim,)
    ).fetchall()
    assert rows, "expected event 3 to exist"
    cols = [r[1] for r in db.execute("PRAGMA table_info(events)")]
    assert "message" in cols, cols
    db.execute(
        "UPDATE events SET message = message || ' (edited)' "
        "WHERE pdu_id = 'pdu-a' AND sequence_id = ?",
        (victim,),
    )
    db.commit()
    db.close()
    bad = _verify(server)
    assert bad.returncode != 0
    assert f"sequence_id {victim}" in (bad.stdout + bad.stderr) or f"#{victim}" in (
        bad.stdout + bad.stderr
    ), bad.stdout + bad.stderr
