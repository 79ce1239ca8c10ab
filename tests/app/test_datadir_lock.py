"""Issue 11 item 5: one writer per data directory; calibrate refuses a running instance's dir."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smartpdu.app.datadir_lock import DataDirBusyError, DataDirLock
from smartpdu.cli import app
from smartpdu.storage import open_store

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "configs" / "demo-rack.yaml"


def _hold(
    path: str, ready: multiprocessing.synchronize.Event, done: multiprocessing.synchronize.Event
) -> None:  # type: ignore[name-defined]
    with DataDirLock(Path(path), "smartpdu run"):
        ready.set()
        done.wait(30)


def test_calibrate_refuses_a_data_dir_held_by_a_running_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The holder is not a server and no client profile exists: calibrate cannot go through an
    # instance either, says so, and writes nothing (tests/e2e/test_calibrate_running.py has the
    # path through a real running instance).
    monkeypatch.setenv("SMARTPDU_PROFILE", str(tmp_path / "no-profile.json"))
    for var in ("SMARTPDU_URL", "SMARTPDU_TOKEN", "SMARTPDU_USER", "SMARTPDU_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    ctx = multiprocessing.get_context("spawn")
    ready, done = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold, args=(str(tmp_path), ready, done))
    holder.start()
    try:
        assert ready.wait(60)
        res = CliRunner().invoke(
            app,
            [
                "calibrate",
                "--config",
                str(DEMO),
                "--outlet",
                "pdu-a/7",
                "--data-dir",
                str(tmp_path),
            ],
        )
        assert res.exit_code == 2, res.output
        assert "in use by pid" in res.output and "smartpdu run" in res.output
        assert "no credentials" in res.output
        store = open_store(f"sqlite:///{tmp_path / 'smartpdu.db'}")
        try:  # nothing was written into the running instance's chain
            assert store.events_since("pdu-a", 0, 10) == []
        finally:
            store.close()
    finally:
        done.set()
        holder.join(30)
    res = CliRunner().invoke(  # once the instance is gone, calibration goes ahead
        app,
        ["calibrate", "--config", str(DEMO), "--outlet", "pdu-a/7", "--data-dir", str(tmp_path)],
    )
    assert res.exit_code == 0, res.output


def test_the_lock_is_exclusive_and_released(tmp_path: Path) -> None:
    with DataDirLock(tmp_path, "first"), pytest.raises(DataDirBusyError, match="first"):
        DataDirLock(tmp_path, "second").acquire()
    with DataDirLock(tmp_path, "third"):
        pass
