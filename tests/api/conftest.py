"""API test fixtures: the REAL demo runtime on the twin (sim clock stepped by a background
ticker), auth with three users, an in-process client and a real uvicorn server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from api_env import Env, Served, running, serve


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    async with running(tmp_path) as e:
        yield e


@pytest.fixture
async def client(env: Env) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=env.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with serve(tmp_path) as s:
        yield s


@pytest.fixture(scope="module")
def served_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    # with the delivery core and webhooks, as `smartpdu run` serves them
    with serve(tmp_path_factory.mktemp("served"), delivery=True) as s:
        yield s
