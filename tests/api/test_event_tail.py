"""Gapless tailing (pure): the latest N over PDUs, then every new event after per-PDU cursors."""

from __future__ import annotations

from typing import Any

from smartpdu.cli.event_tail import PAGE, latest_events, poll_new


class FakeLog:
    """Per-PDU dense sequence ids, served oldest first in pages like ``GET /events``."""

    def __init__(self) -> None:
        self.events: dict[str, list[dict[str, Any]]] = {"a": [], "b": []}
        self.t = 0
        self.calls = 0

    def add(self, pid: str, n: int = 1) -> None:
        for _ in range(n):
            self.t += 1
            seq = len(self.events[pid]) + 1
            self.events[pid].append(
                {"pdu_id": pid, "sequence_id": seq, "timestamp_utc": f"2026-01-01T00:{self.t:06d}"}
            )

    def fetch(self, pid: str, since: int) -> list[dict[str, Any]]:
        self.calls += 1
        return [e for e in self.events[pid] if e["sequence_id"] > since][:PAGE]


def test_latest_n_across_pdus_then_no_gap() -> None:
    log = FakeLog()
    log.add("a", 2500)  # several pages
    log.add("b", 3)
    log.add("a", 2)
    tail, cursors = latest_events(log.fetch, ["a", "b"], 4)
    assert [(e["pdu_id"], e["sequence_id"]) for e in tail] == [
        ("b", 2),
        ("b", 3),
        ("a", 2501),
        ("a", 2502),
    ]
    assert cursors == {"a": 2502, "b": 3}
    assert poll_new(log.fetch, cursors) == []
    log.add("b", 1500)  # a burst larger than one page arrives between polls
    log.add("a", 1)
    new = poll_new(log.fetch, cursors)
    assert [e["sequence_id"] for e in new if e["pdu_id"] == "b"] == list(range(4, 1504))
    assert [e["sequence_id"] for e in new if e["pdu_id"] == "a"] == [2503]
    assert cursors == {"a": 2503, "b": 1503}


def test_resume_after_a_sequence_id() -> None:
    log = FakeLog()
    log.add("a", 10)
    cursors = {"a": 7}
    assert [e["sequence_id"] for e in poll_new(log.fetch, cursors)] == [8, 9, 10]
