"""Helpers for end-to-end tests: real `smartpdu` subprocesses on free loopback ports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_env import Server, free_port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(data_dir=tmp_path / "data", port=free_port())
    srv.data_dir.mkdir()
    yield srv
    srv.stop()
