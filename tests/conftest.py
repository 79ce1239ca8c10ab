"""Suite-wide fixtures: a throw-away PostgreSQL schema on the real server; no leaked tasks."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator

import psycopg
import pytest
from hypothesis import settings
from psycopg import sql
from pytest_asyncio import is_async_test

# Property tests explore with a fixed seed: a CI run is reproducible and never flaky by chance;
# run with HYPOTHESIS_PROFILE=explore to search with fresh random examples.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

pytest_plugins = ["pytester"]  # tests/test_suite_guards.py runs scratch suites

PG_URL = os.environ.get("SMARTPDU_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """URL of a fresh schema on the real PostgreSQL server (dropped afterwards).

    An unreachable server fails the test (CI starts it with `make services`) unless
    SMARTPDU_SKIP_PG=1.
    """
    if os.environ.get("SMARTPDU_SKIP_PG") == "1":
        pytest.skip("SMARTPDU_SKIP_PG=1")
    schema = f"t_{uuid.uuid4().hex[:16]}"
    try:
        with psycopg.connect(PG_URL, connect_timeout=5):
            pass
    except psycopg.Error as exc:
        pytest.fail(f"PostgreSQL unreachable at {PG_URL}: {exc}; run `make services`")
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}schema={schema}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
async def _task_leak_check() -> AsyncIterator[None]:
    """Fail the test if tasks it started are still pending when its loop is about to close.

    Runs in the test's own loop and is torn down after the test's other fixtures, so tasks a
    fixture stops in its teardown are fine. Tasks get a few loop turns to finish a cancellation
    that was requested but not yet processed; whatever is still pending then leaked (the loop's
    shutdown would cancel it silently, hiding a missing ``await``/``cancel``/``close``).
    """
    yield
    me = asyncio.current_task()
    for _ in range(3):
        pending = [t for t in asyncio.all_tasks() if t is not me and not t.done()]
        if not pending:
            return
        await asyncio.sleep(0)
    names = ", ".join(sorted(f"{t.get_name()} ({t.get_coro()!r})" for t in pending))
    for t in pending:
        t.cancel()
    pytest.fail(f"test leaked {len(pending)} pending asyncio task(s): {names}", pytrace=False)


@pytest.fixture(autouse=True)
def _sse_streams_not_told_to_exit() -> None:
    """sse_starlette patches ``uvicorn.Server.handle_exit`` to set a process-global flag that
    ends every SSE stream and that nothing resets: a test that stops an in-process server with
    SIGINT (tests/app/test_start_config.py) ended the streams of a later test in the same
    xdist worker. In the product one process runs one server, so the flag means what it says."""
    from sse_starlette.sse import AppStatus

    AppStatus.should_exit = False


@pytest.fixture(autouse=True)
def _no_leaked_asyncio_tasks(request: pytest.FixtureRequest) -> None:
    """Every async test gets :func:`_task_leak_check` (sync tests have no loop to check)."""
    if is_async_test(request.node):
        request.getfixturevalue("_task_leak_check")
