"""Priority load shedding for one PDU: lowest priority first, one by one, restore with hysteresis.

Scopes are the PDU's feed (VA), phases (A) and branches (A). A scope above its planning limit
(80 % of rating) warns; above it for ``shed_delay_s`` the shedder switches off one outlet of that
scope — low before normal, larger load first — then waits ``shed_interval_s`` before the next.
Critical outlets are never shed. An outlet that is the last powered input of a device with
several inputs (a dual-corded server whose other PSU has no power) is shed only when its
priority is ``low``: a ``normal`` priority there means "keep this device running". Within a
priority, an outlet whose device keeps another powered input goes first (no downtime). Shed
outlets come back last-shed-first once every scope they load would stay below ``restore_pct``
*including their last known load* for ``restore_delay_s``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from smartpdu.control.settings import SheddingSettings

__all__ = [
    "LevelChange",
    "LoadShedder",
    "ScopeLoad",
    "ShedCandidate",
    "ShedDecision",
]

_PRIORITY_RANK = {"low": 0, "normal": 1}


@dataclass(frozen=True, slots=True)
class ScopeLoad:
    key: str
    """``feed/A``, ``phase/L1``, ``branch/B3``."""
    event_code: str
    value: float
    limit: float
    """The rating (100 %)."""
    unit: str
    outlets: tuple[str, ...]

    @property
    def pct(self) -> float:
        return 100.0 * self.value / self.limit if self.limit > 0 else 0.0


@dataclass(frozen=True, slots=True)
class ShedCandidate:
    """An outlet that is on; ``i_a`` / ``s_va`` are its load in the scopes' units."""

    outlet_id: str
    priority: str
    i_a: float
    s_va: float
    last_input_of: str | None = None
    """The device (several inputs) this outlet is the last powered input of, if any."""

    @property
    def sheddable(self) -> bool:
        """Priority allows it: never critical; a device's last input only when ``low``."""
        if self.priority not in _PRIORITY_RANK:
            return False
        return self.last_input_of is None or self.priority == "low"


@dataclass(frozen=True, slots=True)
class LevelChange:
    scope: ScopeLoad
    previous: str
    level: str
    """``ok``, ``warning`` (planning limit) or ``critical`` (rating)."""


@dataclass(frozen=True, slots=True)
class ShedDecision:
    restore: bool
    outlet_id: str
    scope_key: str
    value: float
    limit: float
    unit: str
    window_s: float
    peak: float
    reason_code: str
    load: float


@dataclass(slots=True)
class _ScopeState:
    level: str = "ok"
    over_s: float = 0.0
    peak: float = 0.0


@dataclass(frozen=True, slots=True)
class _Shed:
    outlet_id: str
    i_a: float
    s_va: float


