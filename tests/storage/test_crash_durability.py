"""kill -9 mid-writing on SQLite: every committed event and energy value survives."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

from smartpdu.events import EventCode, EventLog, NewEvent, audit_verify, load_or_create_device_key
from smartpdu.events.signing import PUBLIC_KEY_FILENAME, load_public_key
from smartpdu.storage.sqlite_store import SqliteStore

CHILD = textwrap.dedent(
    """
    import itertools, sys
    from datetime import UTC, datetime, timedelta
    from smartpdu.events import EventCode, EventLog, NewEvent, load_or_create_device_key
    from smartpdu.storage import EnergyRegisterState
    from smartpdu.storage.sqlite_store import SqliteStore

    data = sys.argv[1]
    store = SqliteStore(data + "/pdu.db")
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    ticks = itertools.count()
    clock = lambda: t0 + timedelta(milliseconds=next(ticks))
    log = EventLog(store, load_or_create_device_key(data), clock, checkpoint_every=7)
    energy = 0.0
    for i in itertools.count():
        ev = log.append(NewEvent(pdu_id="pdu-a", source="outlet/1",
                                 event_code=EventCode.OUTLET_ON, message=f"tick {i}",
                                 evidence={"i": i}))
        energy += 0.37
        store.save_energy([EnergyRegisterState("pdu-a", "outlet/1",
                                               {"active_import_wh": energy}, clock())])
        print(ev.sequence_id, repr(energy), flush=True)  # both are committed at this point
    """
)


def run_and_kill(data: Path, lines_before_kill: int) -> tuple[int, float]:
    script = data / "child.py"
    script.write_text(CHILD)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(data)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    last_seq, last_energy = 0, 0.0
    try:
        for _ in range(lines_before_kill):
            line = proc.stdout.readline()
            assert line, f"child exited early with {proc.poll()}"
            seq_text, energy_text = line.split()
            last_seq, last_energy = int(seq_text), float(energy_text)
        os.kill(proc.pid, signal.SIGKILL)  # while it keeps writing
    finally:
        proc.wait(timeout=30)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    return last_seq, last_energy


def test_kill_9_loses_nothing_committed(tmp_path: Path) -> None:
    last_seq, last_energy = run_and_kill(tmp_path, 300)
    store = SqliteStore(tmp_path / "pdu.db")
    events = store.events_since("pdu-a", 0, 100_000)
    seqs = [e.sequence_id for e in events]
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) >= last_seq
    (energy,) = store.load_energy("pdu-a")
    assert energy.registers["active_import_wh"] >= last_energy
    public = load_public_key(tmp_path / PUBLIC_KEY_FILENAME)
    res = audit_verify(store, "pdu-a", public)
    assert res.ok, res.reason
    assert res.checkpoints_checked >= last_seq // 7

    # Restart: the sequence continues after the last committed event, never reusing one.
    key = load_or_create_device_key(tmp_path)
    t = datetime(2026, 3, 2, tzinfo=UTC)
    log = EventLog(store, key, lambda: t + timedelta(seconds=1))
    ev = log.append(
        NewEvent(
            pdu_id="pdu-a",
            source="system",
            event_code=EventCode.SYSTEM_START,
            message="restarted after crash",
        )
    )
    assert ev.sequence_id == seqs[-1] + 1
    log.close()
    assert audit_verify(store, "pdu-a", key.public_key).ok
    store.close()

    # A second crash on top of the restarted log keeps the chain intact as well.
    last_seq2, _ = run_and_kill(tmp_path, 50)
    store = SqliteStore(tmp_path / "pdu.db")
    assert audit_verify(store, "pdu-a", public).ok
    last = store.last_event("pdu-a")
    assert last is not None and last.sequence_id >= last_seq2 > ev.sequence_id
    store.close()
