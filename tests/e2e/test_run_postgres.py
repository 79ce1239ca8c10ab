"""`smartpdu run --db postgresql://…`: the controller on the real PostgreSQL server, restartable."""

from __future__ import annotations

import pytest

from smartpdu.storage import open_store

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def test_run_on_postgres_keeps_energy_across_restart(server, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    server.extra_args = ("--db", pg_url)
    server.start()
    with server.client() as c:
        outlets = c.get("/api/v1/pdus/pdu-b/outlets").json()
        assert len(outlets) == 24
        e1 = c.get("/api/v1/pdus/pdu-b").json()["inlet"]["energy_wh"]
    server.stop()
    server.start()
    with server.client() as c:
        e2 = c.get("/api/v1/pdus/pdu-b").json()["inlet"]["energy_wh"]
    assert e2 >= e1 > 0
    server.stop()
    store = open_store(pg_url)
    try:
        codes = [e.event_code for e in store.events_since("pdu-b", 0, 100)]
        assert codes.count("SYSTEM_START") == 2 and codes.count("SYSTEM_STOP") == 2
    finally:
        store.close()