@dataclass(slots=True)
class LoadShedder:
    """Typed state of the shedder of one PDU."""

    settings: SheddingSettings
    scopes: dict[str, _ScopeState] = field(default_factory=dict)
    shed: list[_Shed] = field(default_factory=list)
    last_action_s: float = float("-inf")
    below_s: float = 0.0

    def is_shed(self, outlet_id: str) -> bool:
        return any(s.outlet_id == outlet_id for s in self.shed)

    def forget(self, outlet_id: str) -> None:
        """An operator took over this outlet: it is no longer ours to restore."""
        self.shed = [s for s in self.shed if s.outlet_id != outlet_id]

    def _levels(self, loads: list[ScopeLoad], dt_s: float) -> list[LevelChange]:
        cfg = self.settings
        changes: list[LevelChange] = []
        for scope in loads:
            st = self.scopes.setdefault(scope.key, _ScopeState())
            pct = scope.pct
            if pct > cfg.planning_pct:
                st.over_s += dt_s
                st.peak = max(st.peak, scope.value)
            else:
                st.over_s, st.peak = 0.0, 0.0
            if pct >= 100.0:
                raw = "critical"
            elif pct >= cfg.planning_pct:
                raw = "warning"
            else:
                raw = "ok"
            rank = {"ok": 0, "warning": 1, "critical": 2}
            if rank[raw] >= rank[st.level]:
                level = raw
            elif st.level == "critical" and pct >= 100.0 - cfg.level_clear_pct:
                level = "critical"
            elif pct >= cfg.planning_pct - cfg.level_clear_pct:
                level = "warning"
            else:
                level = raw
            if level != st.level:
                changes.append(LevelChange(scope, st.level, level))
                st.level = level
        return changes

    def step(
        self,
        loads: list[ScopeLoad],
        candidates: Sequence[ShedCandidate] | Callable[[], Sequence[ShedCandidate]],
        *,
        t_s: float,
        dt_s: float,
        feed_loss: bool,
    ) -> tuple[list[LevelChange], list[ShedDecision]]:
        """One window: level changes (for events) and at most one shed or restore.

        ``candidates`` may be a callable: it is called only when a scope is due for shedding
        (most windows shed nothing, and listing the candidates is a walk over every outlet)."""
        cfg = self.settings
        changes = self._levels(loads, dt_s)
        if not cfg.enabled or t_s - self.last_action_s < cfg.shed_interval_s - 1e-6:
            return changes, []
        over = [
            s
            for s in loads
            if self.scopes[s.key].over_s > 0.0
            and self.scopes[s.key].over_s >= cfg.shed_delay_s - 1e-6
        ]
        if over:
            self.below_s = 0.0
            pool = candidates() if callable(candidates) else candidates
            return changes, self._shed_one(over, pool, t_s, feed_loss)
        if any(s.pct > cfg.planning_pct for s in loads) or not self.shed:
            self.below_s = 0.0
            return changes, []
        nxt = self.shed[-1]
        worst: ScopeLoad | None = None
        worst_pct = 0.0
        for s in loads:
            if nxt.outlet_id in s.outlets:
                add = nxt.s_va if s.unit == "VA" else nxt.i_a
                pct = 100.0 * (s.value + add) / s.limit
                if worst is None or pct > worst_pct:
                    worst, worst_pct = s, pct
        if worst_pct >= cfg.restore_pct:
            self.below_s = 0.0
            return changes, []
        self.below_s += dt_s
        if self.below_s < cfg.restore_delay_s - 1e-6 or worst is None:
            return changes, []
        self.shed.pop()
        self.below_s = 0.0
        self.last_action_s = t_s
        load = nxt.s_va if worst.unit == "VA" else nxt.i_a
        return changes, [
            ShedDecision(
                True,
                nxt.outlet_id,
                worst.key,
                worst.value,
                worst.limit * cfg.restore_pct / 100,
                worst.unit,
                cfg.restore_delay_s,
                worst.value,
                "load_below_restore_level",
                load,
            )
        ]

    def _shed_one(
        self,
        over: list[ScopeLoad],
        candidates: Sequence[ShedCandidate],
        t_s: float,
        feed_loss: bool,
    ) -> list[ShedDecision]:
        cfg = self.settings
        for scope in sorted(over, key=lambda s: -s.pct):
            pool = [
                c
                for c in candidates
                if c.outlet_id in scope.outlets
                and c.sheddable
                and not self.is_shed(c.outlet_id)
                and c.i_a > 0.05
            ]
            if not pool:
                continue
            unit_va = scope.unit == "VA"
            pick = min(
                pool,
                key=lambda c: (
                    _PRIORITY_RANK[c.priority],
                    c.last_input_of is not None,
                    -(c.s_va if unit_va else c.i_a),
                ),
            )
            self.shed.append(_Shed(pick.outlet_id, pick.i_a, pick.s_va))
            self.last_action_s = t_s
            st = self.scopes[scope.key]
            kind = scope.key.split("/", 1)[0]
            reason = "feed_loss_overload" if feed_loss else f"{kind}_over_planning_limit"
            return [
                ShedDecision(
                    False,
                    pick.outlet_id,
                    scope.key,
                    scope.value,
                    scope.limit * cfg.planning_pct / 100,
                    scope.unit,
                    st.over_s,
                    st.peak,
                    reason,
                    pick.s_va if unit_va else pick.i_a,
                )
            ]
        return []
