"""`smartpdu events --follow` (latest N, then gapless) and `export energy` defaults, over HTTP."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

import httpx
from api_env import PASSWORDS, Served
from typer.testing import CliRunner

from smartpdu.cli.client_cmds import client_app, default_step

runner = CliRunner()


def test_follow_shows_the_latest_then_every_new_event_without_gaps(served: Served) -> None:
    h = served.env.h("viewer")
    for outlet in ("6", "7", "8"):  # a few events beyond the start-up one
        r = httpx.post(
            f"{served.url}/api/v1/pdus/pdu-b/outlets/{outlet}/actions/off",
            headers=served.env.h("op"),
            timeout=20,
        )
        assert r.status_code in (200, 202), r.text
    all_b = []
    since = 0
    while True:
        page = httpx.get(
            served.url + "/api/v1/events",
            params={"pdu_id": "pdu-b", "since_seq": since, "limit": 1000},
            headers=h,
        ).json()["events"]
        all_b += page
        if len(page) < 1000:
            break
        since = page[-1]["sequence_id"]
    assert len(all_b) > 3
    env = {**os.environ, "SMARTPDU_URL": served.url, "SMARTPDU_TOKEN": served.env.tokens["viewer"]}
    code = "from smartpdu.cli.client_cmds import client_app; client_app()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "events", "--follow", "--pdu", "pdu-b", "--limit", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()
    try:
        first = lines.get(timeout=30)
        seq0 = int(first.split()[0].split("#")[1])
        # the latest events, not the oldest (the log may have grown since the listing above)
        assert seq0 >= all_b[-2]["sequence_id"], (first, all_b[-2])
        r = httpx.post(
            served.url + "/api/v1/pdus/pdu-b/outlets/5/actions/off",
            headers=served.env.h("op"),
            timeout=20,
        )
        assert r.status_code in (200, 202), r.text
        seqs, seen = [seq0], [first]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any("OUTLET_OFF" in x for x in seen):
            line = lines.get(timeout=30)
            seen.append(line)
            seqs.append(int(line.split()[0].split("#")[1]))
        assert any("OUTLET_OFF" in x and "by user/op" in x for x in seen), seen
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs  # no gap
    finally:
        proc.kill()
        proc.wait(10)
        assert proc.stdout is not None
        proc.stdout.close()


def test_export_energy_defaults_to_today_in_minutes_and_says_so(served: Served) -> None:
    creds = ["--url", served.url, "--user", "viewer", "--password", PASSWORDS["viewer"]]
    r = runner.invoke(client_app, ["export", "energy", *creds])
    assert r.exit_code == 0, r.output
    assert "in 60 s steps" in r.output
    # the sim rack lives on 2026-01-01: today (wall clock) has no readings, and it says so
    if datetime.now(UTC).date().isoformat() != "2026-01-01":
        assert "no energy readings between" in r.output


def test_default_step_keeps_within_the_bucket_limit() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    assert default_step(t0, t0.replace(hour=23)) == 60
    month = datetime(2026, 2, 1, tzinfo=UTC)
    step = default_step(t0, month)
    assert step % 60 == 0 and (month - t0).total_seconds() / step <= 20_000
