"""The per-second energy journal: slots, torn writes, restore from the newest copy, cadence."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from smartpdu.app import build_demo_runtime
from smartpdu.metering.registers import EnergyRegisters
from smartpdu.runtime.energy_journal import (
    BANK_CHANNEL,
    JOURNAL_NAMES,
    EnergyJournal,
    pack_bank,
    unpack_bank,
)
from smartpdu.runtime.writer import StoreWriter
from smartpdu.storage import EnergyRegisterState
from smartpdu.storage.sqlite_store import SqliteStore

NOW = datetime(2026, 3, 1, tzinfo=UTC)
BANK = {"channels": ["inlet"], "sum": [[0.1 + 0.2, 1e-17]], "comp": [[5e-324, -0.0]]}


def test_pack_bank_round_trips_floats_bit_for_bit_and_reads_old_rows() -> None:
    packed = pack_bank(BANK)
    assert unpack_bank({"bank_z": packed}) == BANK
    assert unpack_bank({"bank": '{"sum": [0.30000000000000004]}'}) == {"sum": [0.30000000000000004]}
    assert unpack_bank({}) is None
    with pytest.raises(ValueError, match="unreadable"):
        unpack_bank({"bank_z": "not base64!"})


def test_a_bank_packed_as_array_bytes_restores_bit_for_bit() -> None:
    regs = EnergyRegisters(["outlet/1", "inlet"])
    rng = np.random.default_rng(3)
    for _ in range(50):
        p, q, s = rng.uniform(-10, 4000, (3, 2))
        regs.add(p, q, s, 0.2)
    regs._comp[0, 0, 1] = 5e-324  # subnormal and negative zero survive too
    regs._comp[1, 1, 0] = -0.0
    packed = pack_bank(regs.to_dict(arrays=True))
    assert unpack_bank({"bank_z": packed}) == regs.to_dict()  # the same plain data as before
    back = EnergyRegisters.from_dict(unpack_bank({"bank_z": packed}) or {})
    assert back._sum.tobytes() == regs._sum.tobytes()
    assert back._comp.tobytes() == regs._comp.tobytes()
    # the decimal-list packing of earlier releases restores to the same registers
    old = EnergyRegisters.from_dict(unpack_bank({"bank_z": pack_bank(regs.to_dict())}) or {})
    assert old._sum.tobytes() == regs._sum.tobytes()
    with pytest.raises(ValueError, match="unreadable"):
        unpack_bank({"bank_z": pack_bank({"sum": {"f64le": "%%%", "shape": [1]}})})
    with pytest.raises(ValueError, match="not of shape"):
        unpack_bank({"bank_z": pack_bank({"sum": {"f64le": "AAAA", "shape": [1]}})})


def test_slots_alternate_and_the_newest_intact_one_wins(tmp_path: Path) -> None:
    j = EnergyJournal(tmp_path)
    for seq in (1, 2, 3):
        j.write(seq, {"pdu-a": pack_bank({"n": seq}), "pdu-b": pack_bank({"n": -seq})})
    j.close()
    again = EnergyJournal(tmp_path)
    seq, banks = again.read() or (0, {})
    assert seq == 3 and again.seq == 3
    assert unpack_bank({"bank_z": banks["pdu-b"]}) == {"n": -3}
    # tear the newest slot (3 went to slot 1): the other, one second older, is used
    newest = tmp_path / JOURNAL_NAMES[1]
    data = bytearray(newest.read_bytes())
    data[-3] ^= 0xFF
    newest.write_bytes(bytes(data))
    assert (again.read() or (0, {}))[0] == 2
    (tmp_path / JOURNAL_NAMES[0]).write_bytes(b"garbage")
    assert again.read() is None


def _states(value: float, per_channel: bool) -> list[EnergyRegisterState]:
    out = [
        EnergyRegisterState(
            "pdu-a", BANK_CHANNEL, {"x": value}, NOW, {"bank_z": pack_bank({"v": value})}
        )
    ]
    if per_channel:
        out.append(EnergyRegisterState("pdu-a", "inlet", {"active_import_wh": value}, NOW))
    return out


def test_writer_journals_every_save_and_commits_only_per_channel_sets(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    journal = EnergyJournal(tmp_path)
    writer = StoreWriter(store, journal=journal)  # not started: flush drains in this thread
    for i in range(5):
        writer.submit_energy(_states(float(i), per_channel=i == 2))
        writer.flush()
    assert writer.stats.energy_journal_writes == 5 and writer.stats.energy_saves == 1
    stored = {s.channel: s for s in store.load_energy("pdu-a")}
    assert stored["inlet"].registers["active_import_wh"] == 2.0
    assert stored[BANK_CHANNEL].meta["seq"] == 3  # the journal's sequence number of that save
    seq, banks = journal.read() or (0, {})
    assert seq == 5 and unpack_bank({"bank_z": banks["pdu-a"]}) == {"v": 4.0}
    writer.flush_and_stop()
    store.close()


async def test_restart_takes_the_journal_when_it_is_newer_than_the_store(tmp_path: Path) -> None:
    rt = build_demo_runtime(tmp_path)
    async with rt:
        await rt.run_for(3.0)
        await rt.flush()
    stopped = rt.snapshot.pdus["pdu-a"].inlet.energy_wh
    # the journal later advanced (as it does every second before a kill -9): it must win
    journal = EnergyJournal(tmp_path)
    seq, banks = journal.read() or (0, {})
    assert seq > 0
    store = SqliteStore(tmp_path / "smartpdu.db")
    (bank_row,) = [s for s in store.load_energy("pdu-a") if s.channel == BANK_CHANNEL]
    assert bank_row.meta["seq"] == seq  # the stop saved the same bank to both
    bank = unpack_bank(bank_row.meta)
    assert bank is not None
    sums = bank["sum"]
    assert isinstance(sums, list)
    sums[0][0][-1] += 500.0  # +500 Wh of inlet import in the journal copy only
    journal.write(seq + 1, {**banks, "pdu-a": pack_bank(bank)})
    journal.close()
    store.close()
    rt2 = build_demo_runtime(tmp_path)
    async with rt2:
        after = rt2.snapshot.pdus["pdu-a"].inlet.energy_wh  # one window already measured
        assert stopped + 500.0 <= after < stopped + 501.0


CHILD = textwrap.dedent(
    """
    import sys
    from smartpdu.runtime.energy_journal import EnergyJournal, pack_bank
    j = EnergyJournal(sys.argv[1])
    seq = 0
    while True:
        seq += 1
        j.write(seq, {"pdu-a": pack_bank({"seq": seq, "pad": [0.1] * 2000})})
        print(seq, flush=True)
    """
)


def test_kill_9_keeps_the_last_written_slot(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert proc.stdout is not None
    last = 0
    try:
        for _ in range(200):
            last = int(proc.stdout.readline())
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        proc.stdout.close()
    seq, banks = EnergyJournal(tmp_path).read() or (0, {})
    assert seq >= last  # everything written before the kill is there, intact
    assert unpack_bank({"bank_z": banks["pdu-a"]}) is not None
