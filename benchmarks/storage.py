"""Storage throughput: 1 s readings (SQLite executemany vs PostgreSQL COPY), events, energy saves.

Prints rows/s and ratios measured in this run (``make bench``); PostgreSQL is skipped when it is
not reachable. No asserts: numbers only.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from smartpdu.events import DeviceKey, EventCode, EventLog, NewEvent
from smartpdu.storage import EnergyRegisterState, Reading, SqlStore, StoreError
from smartpdu.storage.postgres_store import PostgresStore
from smartpdu.storage.sqlite_store import SqliteStore

PG_URL = os.environ.get("SMARTPDU_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
T0 = datetime(2026, 3, 1, tzinfo=UTC)
CHANNELS = 60  # ~ two 24-outlet PDUs plus branches/phases/inlets
SECONDS = 120


def _write_bytes() -> int:
    """Bytes this process caused to be written to storage so far (``/proc/self/io``)."""
    try:
        with open("/proc/self/io") as fh:
            for line in fh:
                if line.startswith("write_bytes:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _bench(store: SqlStore) -> dict[str, float]:
    out: dict[str, float] = {}
    batches = [
        [
            Reading("pdu-a", f"outlet/{c}/power_w", T0 + timedelta(seconds=s), float(c + s))
            for c in range(CHANNELS)
        ]
        for s in range(SECONDS)
    ]
    t = time.perf_counter()
    w0 = _write_bytes()
    for batch in batches:  # one transaction per second of data, as the runtime writes it
        store.write_readings(batch)
    out["readings_rows_per_s"] = CHANNELS * SECONDS / (time.perf_counter() - t)
    # flash wear: 1 s readings of CHANNELS metrics, projected to a day (0 on PostgreSQL:
    # the server process writes, not this one)
    out["readings_mb_written_per_day"] = (_write_bytes() - w0) / SECONDS * 86400 / 1e6

    t = time.perf_counter()
    store.rollup(T0 + timedelta(seconds=SECONDS))
    out["rollup_ms"] = (time.perf_counter() - t) * 1e3

    states = [
        EnergyRegisterState("pdu-a", f"outlet/{c}", {"active_import_wh": c * 1.5}, T0)
        for c in range(CHANNELS)
    ]
    n = 100
    t = time.perf_counter()
    for _ in range(n):
        store.save_energy(states)
    out["energy_save_ms"] = (time.perf_counter() - t) * 1e3 / n

    clock_t = [T0]

    def clock() -> datetime:
        clock_t[0] += timedelta(milliseconds=1)
        return clock_t[0]

    log = EventLog(store, DeviceKey.generate(), clock, checkpoint_every=100)
    n = 500
    t = time.perf_counter()
    for i in range(n):
        log.append(
            NewEvent(
                pdu_id="pdu-a",
                source="outlet/1",
                event_code=EventCode.OUTLET_ON,
                message=f"e{i}",
                evidence={"i": i},
            )
        )
    out["events_per_s"] = n / (time.perf_counter() - t)
    # the tick's path: sealed at once, committed by the log's writer thread (group commit)
    t = time.perf_counter()
    for i in range(n):
        log.submit(
            [
                NewEvent(
                    pdu_id="pdu-a",
                    source="outlet/2",
                    event_code=EventCode.OUTLET_ON,
                    message=f"s{i}",
                    evidence={"i": i},
                    actor="bench",  # not rate limited
                )
            ]
        )
    submitted = time.perf_counter()
    log.flush()
    out["events_submit_us"] = (submitted - t) * 1e6 / n
    out["events_submitted_durable_per_s"] = n / (time.perf_counter() - t)
    log.close()
    return out


def main() -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for sync in ("NORMAL", "FULL"):
            store = SqliteStore(Path(tmp) / f"bench-{sync}.db", synchronous=sync)  # type: ignore[arg-type]
            results[f"sqlite_{sync.lower()}"] = _bench(store)
            store.close()
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    try:
        pg = PostgresStore(PG_URL, schema=schema, connect_timeout_s=3)
    except StoreError as exc:
        print(f"PostgreSQL skipped: {exc}")
    else:
        try:
            results["postgres"] = _bench(pg)
        finally:
            pg._conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
            pg.close()
    for name, r in results.items():
        print(f"{name:>14}: " + ", ".join(f"{k}={v:,.1f}" for k, v in r.items()))
    full, normal = results["sqlite_full"], results["sqlite_normal"]
    print(
        f"SQLite FULL/NORMAL event rate ratio: {full['events_per_s'] / normal['events_per_s']:.2f}"
    )
    print(
        "SQLite FULL submitted(group commit)/append event rate: "
        f"{full['events_submitted_durable_per_s'] / full['events_per_s']:.1f}"
    )
    if "postgres" in results:
        ratio = results["postgres"]["readings_rows_per_s"] / full["readings_rows_per_s"]
        print(f"PostgreSQL COPY / SQLite FULL readings rate: {ratio:.2f}")
    return results


if __name__ == "__main__":
    main()
