"""Storage (issue 12 item 2): flash wear in MB/day and the steady-state database size, then
write throughput of events and energy saves on SQLite and PostgreSQL.

Flash wear: the demo rack (2 PDUs, 48 outlets) runs on the sim clock through the real runtime and
store writer for ``SMARTPDU_BENCH_STORAGE_S`` simulated seconds (default 960: 16 minutes, so the
1 min roll-up fills a whole 15-minute block). After every simulated second the benchmark waits
for the writer (so energy is saved once per second, as in real time, not coalesced), every 30
simulated seconds it fsyncs the database and WAL (what the kernel's writeback does to pages dirty
for 30 s), and at the end it runs a WAL checkpoint, so database-file writes are counted too. The
figure is ``/proc/self/io`` ``write_bytes`` over the run, extrapolated to a day.

Steady-state size: the blocks that run wrote (1 s blocks of a minute, the full 15-minute block of
1 min data) are inserted again into an empty store, the file growth per block measured, and
multiplied by the number of blocks 48 h of 1 s, 1 year of 1 min and 10 years of 1 h hold. The
run is shorter than a day, so a 1 h block (24 hourly columns) is made of the run's 1 min
columns relabelled as hours (hour averages are no noisier than minute averages).

Numbers are printed with their goal and met/unmet; nothing is asserted.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from smartpdu.app import build_demo_runtime
from smartpdu.events import DeviceKey, EventCode, EventLog, NewEvent
from smartpdu.storage import EnergyRegisterState, Reading, SqlStore, StoreError
from smartpdu.storage.packed import Block, decimals_for, decode, encode
from smartpdu.storage.postgres_store import PostgresStore
from smartpdu.storage.readings_sql import BLOCK_SPAN_S
from smartpdu.storage.records import Resolution
from smartpdu.storage.sqlite_store import SqliteStore

PG_URL = os.environ.get("SMARTPDU_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
SECONDS = int(os.environ.get("SMARTPDU_BENCH_STORAGE_S", "960"))
WRITEBACK_S = 30
GOAL_MB_PER_DAY = 300.0
GOAL_STEADY_GB = 1.0
KEEP = {Resolution.S1: 48 * 3600, Resolution.M1: 365 * 86400, Resolution.H1: 3650 * 86400}
T0 = datetime(2026, 3, 1, tzinfo=UTC)


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


def _fsync(*paths: Path) -> None:
    for p in paths:
        if p.exists():
            fd = os.open(p, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def _checkpoint(db: Path) -> None:
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


async def _flash_run(data: Path, seconds: int) -> dict[str, Any]:
    db = data / "smartpdu.db"
    wal = data / "smartpdu.db-wal"
    rt = build_demo_runtime(data)
    async with rt:
        await rt.run_for(5.0)
        await rt.flush()
        _checkpoint(db)
        _fsync(db, wal)
        w0, c0 = _write_bytes(), time.process_time()
        for s in range(seconds):
            await rt.run_for(1.0)
            await rt.flush()
            if s % WRITEBACK_S == WRITEBACK_S - 1:
                _fsync(db, wal)
        await rt.flush()
        _checkpoint(db)
        _fsync(db, wal)
        written, cpu = _write_bytes() - w0, time.process_time() - c0
        rows = rt.store._query(  # type: ignore[attr-defined]
            "SELECT resolution, pdu_id, t0, points, data FROM reading_blocks ORDER BY t0"
        )
        series = rt.store._query("SELECT key_id, key FROM reading_series")  # type: ignore[attr-defined]
    keys = {int(k): str(name) for k, name in series}
    return {"written": written, "cpu_s": cpu, "rows": rows, "keys": keys}


Sample = dict[tuple[Resolution, str], list[bytes]]


def _sample_blocks(rows: list[Any], keys: dict[int, str]) -> Sample:
    """Blocks of the run per (resolution, PDU): complete ones (partial only if none is)."""
    out: Sample = defaultdict(list)
    partial: Sample = defaultdict(list)
    for res, pdu, _t0, _points, data in rows:
        block = decode(data)
        full = (block.n > 0).all(axis=1).any()  # some key present in every step
        (out if full else partial)[(Resolution(res), pdu)].append(bytes(data))
    for key, blobs in partial.items():
        out[key] = out[key] or blobs
    for (res, pdu), blobs in list(out.items()):
        if res is not Resolution.M1:
            continue
        for m1 in (decode(d) for d in blobs):  # an hourly block: minute columns as hours
            reps = -(-24 // m1.steps)
            grids = [a.repeat(reps, axis=1)[:, :24] for a in (m1.n, m1.lo, m1.avg, m1.hi)]
            h1 = Block(m1.key_ids, grids[0] * 60, *grids[1:])
            dec = [decimals_for(keys[int(k)]) for k in m1.key_ids]
            out[(Resolution.H1, pdu)].append(encode(h1, dec))
    return out


def _bytes_per_block(samples: Sample, copies: int = 120) -> dict[tuple[Resolution, str], float]:
    """File growth per stored block, each sample inserted ``copies`` times into a fresh store."""
    out: dict[tuple[Resolution, str], float] = {}
    with tempfile.TemporaryDirectory() as d:
        for n, ((res, pdu), blobs) in enumerate(samples.items()):
            path = Path(d) / f"{n}.db"
            SqliteStore(path).close()
            conn = sqlite3.connect(path, isolation_level=None)
            base = path.stat().st_size
            conn.execute("BEGIN")
            for i in range(copies):
                conn.execute(
                    "INSERT INTO reading_blocks (resolution, t0, pdu_id, points, data) "
                    "VALUES (?,?,?,?,?)",
                    (res.value, i * BLOCK_SPAN_S[res], pdu, 1, blobs[i % len(blobs)]),
                )
            conn.execute("COMMIT")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.close()
            out[(res, pdu)] = (path.stat().st_size - base) / copies
    return out


def flash_and_size() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as d:
        run = asyncio.run(_flash_run(Path(d), SECONDS))
    mb_day = run["written"] / SECONDS * 86400 / 1e6
    samples = _sample_blocks(run["rows"], run["keys"])
    per_block = _bytes_per_block(samples)
    size: dict[str, float] = defaultdict(float)
    for (res, _pdu), nbytes in per_block.items():
        size[res.value] += KEEP[res] / BLOCK_SPAN_S[res] * nbytes
    total_gb = sum(size.values()) / 1e9
    s1 = {
        pdu: sum(map(len, blobs)) / len(blobs)
        for (res, pdu), blobs in samples.items()
        if res is Resolution.S1
    }
    out = {
        "simulated_s": SECONDS,
        "cpu_s": run["cpu_s"],
        "keys_stored": len(run["keys"]),
        "mb_written_per_day": mb_day,
        "bytes_per_1s_block_by_pdu": s1,
        "file_bytes_per_block": {f"{r.value} {p}": v for (r, p), v in per_block.items()},
        "steady_state_mb_by_resolution": {k: v / 1e6 for k, v in size.items()},
        "steady_state_gb": total_gb,
    }
    met = "met" if mb_day < GOAL_MB_PER_DAY else "UNMET"
    print(
        f"flash wear (demo rack, {SECONDS} simulated s, write_bytes incl. WAL and checkpoint): "
        f"{mb_day:,.0f} MB/day — goal < {GOAL_MB_PER_DAY:.0f} MB/day: {met}"
    )
    met = "met" if total_gb < GOAL_STEADY_GB else "UNMET"
    parts = ", ".join(f"{k} {v / 1e6:,.0f} MB" for k, v in size.items())
    print(
        f"steady-state database (48 h of 1 s, 1 y of 1 min, 10 y of 1 h; {len(run['keys'])} "
        f"keys): {total_gb:.2f} GB ({parts}) — goal < {GOAL_STEADY_GB:.0f} GB: {met}"
    )
    blocks = ", ".join(f"{p} {v:,.0f} B" for p, v in s1.items())
    print(f"  packed 1 s block (one minute): {blocks}; CPU {run['cpu_s']:.1f} s for the run")
    return out


def _throughput(store: SqlStore) -> dict[str, float]:
    out: dict[str, float] = {}
    channels = 140  # keys of one demo PDU
    minute = [
        Reading("pdu-a", f"outlet/{c}/power_w", T0 + timedelta(seconds=s), float(c + s % 7))
        for s in range(60)
        for c in range(channels)
    ]
    t = time.perf_counter()
    store.write_readings(minute)  # one batch per minute, as the persist stage writes it
    out["readings_rows_per_s"] = len(minute) / (time.perf_counter() - t)
    t = time.perf_counter()
    store.rollup(T0 + timedelta(seconds=60))
    out["rollup_ms"] = (time.perf_counter() - t) * 1e3

    states = [
        EnergyRegisterState("pdu-a", f"outlet/{c}", {"active_import_wh": c * 1.5}, T0)
        for c in range(60)
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
    n = 300
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
    log.close()
    return out


def main() -> dict[str, Any]:
    results: dict[str, Any] = {"flash": flash_and_size()}
    with tempfile.TemporaryDirectory() as tmp:
        for sync in ("NORMAL", "FULL"):
            store = SqliteStore(Path(tmp) / f"bench-{sync}.db", synchronous=sync)  # type: ignore[arg-type]
            results[f"sqlite_{sync.lower()}"] = _throughput(store)
            store.close()
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    try:
        pg = PostgresStore(PG_URL, schema=schema, connect_timeout_s=3)
    except StoreError as exc:
        print(f"PostgreSQL skipped: {exc}")
    else:
        try:
            results["postgres"] = _throughput(pg)
        finally:
            pg._conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
            pg.close()
    for name in ("sqlite_normal", "sqlite_full", "postgres"):
        if name in results:
            r = results[name]
            print(f"{name:>14}: " + ", ".join(f"{k}={v:,.1f}" for k, v in r.items()))
    full, normal = results["sqlite_full"], results["sqlite_normal"]
    print(
        f"SQLite FULL/NORMAL event rate ratio: {full['events_per_s'] / normal['events_per_s']:.2f}"
    )
    return results


if __name__ == "__main__":
    main()
