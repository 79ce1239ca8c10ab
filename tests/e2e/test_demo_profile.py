"""`smartpdu demo` for a newcomer: a predictable port (8080 or the next free one) and a client
profile, so `smartpdu status` works in another terminal without any flag."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

PASSWORD = "demo-admin-password-1"
SMARTPDU = [sys.executable, "-m", "smartpdu"]


def test_demo_takes_the_next_free_port_and_clients_use_its_profile(tmp_path: Path) -> None:
    profile = tmp_path / "config" / "profile.json"
    env = dict(os.environ, SMARTPDU_PROFILE=str(profile), SMARTPDU_ADMIN_PASSWORD=PASSWORD)
    env.pop("SMARTPDU_URL", None)
    env.pop("SMARTPDU_TOKEN", None)
    log = tmp_path / "demo.log"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        cmd = [*SMARTPDU, "demo", "--port", str(busy), "--data-dir", str(tmp_path / "state")]
        with log.open("wb") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            deadline = time.monotonic() + 90
            while not profile.exists():
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
            saved = json.loads(profile.read_text())
            assert saved["user"] == "admin" and saved["token"]
            assert PASSWORD not in profile.read_text()
            assert profile.stat().st_mode & 0o077 == 0
            port = int(saved["url"].rsplit(":", 1)[1])
            assert busy < port < busy + 100
            while saved["url"] not in log.read_text():  # the banner names the same URL
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
            status = subprocess.run(
                [*SMARTPDU, "status", "--json"], env=env, capture_output=True, timeout=60
            )
            assert status.returncode == 0, status.stderr.decode()
            pdus = json.loads(status.stdout)["pdus"]
            assert {p["id"] for p in pdus} == {"pdu-a", "pdu-b"}
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
    assert proc.returncode == 0, log.read_text()
