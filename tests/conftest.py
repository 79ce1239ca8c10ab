"""Suite-wide fixtures: a throw-away PostgreSQL schema on the real server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from hypothesis import settings
from psycopg import sql

# Property tests explore with a fixed seed: a CI run is reproducible and never flaky by chance;
# run with HYPOTHESIS_PROFILE=explore to search with fresh random examples.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

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
