"""Event model: validation, canonical JSON, JSON round-trip, timestamps."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from smartpdu.events import (
    GENESIS_HASH,
    Action,
    Event,
    EventCode,
    NewEvent,
    Severity,
    canonical_json,
    format_timestamp,
    parse_timestamp,
    seal,
)


def draft(**kw: object) -> NewEvent:
    base: dict[str, object] = {
        "pdu_id": "pdu-a",
        "source": "branch/B",
        "event_code": EventCode.BRANCH_OVERLOAD,
        "message": "Branch B at 17.2 A (limit 16 A)",
        "evidence": {"value": 17.2, "limit": 16, "unit": "A", "window_s": 3.0},
    }
    base.update(kw)
    return NewEvent(**base)  # type: ignore[arg-type]


def test_severity_defaults_from_catalogue_and_can_be_overridden() -> None:
    assert draft().severity is Severity.WARNING
    assert draft(severity="critical").severity is Severity.CRITICAL
    assert draft().action_taken is Action.NONE
    assert draft(action_taken="shed").action_taken is Action.SHED


@pytest.mark.parametrize(
    "evidence",
    [{"nested": {"a": 1}}, {"list": [1, 2]}, {"nan": float("nan")}, {"inf": float("inf")}, {1: 2}],
)
def test_evidence_must_be_flat_finite_json_scalars(evidence: dict[object, object]) -> None:
    with pytest.raises(ValueError):
        draft(evidence=evidence)


def test_required_fields_and_bad_action() -> None:
    with pytest.raises(ValueError, match="pdu_id"):
        draft(pdu_id="")
    with pytest.raises(ValueError, match="source"):
        draft(source="")
    with pytest.raises(ValueError):
        draft(action_taken="explode")


def test_canonical_json_is_sorted_compact_utf8() -> None:
    assert (
        canonical_json({"b": 1, "a": "é", "c": [1.5, None]})
        == '{"a":"é","b":1,"c":[1.5,null]}'.encode()
    )
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_timestamp_format_has_microseconds_and_z() -> None:
    ts = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert format_timestamp(ts) == "2026-01-02T03:04:05.000006Z"
    cet = ts.astimezone(timezone(timedelta(hours=1)))
    assert format_timestamp(cet) == "2026-01-02T03:04:05.000006Z"
    assert parse_timestamp("2026-01-02T03:04:05.000006Z") == ts
    assert parse_timestamp("2026-01-02T04:04:05.000006+01:00") == ts
    with pytest.raises(ValueError, match="naive"):
        format_timestamp(datetime(2026, 1, 2))


def test_sealed_event_hash_matches_an_independent_computation() -> None:
    ev = seal(
        draft(actor="alice", command_id="c-1"), 1, "2026-01-02T03:04:05.000006Z", GENESIS_HASH
    )
    body = {k: v for k, v in ev.to_dict().items() if k != "hash"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    expected = hashlib.sha256(("0" * 64 + text).encode("utf-8")).hexdigest()
    assert ev.hash == expected
    assert set(ev.to_dict()) == {
        "sequence_id",
        "timestamp_utc",
        "pdu_id",
        "source",
        "event_code",
        "severity",
        "action_taken",
        "reason_code",
        "evidence",
        "actor",
        "command_id",
        "message",
        "prev_hash",
        "hash",
    }


def test_to_dict_from_dict_roundtrip_through_json() -> None:
    ev = seal(draft(reason_code="I_GT_IN"), 7, "2026-01-02T03:04:05.000006Z", "ab" * 32)
    back = Event.from_dict(json.loads(json.dumps(ev.to_dict())))
    assert back == ev and back.canonical_body() == ev.canonical_body()
    assert back.timestamp == datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    with pytest.raises(ValueError, match="hash"):
        Event.from_dict({k: v for k, v in ev.to_dict().items() if k != "hash"})


def test_events_are_immutable() -> None:
    ev = seal(draft(), 1, "2026-01-02T03:04:05.000006Z", GENESIS_HASH)
    with pytest.raises(AttributeError):
        ev.message = "changed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        ev.evidence["value"] = 0  # type: ignore[index]
