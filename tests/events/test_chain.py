"""Hash chain and signed checkpoints: every kind of tampering names the first bad sequence_id."""

from __future__ import annotations

import dataclasses

import pytest

from smartpdu.events import (
    GENESIS_HASH,
    Checkpoint,
    DeviceKey,
    Event,
    EventCode,
    NewEvent,
    chain_hash,
    seal,
    verify_chain,
)

KEY = DeviceKey.generate()
TS = "2026-03-01T12:00:00.000000Z"


def make_chain(n: int, pdu_id: str = "pdu-a") -> list[Event]:
    out, prev = [], GENESIS_HASH
    for i in range(1, n + 1):
        d = NewEvent(
            pdu_id=pdu_id,
            source=f"outlet/{i}",
            event_code=EventCode.OUTLET_OFF,
            message=f"off {i}",
            evidence={"i": i},
        )
        ev = seal(d, i, TS, prev)
        out.append(ev)
        prev = ev.hash
    return out


def cps(events: list[Event], at: list[int], key: DeviceKey = KEY) -> list[Checkpoint]:
    return [Checkpoint.create(key, events[s - 1], TS) for s in at]


def rehash(ev: Event, prev: str | None = None) -> Event:
    """What an attacker with the code (but not the key) can do: recompute the hash."""
    ev = dataclasses.replace(ev, prev_hash=prev if prev is not None else ev.prev_hash)
    return dataclasses.replace(ev, hash=chain_hash(ev.prev_hash, ev.canonical_body()))


def test_untouched_chain_verifies() -> None:
    evs = make_chain(20)
    res = verify_chain(evs, cps(evs, [10, 20]), KEY.public_key)
    assert res.ok and res.first_bad_sequence_id is None
    assert (res.events_checked, res.checkpoints_checked) == (20, 2)
    assert verify_chain([], [], KEY.public_key).ok


@pytest.mark.parametrize(
    "field",
    [
        "message",
        "source",
        "actor",
        "timestamp_utc",
        "severity",
        "evidence",
        "event_code",
        "action_taken",
        "reason_code",
    ],
)
def test_altering_any_field_names_that_event(field: str) -> None:
    evs = make_chain(10)
    value = {
        "evidence": {"i": 999},
        "severity": "critical",
        "timestamp_utc": "2026-03-01T12:00:00.000001Z",
    }
    evs[6] = dataclasses.replace(evs[6], **{field: value.get(field, "tampered")})
    res = verify_chain(evs, cps(evs, [10]), KEY.public_key)
    assert not res.ok and res.first_bad_sequence_id == 7 and "altered" in res.reason
    assert res.events_checked == 6


def test_deleting_an_event_names_the_gap() -> None:
    evs = make_chain(10)
    del evs[3]
    res = verify_chain(evs, [], KEY.public_key)
    assert (res.ok, res.first_bad_sequence_id) == (False, 4)
    assert "gap" in res.reason and "4 is missing" in res.reason


def test_deleting_the_first_event_is_detected() -> None:
    res = verify_chain(make_chain(5)[1:], [], KEY.public_key)
    assert res.first_bad_sequence_id == 1


def test_reordering_is_detected() -> None:
    evs = make_chain(10)
    evs[4], evs[5] = evs[5], evs[4]
    res = verify_chain(evs, [], KEY.public_key)
    assert (res.ok, res.first_bad_sequence_id) == (False, 5) and "reordered" in res.reason


def test_duplicate_is_detected() -> None:
    evs = make_chain(5)
    res = verify_chain(evs[:3] + evs[2:], [], KEY.public_key)
    assert (res.ok, res.first_bad_sequence_id) == (False, 3)


def test_altered_and_rehashed_event_is_named_not_its_successor() -> None:
    evs = make_chain(10)
    evs[2] = rehash(dataclasses.replace(evs[2], message="nothing happened"))
    res = verify_chain(evs, [], KEY.public_key)
    assert (res.ok, res.first_bad_sequence_id) == (False, 3) and "re-hashed" in res.reason


def test_rewriting_the_whole_tail_is_caught_by_a_checkpoint() -> None:
    evs = make_chain(30)
    checkpoints = cps(evs, [10, 20, 30])
    evs[14] = dataclasses.replace(evs[14], message="rewritten")
    prev = evs[13].hash
    for i in range(14, 30):  # attacker re-chains everything after the change
        evs[i] = rehash(evs[i], prev)
        prev = evs[i].hash
    assert verify_chain(evs, [], KEY.public_key).ok  # the chain alone cannot see it ...
    res = verify_chain(evs, checkpoints, KEY.public_key)  # ... the signed checkpoint can
    assert (res.ok, res.first_bad_sequence_id) == (False, 11) and "rewritten" in res.reason


def test_truncated_tail_is_caught_by_a_checkpoint() -> None:
    evs = make_chain(20)
    res = verify_chain(evs[:15], cps(evs, [10, 20]), KEY.public_key)
    assert (res.ok, res.first_bad_sequence_id) == (False, 16) and "missing" in res.reason
    assert verify_chain(
        evs[:15], cps(evs, [10]), KEY.public_key
    ).ok  # tail after last cp: unknowable


def test_forged_or_foreign_checkpoints_fail() -> None:
    evs = make_chain(10)
    (cp,) = cps(evs, [10])
    forged = dataclasses.replace(cp, signature="00" * 64)
    res = verify_chain(evs, [forged], KEY.public_key)
    assert (res.ok, res.first_bad_sequence_id) == (False, 10) and "signature" in res.reason
    other = DeviceKey.generate()
    res = verify_chain(evs, cps(evs, [10], other), KEY.public_key)
    assert not res.ok and "signed by key" in res.reason
    moved = dataclasses.replace(cp, sequence_id=5)  # signature covers sequence_id
    assert not verify_chain(evs, [moved], KEY.public_key).ok


def test_events_of_another_pdu_break_the_chain() -> None:
    a, b = make_chain(5, "pdu-a"), make_chain(5, "pdu-b")
    res = verify_chain(a[:2] + b[2:], [], KEY.public_key)
    assert (res.ok, res.first_bad_sequence_id) == (False, 3)
