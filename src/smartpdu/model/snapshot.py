"""The immutable "latest measurements" snapshot every interface reads (none recomputes a metric).

One snapshot is published per tick (one measurement window, ≈200 ms). REST, Redfish, SNMP, Modbus,
MQTT and the UI only read it. All values carry SI units in their names.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from smartpdu.model.harmonics import HarmonicSpectra
from smartpdu.model.states import BreakerState, LeverState, OutletState, RelayState

__all__ = [
    "BranchSnapshot",
    "ChannelReading",
    "InletSnapshot",
    "LeverSnapshot",
    "OutletSnapshot",
    "PduSnapshot",
    "RackSnapshot",
    "RiskFactor",
    "RiskScore",
    "SensorSnapshot",
]


@dataclass(frozen=True, slots=True)
class ChannelReading:
    """Metrics of one current channel over the last window, plus its energy register totals.

    NaN means "no value" (too little signal for a ratio, no frequency); ``flags`` say why. Only the
    display layer turns it into ``null``.
    """

    v_rms_v: float = 0.0
    i_rms_a: float = 0.0
    p_w: float = 0.0
    q1_var: float = 0.0
    s_va: float = 0.0
    pf: float = 0.0
    cos_phi: float = 0.0
    thd_u_pct: float = 0.0
    thd_i_pct: float = 0.0
    crest_factor: float = 0.0
    i_peak_a: float = 0.0
    frequency_hz: float = 0.0
    energy_wh: float = 0.0
    """Active energy import, non-resettable total."""
    energy_export_wh: float = 0.0
    energy_varh: float = 0.0
    energy_vah: float = 0.0
    energy_resettable_wh: float = 0.0
    """Active energy import since the last (audited) reset of the resettable register."""
    surges_minor: int = 0
    """Surge bursts on this phase by severity bucket (phase readings only; the surge stage)."""
    surges_major: int = 0
    surges_severe: int = 0
    flags: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["flags"] = list(self.flags)
        return d


@dataclass(frozen=True, slots=True)
class OutletSnapshot:
    id: str
    name: str
    branch: str
    line: str
    connector: str
    rating_a: float
    priority: str
    group: str | None
    state: OutletState
    """As sensed (relay feedback), the state operators care about."""
    commanded_on: bool
    relay_closed: bool
    locked_out: bool
    reading: ChannelReading
    terminal_temp_c: float | None = None
    relay_cycles: int = 0
    residual_ma: float | None = None
    """The outlet's residual current; None unless the PDU measures it per outlet."""
    arc_score: float = 0.0
    """Share of the last arc-detection windows with a series-arc signature (0–1)."""

    @property
    def relay(self) -> RelayState:
        return RelayState.CLOSED if self.relay_closed else RelayState.OPEN


@dataclass(frozen=True, slots=True)
class BranchSnapshot:
    id: str
    name: str
    line: str
    breaker_kind: str
    curve: str
    rating_a: float
    breaker_state: BreakerState
    reading: ChannelReading
    residual_ma: float | None = None
    trip_risk_pct: float | None = None
    surges_minor: int = 0
    """Surge bursts seen by the branch (on its phase, breaker closed) by severity bucket."""
    surges_major: int = 0
    surges_severe: int = 0


@dataclass(frozen=True, slots=True)
class InletSnapshot:
    """The PDU inlet: per-phase readings (``L1``..), neutral current, residual current, breaker."""

    feed: str
    feed_present: bool
    rating_a: float
    breaker_state: BreakerState
    phases: dict[str, ChannelReading]
    neutral_a: float
    residual_ma: float | None
    power_w: float
    apparent_va: float
    energy_wh: float
    frequency_hz: float
    demand_current_a: dict[str, float] = field(default_factory=dict)
    """15-min sliding average current per phase (StageSmarts-style demand)."""
    max_demand_current_a: dict[str, float] = field(default_factory=dict)
    demand_power_w: float = 0.0
    """15-min sliding average of the inlet active power."""
    max_demand_power_w: float = 0.0
    """Highest full-window demand since start (0 until the first 15 min have passed)."""
    reactive_var: float = 0.0
    """Sum of the phases' fundamental reactive power."""
    pf: float = math.nan
    """True power factor of the inlet, P/S of the sums (NaN without load)."""
    energy_resettable_wh: float = 0.0
    """Inlet active energy import since the last (audited) reset of the resettable register."""
    surges_minor: int = 0
    """Surge bursts at the PDU inlet by severity bucket (one count per burst)."""
    surges_major: int = 0
    surges_severe: int = 0
    spd_energy_j: float = 0.0
    """Energy the surge protective device absorbed, cumulative (estimate, docs/safety.md)."""
    spd_life_used_pct: float = 0.0
    """``spd_energy_j`` in percent of the configured energy budget."""


@dataclass(frozen=True, slots=True)
class PduSnapshot:
    id: str
    name: str
    feed: str
    phases: int
    nominal_voltage_v: float
    nominal_frequency_hz: float
    inlet: InletSnapshot
    branches: dict[str, BranchSnapshot]
    outlets: dict[str, OutletSnapshot]
    harmonics: HarmonicSpectra | None = field(default=None, compare=False, repr=False)
    """Harmonic spectra of every measured channel (``inlet/L1``, ``outlet/7``), if measured."""

    def outlet_groups(self) -> dict[str, tuple[str, ...]]:
        """Group name → member outlet ids (configuration order); one definition for every API."""
        out: dict[str, list[str]] = {}
        for oid, o in self.outlets.items():
            if o.group:
                out.setdefault(o.group, []).append(oid)
        return {g: tuple(ids) for g, ids in sorted(out.items())}


@dataclass(frozen=True, slots=True)
class SensorSnapshot:
    id: str
    kind: str
    name: str
    value: float | None
    unit: str
    status: str
    pdu: str | None = None


@dataclass(frozen=True, slots=True)
class LeverSnapshot:
    id: str
    name: str
    position: str
    locked: bool
    handle_open: bool

    @property
    def state(self) -> LeverState:
        return LeverState.of(self.locked, self.handle_open)


@dataclass(frozen=True, slots=True)
class RiskFactor:
    """One contribution to the rack's risk score (``smartpdu.analytics.risk``)."""

    name: str
    points: float
    """0–100 before combining."""
    detail: str


@dataclass(frozen=True, slots=True)
class RiskScore:
    """The rack's risk score, 0–100, with every factor (zero-point ones too: the formula shows)."""

    score: float
    factors: tuple[RiskFactor, ...] = ()


@dataclass(frozen=True, slots=True)
class RackSnapshot:
    """Everything known about the rack after one tick."""

    tick: int
    """Monotonic tick counter since process start."""
    timestamp_utc: str
    """RFC 3339 UTC time of the end of the window."""
    t_s: float
    """Acquisition-clock time of the start of the window."""
    rack_name: str
    pdus: dict[str, PduSnapshot]
    sensors: dict[str, SensorSnapshot] = field(default_factory=dict)
    levers: dict[str, LeverSnapshot] = field(default_factory=dict)
    controller_power: str = "feed_a"
    risk: RiskScore | None = None
    """The latest risk score (recomputed once a second by the risk stage; None before)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
