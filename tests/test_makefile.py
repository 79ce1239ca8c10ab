"""The newcomer's two commands: `make demo` installs only what the demo runs (issue 11 item 22),
`make test` adds the test tools. Checked with `make -n` against a venv path that does not exist, so
make plans every install step without running any."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _planned(target: str, tmp_path: Path) -> str:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    result = subprocess.run(
        ["make", "-n", target, f"VENV={tmp_path / 'no-venv'}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def test_demo_installs_runtime_dependencies_only(tmp_path: Path) -> None:
    plan = _planned("demo", tmp_path)
    installs = [line for line in plan.splitlines() if "pip install" in line and "-e" in line]
    assert installs, plan
    assert all("[test]" not in line for line in installs), installs


def test_test_target_installs_the_test_extra(tmp_path: Path) -> None:
    plan = _planned("test", tmp_path)
    assert any("pip install" in line and "'.[test]'" in line for line in plan.splitlines()), plan
