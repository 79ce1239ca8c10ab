"""The rack twin: one :meth:`RackTwin.acquire` produces a window of samples for every PDU.

Per window: relays settle, the energised outlets follow from feeds, inlet/branch breakers and
relays; each live PSU gets its share of its device's power; every PSU current is a complex
harmonic vector (``loads``), summed per outlet and turned into samples by one matrix product with
the feed's harmonic basis (``supply``). Inrush rows are added on top; branch breakers and then the
inlet MCCB are stepped on the summed currents, a trip zeroes everything downstream from its
instant and the surviving PSUs of affected devices take over from that instant. Branch, phase and
neutral channels are sums of outlet currents. Terminal temperatures, environment, levers and the
controller's power source follow.

This module holds the state and the order of the steps; the steps live next to it: sample
synthesis (``synthesis``), breakers acting inside the window (``window_protection``), noise,
residuals, probes and status (``window_outputs``) and the PSU/device log (``device_log``).

Injections (``feed_loss``, ``relay_fault``, ...) take effect from the next window.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from smartpdu.config.models import LoadKind, PowerUpState, RackConfig
from smartpdu.hardware.interface import LeverAction
from smartpdu.hardware.samples import Acquisition, PduStatus, SampleBlock
from smartpdu.twin.arcing import LookAlike
from smartpdu.twin.breakers import PduBreakers, Trip
from smartpdu.twin.controller_power import select_power_source
from smartpdu.twin.device_log import DeviceLog, breaker_path, trip_event
from smartpdu.twin.environment import Environment
from smartpdu.twin.levers import LeverBank
from smartpdu.twin.loads import (
    DeviceLoad,
    harmonic_shape,
    inrush_pulse_template,
    non_pfc_template,
    psu_current_coefficients,
)
from smartpdu.twin.physical_log import TwinEvent
from smartpdu.twin.psu import PsuBank, humidity_leakage_factor
from smartpdu.twin.rack_topology import Topology
from smartpdu.twin.relay import RelayBank
from smartpdu.twin.sample_stats import mean_square
from smartpdu.twin.supply import N_HARMONICS, Supply, phase_rotation, star_point_matrix
from smartpdu.twin.synthesis import SAMPLE_DTYPE, PduWindow, Synthesizer, add_inrush
from smartpdu.twin.thermal import terminal_temperature_step
from smartpdu.twin.transients import Transients
from smartpdu.twin.window_outputs import NoiseBank, Residuals, StatusCache, TerminalProbes
from smartpdu.twin.window_protection import WindowProtection

__all__ = ["RackTwin"]

FArray = npt.NDArray[np.float64]
BArray = npt.NDArray[np.bool_]
CArray = npt.NDArray[np.complex128]
_V_MIN, _V_MAX = 0.5, 1.35
"""PSU input range in multiples of nominal: below it drops out, above it protects itself."""


class RackTwin:
    """Physics-level twin of a rack; implements :class:`smartpdu.hardware.RackHardware`.

    ``frequency_drift_hz`` bounds the random walk of each feed's frequency (0 gives an exactly
    nominal supply, e.g. for FFTs over whole cycles); ``thd_u_pct`` fixes the voltage THD
    (default: drawn per feed in 1–4 %). Same ``seed`` and same commands give bit-identical
    acquisitions.

    Simplifications, on purpose: PSUs follow a sag with their window-average current (no
    hold-up/recharge transient inside a window); with a lost neutral the phase currents keep
    Kirchhoff's law by dropping their zero-sequence part, the outlet channels keep the loads'
    own waveforms; load power does not depend on temperature.
    """

    def __init__(
        self,
        config: RackConfig,
        *,
        seed: int = 0,
        start_time_s: float = 0.0,
        frequency_drift_hz: float = 0.05,
        thd_u_pct: float | None = None,
    ) -> None:
        self.config = config
        self.topo = topo = Topology(config)
        ss = np.random.SeedSequence(seed).spawn(8)  # spawn keys are stable: [:7] as before
        self._rng_walk = np.random.default_rng(ss[0])
        self._rng_noise = np.random.default_rng(ss[1])
        shape_rng = np.random.default_rng(ss[2])
        feeds = tuple(sorted({p.feed for p in config.pdus}))
        self.supply = Supply(
            feeds, np.random.default_rng(ss[3]), drift_hz=frequency_drift_hz, thd_u_pct=thd_u_pct
        )
        self.environment = Environment(config, seed=int(ss[4].generate_state(1)[0]))
        self.levers = LeverBank(list(config.levers))
        self.physical_log: list[TwinEvent] = []
        self._start_s = start_time_s
        self._k = 0
        self._window_s = topo.window_s
        self.pdu_ids = tuple(p.id for p in config.pdus)
        self.window_samples = int(topo.n[0])
        breaker_seed = int(ss[6].generate_state(1)[0])  # manufacturing tolerances
        self.breakers = [PduBreakers(p, seed=breaker_seed) for p in config.pdus]
        closed = np.array(
            [o.power_up_state is not PowerUpState.OFF for p in config.pdus for o in p.outlets]
        )
        self.relays = RelayBank(closed, slow_delay_s=self._window_s)
        self.loads = [DeviceLoad.from_config(d.load) for d in config.devices]
        dev = topo.psu_device
        cfg_loads = [d.load for d in config.devices]
        self.psus = PsuBank(
            device=dev,
            share_cfg=np.array([ps.share for d in config.devices for ps in d.psus], dtype=float),
            n_devices=len(config.devices),
            inrush_peak_a=np.array([cfg_loads[d].inrush_peak_a for d in dev], dtype=float),
            inrush_tau_s=np.array([cfg_loads[d].inrush_decay_ms / 1e3 for d in dev], dtype=float),
            leak_ma=np.array([cfg_loads[d].leakage_ma_per_psu for d in dev], dtype=float),
        )
        kinds = [cfg_loads[d].kind for d in dev]
        self._pfc = np.array([k in (LoadKind.ACTIVE_PFC, LoadKind.GPU) for k in kinds], dtype=bool)
        self._res = np.array([k is LoadKind.RESISTIVE for k in kinds], dtype=bool)
        self._rated = np.array([cl.rated_power_w for cl in cfg_loads], dtype=float)
        self._rated_psu, self._vnom_psu = self._rated[dev], topo.vnom[topo.psu_pdu]
        npfc = non_pfc_template()
        base = np.empty((len(dev), N_HARMONICS), dtype=np.complex128)
        for j, kind in enumerate(kinds):
            if self._pfc[j]:
                base[j] = harmonic_shape(shape_rng)
            elif kind is LoadKind.RESISTIVE:
                base[j] = self.supply.feed(topo.pdu_feed[topo.psu_pdu[j]]).voltage_harmonics
            else:
                base[j] = npfc
        self._base = base
        self._rot = np.array([phase_rotation(int(k)) for k in topo.psu_phase]).reshape(
            len(dev), N_HARMONICS
        )
        self._pulse = inrush_pulse_template()
        self._r_contact = np.array(
            [o.contact_resistance_mohm for p in config.pdus for o in p.outlets], dtype=float
        )
        self._t_term = np.full(topo.n_outlets, self.environment.ambient_c)
        self._probes = TerminalProbes(topo.terminal_ids)
        self._lost_neutral = np.zeros(len(config.pdus), dtype=bool)
        self._neutral_w = np.ones((len(config.pdus), 3))
        self._poe = config.controller.poe
        self._device_log = DeviceLog(topo, [d.name for d in config.devices])
        shapes = zip(topo.n_channels, topo.phases, topo.n, strict=True)
        largest = max((rows + ph) * n for rows, ph, n in shapes)
        self._noise = NoiseBank(np.random.default_rng(ss[5]), self._rng_noise, largest)
        self._synth = Synthesizer(topo, self.supply)
        self._protection = WindowProtection(topo, self.breakers, self._lost_neutral, self._log_trip)
        self._status = StatusCache(topo)
        self._residuals = Residuals(topo)
        self._transients = Transients(topo, np.random.default_rng(ss[7]))
        self._surge_peaks: list[dict[int, float]] | None = None

    # ---- clock ---------------------------------------------------------------------------
    @property
    def window_s(self) -> float:
        return self._window_s

    @property
    def now_s(self) -> float:
        """Sim time of the start of the next window."""
        return self._start_s + self._k * self._window_s

    # ---- commands and injections -----------------------------------------------------------
    def set_outlet(self, pdu_id: str, outlet_id: str, on: bool) -> None:
        self.relays.command(self.topo.outlet(pdu_id, outlet_id), on, self.now_s)

    def operate_lever(
        self, lever_id: str, action: LeverAction, hold_s: float | None = None
    ) -> None:
        self.levers.operate(lever_id, action, hold_s)

    def feed_loss(self, feed: str) -> None:
        self.supply.feed(feed).present = False
        self._log("feed_loss", f"feed/{feed}")

    def feed_restore(self, feed: str) -> None:
        self.supply.feed(feed).present = True
        self._log("feed_restore", f"feed/{feed}")

    def voltage_sag(self, feed: str, depth_pct: float, duration_s: float) -> None:
        self.supply.add_sag(feed, self.now_s, depth_pct, duration_s)

    def frequency_offset(self, feed: str, delta_hz: float) -> None:
        self.supply.feed(feed).offset_hz = float(delta_hz)

    def lost_neutral(self, pdu_id: str, lost: bool = True) -> None:
        self._lost_neutral[self.topo.pdu(pdu_id)] = lost
        self._log("lost_neutral", f"{pdu_id}/inlet/N", lost=str(lost).lower())

    def set_device_load(self, device: str, load_fraction: float | None) -> None:
        if load_fraction is not None and not 0.0 <= load_fraction <= 1.0:
            raise ValueError(f"load_fraction must be in [0, 1] or None, got {load_fraction}")
        self.loads[self.topo.device(device)].override = load_fraction

    def device_power(self, device: str, on: bool) -> None:
        self.loads[self.topo.device(device)].switched_on = on

    def relay_fault(self, pdu_id: str, outlet_id: str, fault: str | None) -> None:
        self.relays.set_fault(self.topo.outlet(pdu_id, outlet_id), fault)
        self._log("relay_fault", f"{pdu_id}/outlet/{outlet_id}", fault=fault or "none")

    def contact_ageing(self, pdu_id: str, outlet_id: str, resistance_mohm: float) -> None:
        if resistance_mohm <= 0.0:
            raise ValueError(f"resistance_mohm must be > 0, got {resistance_mohm}")
        self._r_contact[self.topo.outlet(pdu_id, outlet_id)] = resistance_mohm

    def set_leakage(self, device: str, leak_ma_per_psu: float) -> None:
        if leak_ma_per_psu < 0.0:
            raise ValueError(f"leak_ma_per_psu must be >= 0, got {leak_ma_per_psu}")
        self.psus.leak_ma[self.topo.psu_device == self.topo.device(device)] = leak_ma_per_psu

    def surge(
        self,
        feed: str,
        *,
        phase: str = "all",
        peak_v: float = 4000.0,
        let_through_v: float = 800.0,
        rise_s: float = 1.2e-6,
        duration_s: float = 50e-6,
        count: int = 1,
        interval_s: float = 0.1,
    ) -> None:
        """A surge (or a burst of ``count``) on ``feed``, clipped by each PDU's SPD (``surge``)."""
        self.supply.feed(feed)  # raises KeyError naming the feed
        self._transients.surge(self.now_s, self._window_s, feed, phase, peak_v, let_through_v,
                               rise_s, duration_s, count, interval_s)  # fmt: skip
        self._log("surge", f"feed/{feed}", phase=phase, open_circuit_v=peak_v,
                  let_through_v=let_through_v, count=count)  # fmt: skip

    def arcing(
        self, pdu_id: str, outlet_id: str, intensity: float, duration_s: float | None = None
    ) -> None:
        """A series arc in the outlet's terminal (``arcing``); intensity 0 stops it."""
        if not 0.0 <= intensity <= 1.0:
            raise ValueError(f"intensity must be in [0, 1], got {intensity}")
        until = self.now_s + duration_s if duration_s else float("inf")
        self._transients.arcing(self.topo.outlet(pdu_id, outlet_id), intensity, until)
        self._log("arcing", f"{pdu_id}/outlet/{outlet_id}", intensity=intensity)

    def look_alike(
        self,
        pdu_id: str,
        outlet_id: str,
        kind: str,
        duration_s: float | None = None,
        **kw: float | None,
    ) -> None:
        """A load signature that resembles an arc in one feature (``load_signature``): keywords
        as :class:`~smartpdu.twin.arcing.LookAlike`; ``kind="none"`` removes it."""
        k = self.topo.outlet(pdu_id, outlet_id)
        until = self.now_s + duration_s if duration_s else float("inf")
        self._transients.look_alike(LookAlike(k, kind, self.now_s, until, **kw))  # type: ignore[arg-type]
        self._log("load_signature", f"{pdu_id}/outlet/{outlet_id}", signature=kind)

    def set_poe(self, present: bool) -> None:
        self._poe = present

    def reset_breaker(self, pdu_id: str, breaker_id: str) -> None:
        self.breakers[self.topo.pdu(pdu_id)].reset(breaker_id)
        self._log("breaker_reset", f"{pdu_id}/{breaker_path(breaker_id)}")

    # ---- one window ------------------------------------------------------------------------
    def acquire(self) -> Acquisition:
        """Return the next window (samples, states, sensors) and advance time by one window."""
        topo, t0, dt = self.topo, self.now_s, self._window_s
        self.relays.step(t0)
        n_pdu = len(self.pdu_ids)
        present = np.array([self.supply.feed(f).present for f in topo.pdu_feed])
        live = self._live(present)
        level = np.zeros((n_pdu, 3))
        angle = np.zeros((n_pdu, 3))
        mats: list[FArray | None] = [None] * n_pdu
        envs: list[FArray | None] = [None] * n_pdu
        for p in range(n_pdu):
            envs[p] = env = self.supply.envelope(topo.pdu_feed[p], t0, topo.fs[p], topo.n[p])
            env_rms = 1.0 if env is None else float(np.sqrt(np.mean(env * env)))
            level[p] = env_rms if present[p] else 0.0
            if self._lost_neutral[p]:
                if topo.phases[p] == 1:
                    level[p] = 0.0
                else:
                    mats[p], ratio = star_point_matrix(self._neutral_w[p])
                    level[p] *= np.abs(ratio)
                    angle[p] = np.angle(ratio)
        energized = live[2]
        psu_level = level[topo.psu_pdu, topo.psu_phase]
        alive = energized[topo.psu_outlet] & (psu_level >= _V_MIN) & (psu_level <= _V_MAX)
        bank = self.psus
        new = alive & ~bank.alive
        if self._k > 0 and new.any():
            bank.start_inrush(new.nonzero()[0], t0)
        bank.stop_inrush(~alive)
        shares = bank.shares(alive)
        mid = t0 + 0.5 * dt  # a step at a window edge belongs to the window it mostly covers
        frac = np.array([ld.fraction(mid) for ld in self.loads])
        p_psu = (self._rated * frac)[topo.psu_device] * shares
        coef = psu_current_coefficients(
            p_psu,
            self._rated_psu,
            self._vnom_psu,
            psu_level,
            angle[topo.psu_pdu, topo.psu_phase],
            base=self._base,
            rot=self._rot,
            pfc=self._pfc,
            resistive=self._res,
        )
        wins = self._generate(coef, envs, mats)
        add_inrush(wins, topo, self.psus, coef, angle, self._pulse, self._rot, t0)
        self._surge_peaks = None
        if self._transients.active:
            self._transients.apply_currents(wins, t0)
            pdu_live = [bool(x) for x in live[0]]
            self._surge_peaks, surges = self._transients.apply_surges(wins, t0, dt, pdu_live)
            self.physical_log.extend(surges)
        leak = np.where(alive, bank.leak_ma, 0.0) * humidity_leakage_factor(
            self.environment.humidity_pct
        )
        cut_s = self._protection.protect(wins, leak, t0, dt)
        alive_end = alive.copy()
        if cut_s:
            self._protection.failover(wins, coef, bank, shares, cut_s, alive_end)
        if self._protection.tripped:
            live = self._live(present)
        return self._finish(wins, alive_end, leak, present, live, t0, dt, cut_s)

    def _live(self, present: BArray) -> tuple[BArray, BArray, BArray]:
        """Which PDUs (feed and inlet), branches (breaker closed) and outlets are energised."""
        topo = self.topo
        pdu_live = present & np.array([b.inlet.closed for b in self.breakers])
        branch_closed = np.concatenate([b.branch_closed() for b in self.breakers])
        out_live = pdu_live[topo.out_pdu] & branch_closed[topo.out_branch] & self.relays.closed
        return pdu_live, branch_closed, out_live

    def _generate(
        self, coef: CArray, envs: list[FArray | None], mats: list[FArray | None]
    ) -> list[PduWindow]:
        topo, synth = self.topo, self._synth
        c_out = topo.outlet_of_psu @ coef
        wins: list[PduWindow] = []
        rots = {f: self.supply.start_rotation(f) for f in self.supply.feeds}
        for p, pdu in enumerate(self.config.pdus):
            rot = rots[pdu.feed]
            feed = self.supply.feed(pdu.feed)
            basis = synth.basis(p)
            i = synth.currents(p, c_out, rot, basis)
            env = envs[p]
            if feed.present and self.breakers[p].inlet.closed:
                v = synth.voltages(p, feed.voltage_harmonics, rot, basis)
                if env is not None:
                    env32 = env.astype(SAMPLE_DTYPE)
                    v *= env32
                    res_rows = topo.res_rows[p]
                    if len(res_rows):
                        i[res_rows] *= env32
                mat = mats[p]
                if mat is not None:
                    v = (mat.astype(SAMPLE_DTYPE) @ v).astype(SAMPLE_DTYPE)
                elif self._lost_neutral[p]:
                    v[:] = 0.0
            else:
                v = np.zeros((topo.phases[p], topo.n[p]), dtype=SAMPLE_DTYPE)
            wins.append(PduWindow(basis, rot, v, i, topo.fs[p], env))
        return wins

    def _finish(
        self,
        wins: list[PduWindow],
        alive_end: BArray,
        leak: FArray,
        present: BArray,
        live_now: tuple[BArray, BArray, BArray],
        t0: float,
        dt: float,
        cut_s: dict[int, float],
    ) -> Acquisition:
        topo = self.topo
        switch = np.array([ld.switched_on for ld in self.loads])
        self.physical_log.extend(
            self._device_log.update(self.psus.alive, alive_end, switch, t0, cut_s, self._k == 0)
        )
        self.psus.alive = alive_end
        pdu_live, branch_closed, out_live = live_now
        blocks: dict[str, SampleBlock] = {}
        status: dict[str, PduStatus] = {}
        out_rms = np.empty(topo.n_outlets)
        it_power = 0.0
        for p, w in enumerate(wins):
            nph, ro, n = topo.phases[p], topo.row_outlets[p], topo.n[p]
            o0, o1 = topo.out_slice[p]
            b0, b1 = topo.branch_slice[p]
            ms = mean_square(w.i[ro:]) if w.ms is None else w.ms[ro:]
            np.sqrt(ms, out=out_rms[o0:o1])
            p_ph = np.vecdot(w.v, w.i[:nph]).astype(np.float64) / n
            it_power += float(p_ph.sum())
            if nph == 3:  # conductance per phase, for the star point if the neutral opens
                v2 = mean_square(w.v)
                if (v2 > 1.0).all():
                    self._neutral_w[p] = np.maximum(p_ph, 0.0) / v2
            live = np.empty(topo.n_channels[p], dtype=bool)
            live[:nph] = live[nph] = pdu_live[p]
            live[nph] &= not self._lost_neutral[p]
            live[nph + 1 : ro] = branch_closed[b0:b1] & pdu_live[p]
            live[ro:] = out_live[o0:o1]
            v_peak = np.abs(w.v).max(axis=1) if n else np.zeros(nph, dtype=w.v.dtype)
            if self._surge_peaks is not None:  # the front end's analog peak detector
                for r, pk in self._surge_peaks[p].items():
                    v_peak[r] = max(float(v_peak[r]), pk)
            self._noise.add(w, live, bool(pdu_live[p]))
            blocks[self.pdu_ids[p]] = SampleBlock(
                pdu_id=self.pdu_ids[p],
                t0_s=t0,
                sample_rate_hz=w.fs,
                nominal_hz=float(topo.nominal_hz[p]),
                voltage_v=w.v,
                current_a=w.i,
                channels=topo.channels[p],
                channel_phase=topo.channel_phase[p],
                residual_ma=self._residuals.of(p, leak),
                residual_channels=topo.residual_channels[p],
                voltage_peak_v=v_peak,
            )
            status[self.pdu_ids[p]] = self._status.status(
                p,
                bool(present[p]),
                self.breakers[p],
                self.relays.closed[o0:o1],
                self.relays.cycles[o0:o1],
            )
        ambient = self.environment.ambient_c
        self._t_term = terminal_temperature_step(
            self._t_term, out_rms, self._r_contact, ambient, dt
        )
        sensors = self.environment.step(t0, dt, it_power)
        terminals = self._probes.read(self._t_term)
        feed_ok = {f: s.present for f, s in self.supply.feeds.items()}
        source = select_power_source(feed_ok.get("A", False), feed_ok.get("B", False), self._poe)
        levers = self.levers.step(dt)
        self._k += 1
        self.supply.advance(self.now_s, dt, topo.feed_nominal_hz)
        self.psus.drift(self._rng_walk)
        return Acquisition(t0, blocks, status, (*sensors, *terminals), levers, source,
                           self.levers.drain_entries())  # fmt: skip

    # ---- physical log --------------------------------------------------------------------
    def _log(self, kind: str, target: str, **detail: float | str) -> None:
        self.physical_log.append(TwinEvent(self.now_s, kind, target, detail))

    def _log_trip(self, p: int, trip: Trip, t0: float) -> None:
        t_s = t0 + trip.cut / self.topo.fs[p]
        self.physical_log.append(trip_event(self.pdu_ids[p], trip, t_s))
