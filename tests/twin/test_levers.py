import pytest

from smartpdu.config.models import LeverConfig
from smartpdu.hardware.interface import LeverAction
from smartpdu.twin.levers import LeverBank


def _bank() -> LeverBank:
    return LeverBank(
        [
            LeverConfig(id="front", position="front", auto_relock_s=10),
            LeverConfig(id="rear", position="rear", auto_relock_s=5),
        ]
    )


def _state(bank: LeverBank, lever_id: str) -> tuple[bool, bool]:
    (r,) = [r for r in bank.readings() if r.lever_id == lever_id]
    return r.locked, r.handle_open


def test_levers_start_locked_and_closed() -> None:
    assert [(r.lever_id, r.locked, r.handle_open) for r in _bank().step(0.2)] == [
        ("front", True, False),
        ("rear", True, False),
    ]


def test_unlock_relocks_after_auto_relock_s() -> None:
    bank = _bank()
    bank.operate("front", LeverAction.UNLOCK)
    for _ in range(49):  # 9.8 s
        bank.step(0.2)
    assert _state(bank, "front") == (False, False)
    bank.step(0.2)  # 10.0 s
    assert _state(bank, "front") == (True, False)
    assert _state(bank, "rear") == (True, False)


def test_open_handle_defers_relock_until_closed() -> None:
    bank = _bank()
    bank.operate("rear", LeverAction.UNLOCK)
    bank.step(1.0)
    bank.open_handle("rear", True)
    bank.step(30.0)
    assert _state(bank, "rear") == (False, True)
    bank.open_handle("rear", False)
    assert _state(bank, "rear") == (True, False)


def test_handle_closed_before_timeout_keeps_timer() -> None:
    bank = _bank()
    bank.operate("rear", LeverAction.UNLOCK)
    bank.open_handle("rear", True)
    bank.step(2.0)
    bank.open_handle("rear", False)
    assert _state(bank, "rear") == (False, False)
    bank.step(3.0)
    assert _state(bank, "rear") == (True, False)


def test_lock_command_locks_now_or_when_handle_closes() -> None:
    bank = _bank()
    bank.operate("front", LeverAction.UNLOCK)
    bank.operate("front", LeverAction.LOCK)
    assert _state(bank, "front") == (True, False)
    bank.operate("front", LeverAction.UNLOCK)
    bank.open_handle("front", True)
    bank.operate("front", LeverAction.LOCK)
    assert _state(bank, "front") == (False, True)
    bank.open_handle("front", False)
    assert _state(bank, "front") == (True, False)


def test_forced_handle_on_locked_lever_is_visible() -> None:
    bank = _bank()
    bank.open_handle("front", True)
    assert _state(bank, "front") == (True, True)


def test_unknown_lever_names_known_ids() -> None:
    bank = _bank()
    with pytest.raises(KeyError, match=r"'side'.*front.*rear"):
        bank.operate("side", LeverAction.UNLOCK)
    with pytest.raises(KeyError, match="side"):
        bank.open_handle("side", True)


def test_unlock_for_hold_s_overrides_auto_relock() -> None:
    bank = _bank()
    bank.operate("front", LeverAction.UNLOCK, hold_s=30)
    bank.step(29.8)
    assert _state(bank, "front") == (False, False)
    bank.step(0.2)
    assert _state(bank, "front") == (True, False)


def test_reader_entries_are_queued_until_drained() -> None:
    bank = _bank()
    bank.present("front", user="op", pin="1234")
    bank.present("rear", card="04A1")
    entries = bank.drain_entries()
    assert [(e.lever_id, e.user, e.pin, e.card) for e in entries] == [
        ("front", "op", "1234", None),
        ("rear", None, None, "04A1"),
    ]
    assert "1234" not in repr(entries) and "04A1" not in repr(entries)
    assert bank.drain_entries() == ()
    with pytest.raises(KeyError, match="no lever"):
        bank.present("side", card="x")
