"""Issue 11 item 20: a protection cooldown goes on across a controller restart.

The acquisition clock restarts at zero with the controller; holds are stored in UTC so that the
cooldown counts wall time, also while the controller is down. Before the fix the cooldown was
stored in the old run's hardware seconds and, after the restart, waited that long again.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from synthetic_rack import SyntheticRack

from smartpdu.control import ControlPlane, ControlSettings, MemoryKv, SheddingSettings
from smartpdu.control.hold_clock import UtcHoldMemory, shift_hold
from smartpdu.control.holds import KvOutletMemory
from smartpdu.model.snapshot import RackSnapshot
from smartpdu.protection.lockout import OutletHold

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NO_SHED = ControlSettings(shedding=SheddingSettings(enabled=False))  # let protection act


def _at(rack: SyntheticRack, utc0: datetime) -> RackSnapshot:
    """The rack's next window, stamped with wall time ``utc0`` + its acquisition time."""
    snap = rack.snapshot()
    stamp = (utc0 + timedelta(seconds=snap.t_s)).isoformat().replace("+00:00", "Z")
    return replace(snap, timestamp_utc=stamp)


def test_cooldown_counts_wall_time_across_a_restart(demo_config) -> None:
    kv = MemoryKv()
    rack = SyntheticRack(demo_config)
    plane = ControlPlane(demo_config, kv=kv, settings=NO_SHED)
    snap = _at(rack, T0)
    rack.apply(plane.on_start(snap, None, snap.t_s).relay_commands)
    for _ in range(20):
        rack.apply(plane.on_tick(_at(rack, T0)).relay_commands)
    rack.load_a[("pdu-a", "9")] = 16.0  # 1.6 x its 10 A rating: timed OCP trip, cooldown hold
    for _ in range(30):
        rack.apply(plane.on_tick(_at(rack, T0)).relay_commands)
    hold = plane.hold("pdu-a", "9")
    assert hold is not None and not hold.latched
    trip_utc = T0 + timedelta(seconds=hold.since_s)
    rack.load_a[("pdu-a", "9")] = 1.0

    # Restart 20 s (wall) after the trip: a new controller, a new acquisition clock from 0.
    utc1 = trip_utc + timedelta(seconds=20.0)
    rack2 = SyntheticRack(demo_config)
    rack2.relay = dict(rack.relay)  # latching relays keep their position
    rack2.load_a = dict(rack.load_a)
    plane2 = ControlPlane(demo_config, kv=kv, settings=NO_SHED)
    snap = _at(rack2, utc1)
    out = plane2.on_start(snap, None, snap.t_s)
    rack2.apply(out.relay_commands)
    restored = plane2.hold("pdu-a", "9")
    assert restored is not None
    cooldown_s = hold.cooldown_until_s - hold.since_s
    # In the new run's seconds the cooldown ends cooldown_s - 20 s from now, not cooldown_s.
    assert abs(restored.cooldown_until_s - (snap.t_s + cooldown_s - 20.0)) < 1e-6
    assert plane2.is_locked_out("pdu-a", "9")
    ticks_left = round((cooldown_s - 20.0) / rack2.window_s)
    for _ in range(ticks_left + 2):
        rack2.apply(plane2.on_tick(_at(rack2, utc1)).relay_commands)
    assert not plane2.is_locked_out("pdu-a", "9")


def test_holds_are_stored_in_utc_and_legacy_ones_kept() -> None:
    kv = MemoryKv()
    inner = KvOutletMemory(kv)
    mem = UtcHoldMemory(inner)
    h = OutletHold("ocp_timed", 10.0, False, 40.0, (10.0,))
    mem.offset_s = 1.8e9
    mem.save_hold("pdu-a", "1", h)
    stored = inner.load_hold("pdu-a", "1")
    assert stored == shift_hold(h, 1.8e9)
    other_run = UtcHoldMemory(inner)
    other_run.offset_s = 1.8e9 + 100.0  # the next run's clock started 100 s later
    assert other_run.to_run_time(other_run.load_hold("pdu-a", "1")) == shift_hold(h, -100.0)
    legacy = OutletHold("ocp_timed", 10.0, False, 40.0, (10.0,))
    assert other_run.to_run_time(legacy) == legacy  # hardware seconds of an older release
