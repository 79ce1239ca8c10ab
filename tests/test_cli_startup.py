"""The CLI starts without the heavy stack and still reaches every command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smartpdu.cli import app
from smartpdu.cli.main import COMMANDS, load_command

SRC = Path(__file__).resolve().parents[1] / "src"
HEAVY = ("numpy", "scipy", "numba", "fastapi", "httpx", "uvicorn", "psycopg")


def test_help_does_not_import_the_heavy_stack() -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "smartpdu", "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "twin" in proc.stdout and "calibrate" in proc.stdout
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert "smartpdu.cli.main" in imported  # the probe sees our own imports
    loaded = sorted(m for m in imported if m.split(".")[0] in HEAVY)
    assert not loaded, f"`smartpdu --help` imported {loaded[:10]}"


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_registered_command_loads_and_its_listed_help_is_its_own(name: str) -> None:
    cmd = load_command(name)
    assert cmd.name == name
    assert cmd.get_short_help_str(limit=500) == COMMANDS[name][2]
    result = CliRunner().invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_unknown_command_is_a_clear_usage_error() -> None:
    result = CliRunner().invoke(app, ["nope"])
    assert result.exit_code == 2
    assert "No such command" in result.output
