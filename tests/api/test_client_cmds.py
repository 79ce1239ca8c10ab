"""CLI client commands against a real server over HTTP, and offline ``audit verify``."""

from __future__ import annotations

import csv
import io
import json
import os
import queue
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx
from api_env import PASSWORDS, Served
from typer.testing import CliRunner

from smartpdu.app import build_demo_runtime
from smartpdu.cli.client_cmds import client_app
from smartpdu.storage import Reading

runner = CliRunner()


def creds(s: Served, user: str = "viewer") -> list[str]:
    return ["--url", s.url, "--user", user, "--password", PASSWORDS[user]]


def test_status_table_and_json(served: Served) -> None:
    r = runner.invoke(client_app, ["status", *creds(served)])
    assert r.exit_code == 0, r.output
    assert "pdu-a" in r.output and "pdu-b" in r.output and "Outlets of pdu-a" in r.output
    r = runner.invoke(client_app, ["status", "--json", "--pdu", "pdu-b", *creds(served)])
    data = json.loads(r.output)
    assert [p["id"] for p in data["pdus"]] == ["pdu-b"]
    assert {"state", "current_a", "power_w", "energy_wh"} <= set(data["outlets"]["pdu-b"][0])


def test_status_errors(served: Served) -> None:
    r = runner.invoke(client_app, ["status", "--url", served.url])
    assert r.exit_code == 2 and "no credentials" in r.output
    r = runner.invoke(
        client_app, ["status", "--url", served.url, "--user", "viewer", "--password", "wrong-pw"]
    )
    assert r.exit_code == 2 and "401" in r.output
    r = runner.invoke(client_app, ["status", "--url", served.url, "--token", "bogus"])
    assert r.exit_code == 1 and "401" in r.output
    r = runner.invoke(client_app, ["status", "--url", "http://127.0.0.1:9", "--token", "x"])
    assert r.exit_code == 1 and "cannot reach" in r.output


def test_events_backlog(served: Served) -> None:
    r = runner.invoke(client_app, ["events", "--pdu", "pdu-a", "--limit", "3", *creds(served)])
    assert r.exit_code == 0, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 3 and lines[0].startswith("pdu-a#1 ")
    r = runner.invoke(
        client_app, ["events", "--json", "--since-seq", "2", "--pdu", "pdu-a", *creds(served)]
    )
    first = json.loads(r.output.splitlines()[0])
    assert first["sequence_id"] == 3


def test_events_follow_streams_new_events(served: Served) -> None:
    env = {**os.environ, "SMARTPDU_URL": served.url, "SMARTPDU_TOKEN": served.env.tokens["viewer"]}
    code = "from smartpdu.cli.client_cmds import client_app; client_app()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "events", "--follow", "--pdu", "pdu-b", "--limit", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True)
    reader.start()
    try:
        assert lines.get(timeout=30).startswith("pdu-b#")  # the backlog
        time.sleep(1.0)  # let the stream subscribe
        h = served.env.h("op")
        r = httpx.post(
            served.url + "/api/v1/pdus/pdu-b/outlets/5/actions/off", headers=h, timeout=20
        )
        assert r.status_code in (200, 202), r.text
        deadline = time.monotonic() + 30
        seen = []
        while time.monotonic() < deadline:
            line = lines.get(timeout=30)
            seen.append(line)
            if "OUTLET_OFF" in line:
                break
        assert any("OUTLET_OFF" in x and "by user/op" in x for x in seen), seen
    finally:
        proc.kill()
        proc.wait(10)
        reader.join(10)  # EOF after the kill; then close the pipes (no ResourceWarning)
        proc.stdout.close()
        proc.stderr.close()


def test_export_energy_csv_and_json(served: Served, tmp_path: Path) -> None:
    rt = served.env.runtime
    t0 = (rt.now_utc() - timedelta(days=5)).replace(minute=0, second=0, microsecond=0)
    rows = [
        Reading("pdu-a", "outlet/2/energy_wh", t0 + timedelta(seconds=s), 100.0 + s / 36)
        for s in range(0, 7200, 1)
    ]
    rt.store.write_readings(rows)
    rt.store.rollup(t0 + timedelta(hours=3))
    args = ["--from", t0.isoformat(), "--to", (t0 + timedelta(hours=2)).isoformat()]
    args += ["--step", "3600"]  # the default step is 60 s
    out = tmp_path / "e.csv"
    r = runner.invoke(
        client_app,
        [
            "export",
            "energy",
            *args,
            "--pdu",
            "pdu-a",
            "--channel",
            "outlet/2",
            "-o",
            str(out),
            *creds(served),
        ],
    )
    assert r.exit_code == 0, r.output
    recs = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [x["channel"] for x in recs] == ["outlet/2", "outlet/2"]
    # 100 Wh/h: the second hour's delta is exactly 100 Wh (register rises 1/36 Wh per s)
    assert abs(float(recs[1]["delta_wh"]) - 100.0) < 1e-6
    r = runner.invoke(
        client_app,
        [
            "export",
            "energy",
            *args,
            "--format",
            "json",
            "--pdu",
            "pdu-a",
            "--channel",
            "outlet/2",
            *creds(served),
        ],
    )
    data = json.loads(r.output)
    assert data["pdus"][0]["channels"][0]["points"][1]["delta_wh"] == float(recs[1]["delta_wh"])
    r = runner.invoke(client_app, ["export", "energy", "--format", "xml", *creds(served)])
    assert r.exit_code != 0


async def test_audit_verify_ok_then_tampered(tmp_path: Path) -> None:
    async with build_demo_runtime(tmp_path, sim=True) as rt:
        await rt.run_ticks(5)
    r = runner.invoke(client_app, ["audit", "verify", "--data-dir", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert "OK pdu-a" in r.output and "OK pdu-b" in r.output
    db = tmp_path / "smartpdu.db"
    with sqlite3.connect(db) as con:
        n = con.execute("SELECT COUNT(*) FROM events WHERE pdu_id = 'pdu-a'").fetchone()[0]
        assert n >= 2
        con.execute(
            "UPDATE events SET message = 'nothing happened' WHERE pdu_id = 'pdu-a' AND sequence_id = 2"
        )
    r = runner.invoke(
        client_app, ["audit", "verify", "--db", f"sqlite:///{db}", "--data-dir", str(tmp_path)]
    )
    assert r.exit_code == 1, r.output
    assert "first bad sequence_id 2" in r.output


def test_audit_verify_without_key(tmp_path: Path) -> None:
    r = runner.invoke(client_app, ["audit", "verify", "--data-dir", str(tmp_path)])
    assert r.exit_code == 2 and "public key" in r.output
