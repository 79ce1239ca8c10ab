"""The Redfish subscription repository (migration 6) on both backends, and the kv → table move."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from store_upgrade import LATEST, since

from smartpdu.events.outbox_store import DeliveryCursor
from smartpdu.storage import SqlStore
from smartpdu.storage.subscription_repo import SubscriptionRecord, parse_subscription_id

Opener = Callable[[], SqlStore]
Upgrade = Callable[..., SqlStore]


def _sub(sid: str, context: str | None = "ctx") -> SubscriptionRecord:
    return SubscriptionRecord(
        sid, f"https://dcim.invalid/{sid}", context, "redfish/admin", "2026-01-01T00:00:00Z"
    )


def test_round_trip_survives_a_restart(backend: tuple[str, Opener]) -> None:
    repo = backend[1]().redfish_subscriptions
    ids = [repo.allocate_id(10) for _ in range(3)]
    assert ids == ["1", "2", "3"]
    for sid in ids:
        repo.save(_sub(sid, None if sid == "2" else f"c{sid}"))
    repo.save(_sub("1", "changed"))  # replace
    again = backend[1]().redfish_subscriptions
    assert again.list() == [_sub("1", "changed"), _sub("2", None), _sub("3", "c3")]
    assert again.get("2") == _sub("2", None)
    assert again.delete("2") is True and again.delete("2") is False
    assert again.get("2") is None and [s.id for s in again.list()] == ["1", "3"]
    assert again.allocate_id(10) == "4"  # the deleted 2 (and the highest, 3) are not reused


def test_ids_order_numerically_and_odd_ids_find_nothing(backend: tuple[str, Opener]) -> None:
    repo = backend[1]().redfish_subscriptions
    for sid in ("10", "9", "100"):
        repo.save(_sub(sid))
    assert [s.id for s in repo.list()] == ["9", "10", "100"]
    for odd in ("09", "x", "", "-1", "0", "1e3", "٣", str(2**63)):
        assert repo.get(odd) is None and repo.delete(odd) is False
    with pytest.raises(ValueError, match="decimal"):
        repo.save(_sub("07"))


def test_allocation_stops_at_the_limit(backend: tuple[str, Opener]) -> None:
    repo = backend[1]().redfish_subscriptions
    first = repo.allocate_id(1)
    assert first == "1"
    repo.save(_sub(first))
    assert repo.allocate_id(1) is None
    assert repo.allocate_id(2) == "2"


def test_allocation_from_many_threads_never_repeats(backend: tuple[str, Opener]) -> None:
    repo = backend[1]().redfish_subscriptions
    start = threading.Barrier(4)

    def grab(_: int) -> list[str | None]:
        start.wait()
        return [repo.allocate_id(64) for _ in range(10)]

    with ThreadPoolExecutor(4) as pool:
        got = [sid for ids in pool.map(grab, range(4)) for sid in ids]
    assert sorted(int(str(s)) for s in got) == list(range(1, 41))


def test_parse_subscription_id() -> None:
    assert parse_subscription_id("1") == 1 and parse_subscription_id("64") == 64
    assert parse_subscription_id(str(2**63 - 1)) == 2**63 - 1
    assert [parse_subscription_id(s) for s in ("0", "01", "+1", " 1", "", "²")] == [None] * 6


def _old_kv() -> dict[str, str]:
    """What releases before migration 6 wrote (SubscriptionStore over kv)."""
    sub = {"id": "3", "destination": "https://d.invalid/e", "context": None,
           "owner": "redfish/admin", "created_utc": "t0"}  # fmt: skip
    sub7 = {**sub, "id": "7", "context": "seven"}
    return {
        "redfish/subscription/3": json.dumps(sub),
        "redfish/subscription/7": json.dumps(sub7),
        "redfish/subscription/8": "not json",  # unreadable: stays in kv
        "redfish/subscription-next-id": "9",  # 8 was handed out and deleted
        "redfish/cursor/3/pdu-a": "5",  # legacy cursor: migration 8 moves it into the outbox
    }


def _check_upgraded(store: SqlStore) -> None:
    assert store.schema_version() == LATEST
    repo = store.redfish_subscriptions
    assert repo.list() == [
        SubscriptionRecord("3", "https://d.invalid/e", None, "redfish/admin", "t0"),
        SubscriptionRecord("7", "https://d.invalid/e", "seven", "redfish/admin", "t0"),
    ]
    assert store.kv_items() == {"redfish/subscription/8": "not json"}
    assert store.outbox.cursors("redfish-3") == {"pdu-a": DeliveryCursor(5)}
    assert repo.allocate_id(64) == "9"  # the counter came along: 8 is not reused


def test_upgrade_moves_kv_subscriptions(upgraded: Upgrade) -> None:
    new = upgraded(5, _old_kv())
    assert new.applied_migrations == since(6)  # type: ignore[attr-defined]
    _check_upgraded(new)


def test_upgrade_without_a_counter_continues_after_the_highest_id(upgraded: Upgrade) -> None:
    five = {"id": "5", "destination": "https://d.invalid/e", "context": "c",
            "owner": "redfish/admin", "created_utc": "t0"}  # fmt: skip
    new = upgraded(5, {"redfish/subscription/5": json.dumps(five)})
    assert [s.id for s in new.redfish_subscriptions.list()] == ["5"]
    assert new.redfish_subscriptions.allocate_id(64) == "6"
    assert new.kv_items() == {}
