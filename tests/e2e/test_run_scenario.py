"""`smartpdu run --scenario S` plays a timeline on the live twin of a real process (issue 13
item 1): the controller on the wall clock sees the physics change and logs it."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from e2e_env import DEMO, SMARTPDU, Server


def test_run_with_a_scenario_plays_it_on_the_live_twin(server: Server, tmp_path: Path) -> None:
    timeline = tmp_path / "blip.yaml"
    timeline.write_text(
        "name: blip\nsteps:\n"
        "  - {at: 2s, do: feed_loss, feed: A}\n"
        "  - {at: 4s, do: feed_restore, feed: A}\n"
    )
    server.extra_args = ("--scenario", str(timeline))
    server.start()
    codes: list[str] = []
    with server.client() as c:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            r = c.get("/api/v1/events", params={"limit": 500})
            r.raise_for_status()
            body = r.json()
            events = body["events"] if isinstance(body, dict) else body
            codes = [e["event_code"] for e in events]
            if "FEED_RESTORED" in codes:
                break
            time.sleep(0.5)
    assert "FEED_LOST" in codes and "FEED_RESTORED" in codes, codes
    assert codes.index("FEED_LOST") < codes.index("FEED_RESTORED")


def test_run_refuses_a_scenario_that_does_not_fit_the_rack(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nsteps:\n  - {at: 1s, do: lever, lever: nope, action: unlock}\n")
    proc = subprocess.run(
        [*SMARTPDU, "run", "--config", str(DEMO), "--data-dir", str(tmp_path / "d"),
         "--port", "0", "--scenario", str(bad)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "steps[0].lever" in proc.stderr
