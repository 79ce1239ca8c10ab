"""Migration 5's data step: the per-row reading tables (release ≤ 4) become packed blocks.

Written once for both backends. Rows are read a day at a time per table (bounded memory on a
large database), grouped into the blocks of :data:`~smartpdu.storage.readings_sql.BLOCK_SPAN_S`
and inserted; then the old tables are dropped. Every row stays readable with the same
min/avg/max/count through ``history``.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np

from smartpdu.storage.packed import Block, Cells, decimals_for, encode, split_by_block
from smartpdu.storage.readings_sql import BLOCK_SPAN_S
from smartpdu.storage.records import Resolution

__all__ = ["NEW_TABLES_PG", "NEW_TABLES_SQLITE", "pack_reading_rows"]

_OLD: Final = {
    Resolution.S1: "readings_1s",
    Resolution.M1: "readings_1m",
    Resolution.H1: "readings_1h",
}
_WINDOW_S: Final = 86400

NEW_TABLES_SQLITE: Final = (
    "CREATE TABLE reading_series (key_id INTEGER PRIMARY KEY, pdu_id TEXT NOT NULL,"
    " key TEXT NOT NULL, UNIQUE (pdu_id, key))",
    # one B-tree (no rowid, no second index): a block write touches its leaf and overflow pages
    "CREATE TABLE reading_blocks (resolution TEXT NOT NULL, t0 INTEGER NOT NULL,"
    " pdu_id TEXT NOT NULL, points INTEGER NOT NULL, data BLOB NOT NULL,"
    " PRIMARY KEY (resolution, t0, pdu_id)) WITHOUT ROWID",
)
NEW_TABLES_PG: Final = (
    "CREATE TABLE reading_series (key_id BIGINT PRIMARY KEY, pdu_id TEXT NOT NULL,"
    ' key TEXT COLLATE "C" NOT NULL, UNIQUE (pdu_id, key))',
    "CREATE TABLE reading_blocks (resolution TEXT NOT NULL, t0 BIGINT NOT NULL,"
    " pdu_id TEXT NOT NULL, points BIGINT NOT NULL, data BYTEA NOT NULL,"
    " PRIMARY KEY (resolution, t0, pdu_id))",
    # blocks are zlib already: TOAST need not try to compress them again
    "ALTER TABLE reading_blocks ALTER COLUMN data SET STORAGE EXTERNAL",
)


def pack_reading_rows(cur: Any, ph: str) -> None:
    """Move every row of ``readings_1s/1m/1h`` into ``reading_blocks``; drop the old tables."""
    ids: dict[tuple[str, str], int] = {}
    keys: dict[int, str] = {}
    insert = (
        "INSERT INTO reading_blocks (resolution, pdu_id, t0, points, data) "
        f"VALUES ({ph},{ph},{ph},{ph},{ph})"
    )
    for res, table in _OLD.items():
        cur.execute(f"SELECT MIN(ts), MAX(ts) FROM {table}")
        first, last = cur.fetchone()
        if first is None:
            continue
        span, step = BLOCK_SPAN_S[res], res.seconds
        start = (int(first) // _WINDOW_S) * _WINDOW_S
        for lo in range(start, int(last) + 1, _WINDOW_S):
            cur.execute(
                f"SELECT pdu_id, key, ts, n, v_min, v_avg, v_max FROM {table} "
                f"WHERE ts >= {ph} AND ts < {ph}",
                (lo, lo + _WINDOW_S),
            )
            rows = cur.fetchall()
            by_pdu: dict[str, list[tuple[int, int, int, float, float, float]]] = {}
            for pdu, key, ts, n, v_min, v_avg, v_max in rows:
                kid = ids.setdefault((pdu, key), len(ids) + 1)
                keys[kid] = key
                by_pdu.setdefault(pdu, []).append((kid, int(ts), int(n), v_min, v_avg, v_max))
            out = []
            for pdu, items in by_pdu.items():
                a = np.array(items, dtype=np.float64)
                ints = np.array([i[:3] for i in items], dtype=np.int64)
                cells = Cells(ints[:, 0], ints[:, 1], ints[:, 2], a[:, 3], a[:, 4], a[:, 5])
                for t0, part in split_by_block(cells, span).items():
                    block = Block.empty(span // step).put(part, t0, step)
                    dec = [decimals_for(keys[int(k)]) for k in block.key_ids]
                    out.append((res.value, pdu, t0, block.points(), encode(block, dec)))
            for row in out:
                cur.execute(insert, row)
    for (pdu, key), kid in sorted(ids.items(), key=lambda kv: kv[1]):
        cur.execute(
            f"INSERT INTO reading_series (key_id, pdu_id, key) VALUES ({ph},{ph},{ph})",
            (kid, pdu, key),
        )
    for table in _OLD.values():
        cur.execute(f"DROP TABLE {table}")
