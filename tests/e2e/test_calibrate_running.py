"""`smartpdu calibrate` on the data dir of a running `smartpdu run` goes through its API
(issue 11 item 5): the instance stores, applies and audits the set; its chain stays valid."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest
from e2e_env import ADMIN_PASSWORD, DEMO, SMARTPDU

pytestmark = pytest.mark.e2e


def _calibrate(server, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    cmd = [*SMARTPDU, "calibrate", "--config", str(DEMO), "--outlet", "pdu-a/7"]
    cmd += ["--data-dir", str(server.data_dir), "--json", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)


def test_calibrate_a_running_instance_through_its_api(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTPDU_")}
    env["SMARTPDU_PROFILE"] = str(tmp_path / "profile.json")

    # 1. With explicit credentials.
    done = _calibrate(server, env, "--url", server.url, "--user", "admin", "--password",
                      ADMIN_PASSWORD)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "through the running instance" in done.stderr
    assert json.loads(done.stdout)["version"] == 1

    # 2. With the client profile (URL + token, no password), as after `make demo`.
    token = httpx.post(
        f"{server.url}/api/v1/auth/login",
        json={"username": "admin", "password": ADMIN_PASSWORD},
        timeout=10,
    ).json()["token"]
    profile = {"url": server.url, "user": "admin", "token": token, "expires_utc": "2999-01-01"}
    Path(env["SMARTPDU_PROFILE"]).write_text(json.dumps(profile))
    done = _calibrate(server, env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["version"] == 2

    # The instance keeps working (the original bug: every login and command 500 afterwards)
    # and recorded both calibrations in its own chain, with the API user as actor.
    with server.client() as c:
        page = c.get("/api/v1/events", params={"pdu_id": "pdu-a", "limit": 1000}).json()
        cal = [e for e in page["events"] if e["event_code"] == "CALIBRATION_CHANGED"]
        assert [(e["actor"], e["evidence"]["version"]) for e in cal] == [
            ("user/admin", 1),
            ("user/admin", 2),
        ]
        assert c.post("/api/v1/pdus/pdu-a/outlets/7/actions/off", json={}).status_code == 200
    server.stop()
    verify = subprocess.run(
        [*SMARTPDU, "audit", "verify", "--db", server.db_url, "--data-dir", str(server.data_dir)],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stdout + verify.stderr
