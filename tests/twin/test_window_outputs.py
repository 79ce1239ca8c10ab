"""Per-window outputs: noise only on live channels, caches that follow what they show."""

from __future__ import annotations

import numpy as np
from twin_helpers import device, pdu, rack

from smartpdu.hardware import BreakerState
from smartpdu.twin.breakers import PduBreakers
from smartpdu.twin.rack_topology import Topology
from smartpdu.twin.synthesis import PduWindow
from smartpdu.twin.window_outputs import (
    NOISE_I_A,
    NOISE_V_V,
    NoiseBank,
    Residuals,
    StatusCache,
    residuals,
)


def _cfg():  # type: ignore[no-untyped-def]
    return rack(
        [pdu("pdu-a", "A", rcbo=True)],
        [device("d", "active_pfc", 500.0, [("pdu-a", "9", 1.0)], leakage_ma_per_psu=1.5)],
    )


def _window(rows: int, n: int = 1280) -> PduWindow:
    i = np.full((rows, n), 1.0, dtype=np.float32)
    v = np.zeros((3, n), dtype=np.float32)
    return PduWindow(np.zeros((32, n), np.float32), np.ones(16, complex), v, i, 6400.0, None)


def test_noise_reaches_live_rows_only() -> None:
    bank = NoiseBank(np.random.default_rng(0), np.random.default_rng(1))
    w = _window(6)
    live = np.array([True, True, False, True, False, True])
    bank.add(w, live, v_live=True)
    assert np.all(w.i[~live] == 1.0)  # dead channels keep exactly what they carried
    assert w.i.dtype == np.float32
    assert 0.8 * NOISE_I_A < np.std(w.i[live]) < 1.2 * NOISE_I_A
    assert 0.8 * NOISE_V_V < np.std(w.v) < 1.2 * NOISE_V_V
    quiet = _window(6)
    bank.add(quiet, np.zeros(6, dtype=bool), v_live=False)
    assert np.all(quiet.i == 1.0) and np.all(quiet.v == 0.0)


def test_residuals_are_cached_until_the_leakage_changes() -> None:
    topo = Topology(_cfg())
    cache = Residuals(topo)
    leak = np.array([1.5])
    first = cache.of(0, leak)
    assert np.array_equal(first, residuals(topo, 0, leak))
    assert first[0] == 1.5 and first[1] == 1.5  # inlet (one phase) and the RCBO branch B3
    assert cache.of(0, leak.copy()) is first
    assert not first.flags.writeable  # shared between windows, so nobody may change it
    wetter = cache.of(0, np.array([4.5]))
    assert wetter[0] == 4.5 and wetter is not first


def test_status_is_rebuilt_when_a_relay_or_breaker_changes() -> None:
    cfg = _cfg()
    topo = Topology(cfg)
    breakers = PduBreakers(cfg.pdus[0])
    cache = StatusCache(topo)
    closed, cycles = np.ones(12, dtype=bool), np.zeros(12, dtype=np.int64)
    first = cache.status(0, True, breakers, closed, cycles)
    assert cache.status(0, True, breakers, closed.copy(), cycles.copy()) is first
    closed[3], cycles[3] = False, 1
    moved = cache.status(0, True, breakers, closed, cycles)
    assert moved.relay_closed["4"] is False and moved.relay_cycles["4"] == 1
    breakers.branches[0].closed = False
    tripped = cache.status(0, True, breakers, closed, cycles)
    assert tripped.breakers["B1"] is BreakerState.TRIPPED
    assert cache.status(0, False, breakers, closed, cycles).feed_present is False


def test_noise_bank_grows_for_blocks_larger_than_its_default() -> None:
    rows, n = 120, 1536  # a large PDU: more samples than the default bank minus one block
    bank = NoiseBank(np.random.default_rng(0), np.random.default_rng(1), largest_block=rows * n)
    w = _window(rows, n)
    w.i[:] = 0.0
    bank.add(w, np.ones(rows, dtype=bool), v_live=False)
    assert 0.8 * NOISE_I_A < np.std(w.i) < 1.2 * NOISE_I_A
