"""Time-window classification of one outlet's current and terminal temperature (seed 002 H2-7).

Aggregate power hides outlet-level events, so each outlet is classified on its own, window by
window, and the least disruptive safe action is chosen::

    class          condition (limit = rating × derate)          action
    inrush         peak high within inrush_window_s of energising   log, allow
    overload       rms > overload_x·limit                          warn at once, trip after
                                                                   overload_window_s (auto-retry)
    ocp            rms > multiple·limit for window_s (each tier)    trip (latched if window 0)
    derate         terminal ≥ derate_temp_c or slope ≥ limit       lower the limit (derate)
    thermal trip   terminal ≥ trip_temp_c                          trip (latched)

A thermal trip is a latched *condition*: a terminal cools with a time constant of minutes, so it
stays above the trip limit long after its outlet is off. The trip is reported once; further
windows above the limit are counted (``thermal_repeats``), not reported again, until the terminal
falls below ``derate_temp_c`` — or until the outlet is energised again while still hot, which is a
new trip.

Current values carry the meter's quality: a NaN current is "no value" and holds the current-based
state (it neither accumulates nor resets overload/OCP time, so a measurement gap cannot hide a
sustained overload); flags (clipping, degraded calibration) go into the findings' evidence.
A clipped current is a lower bound of the true one, so classifying on it never trips too early.

Pure: state in, state out; the caller owns the clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import StrEnum

__all__ = [
    "ChannelSample",
    "ClassifierSettings",
    "Finding",
    "FindingKind",
    "MeteredCurrent",
    "OcpWindow",
    "OutletProtectionState",
    "classify_outlet",
]

_SQRT2 = math.sqrt(2.0)


class FindingKind(StrEnum):
    INRUSH = "inrush"
    OVERLOAD_WARNING = "overload_warning"
    OVERLOAD_TRIP = "overload_trip"
    OCP_TRIP = "ocp_trip"
    DERATE = "derate"
    DERATE_CLEARED = "derate_cleared"
    THERMAL_TRIP = "thermal_trip"


@dataclass(frozen=True, slots=True)
class OcpWindow:
    """An electronic over-current tier: above ``multiple`` × limit for ``window_s`` trips."""

    multiple: float
    window_s: float
    latch: bool = False
    """Hold the outlet until acknowledged (no automatic retry)."""

    def __post_init__(self) -> None:
        if not self.multiple > 1.0:
            raise ValueError(f"OCP multiple must be > 1 x rating, got {self.multiple}")
        if not self.window_s >= 0.0:
            raise ValueError(f"OCP window_s must be >= 0 s, got {self.window_s}")


@dataclass(frozen=True, slots=True)
class ClassifierSettings:
    """Thresholds of the outlet classifier; defaults suit C13/C19 outlets of an IT rack."""

    inrush_window_s: float = 0.6
    inrush_peak_x: float = 1.5
    """A switch-on peak above this × √2 × rating is logged as inrush."""
    overload_x: float = 1.0
    overload_window_s: float = 10.0
    clear_x: float = 0.95
    ocp_windows: tuple[OcpWindow, ...] = (
        OcpWindow(1.5, 2.0),
        OcpWindow(2.5, 0.0, latch=True),
    )
    derate_temp_c: float = 70.0
    derate_clear_c: float = 65.0
    derate_slope_c_per_s: float = 0.5
    slope_window_s: float = 5.0
    derate_factor: float = 0.8
    trip_temp_c: float = 90.0
    energised_a: float = 0.05
    """Current above which an outlet counts as energised (switch-on detection)."""

    def __post_init__(self) -> None:
        if not 0.0 < self.clear_x <= 1.0:
            raise ValueError(f"clear_x must be in (0, 1], got {self.clear_x}")
        if not 0.0 < self.derate_factor <= 1.0:
            raise ValueError(f"derate_factor must be in (0, 1], got {self.derate_factor}")
        if not self.derate_clear_c <= self.derate_temp_c < self.trip_temp_c:
            raise ValueError(
                "temperatures must satisfy derate_clear_c <= derate_temp_c < trip_temp_c, got "
                f"{self.derate_clear_c}, {self.derate_temp_c}, {self.trip_temp_c}"
            )
        if not self.overload_window_s >= 0.0 or not self.inrush_window_s >= 0.0:
            raise ValueError("overload_window_s and inrush_window_s must be >= 0 s")


@dataclass(frozen=True, slots=True)
class ChannelSample:
    """One window of one outlet as the classifier needs it."""

    i_rms_a: float
    """NaN: the meter has no value this window."""
    i_peak_a: float
    rating_a: float
    terminal_temp_c: float | None = None
    flags: tuple[str, ...] = ()
    """The meter's quality flags of this channel (``clipping``, ``calibration_degraded``, …)."""


@dataclass(frozen=True, slots=True)
class MeteredCurrent:
    """An outlet's current as the meter produced it: NaN is "no value", flags by name."""

    i_rms_a: float
    i_peak_a: float
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OutletProtectionState:
    energised_since_s: float | None = None
    inrush_peak_a: float = 0.0
    inrush_logged: bool = False
    overload_s: float = 0.0
    overload_warned: bool = False
    ocp_s: tuple[float, ...] = ()
    derated: bool = False
    temp_ref_c: float | None = None
    temp_ref_t_s: float = 0.0
    slope_c_per_s: float = 0.0
    thermal_tripped: bool = False
    """A thermal trip was reported and the terminal has not cooled below ``derate_temp_c``."""
    thermal_repeats: int = 0
    """Windows above the trip limit since the reported trip (counted, not re-reported)."""


@dataclass(frozen=True, slots=True)
class Finding:
    """A classified condition with its evidence (value against limit over a window)."""

    kind: FindingKind
    reason_code: str
    value: float
    limit: float
    unit: str
    window_s: float
    peak: float
    latch: bool = False
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def trips(self) -> bool:
        return self.kind in (
            FindingKind.OVERLOAD_TRIP,
            FindingKind.OCP_TRIP,
            FindingKind.THERMAL_TRIP,
        )


def _thermal(
    s: ClassifierSettings,
    st: OutletProtectionState,
    temp: float | None,
    t_s: float,
    energising: bool,
) -> tuple[OutletProtectionState, list[Finding]]:
    if temp is None or math.isnan(temp):
        return st, []
    out: list[Finding] = []
    if st.thermal_tripped and temp < s.derate_temp_c:
        st = replace(st, thermal_tripped=False)  # cooled down: the next excursion is a new trip
    slope = st.slope_c_per_s
    if st.temp_ref_c is None:
        st = replace(st, temp_ref_c=temp, temp_ref_t_s=t_s)
    elif t_s - st.temp_ref_t_s >= s.slope_window_s:
        slope = (temp - st.temp_ref_c) / (t_s - st.temp_ref_t_s)
        st = replace(st, temp_ref_c=temp, temp_ref_t_s=t_s, slope_c_per_s=slope)
    if temp >= s.trip_temp_c and st.thermal_tripped and not energising:
        st = replace(st, thermal_repeats=st.thermal_repeats + 1)  # same latched condition
    elif temp >= s.trip_temp_c:
        st = replace(st, thermal_tripped=True, thermal_repeats=0)
        out.append(
            Finding(
                FindingKind.THERMAL_TRIP,
                "terminal_overtemperature",
                temp,
                s.trip_temp_c,
                "degC",
                s.slope_window_s,
                temp,
                latch=True,
                extra={"slope_c_per_s": slope},
            )
        )
    elif not st.derated and (temp >= s.derate_temp_c or slope >= s.derate_slope_c_per_s):
        by_slope = temp < s.derate_temp_c
        out.append(
            Finding(
                FindingKind.DERATE,
                "terminal_temperature_slope" if by_slope else "terminal_temperature_high",
                slope if by_slope else temp,
                s.derate_slope_c_per_s if by_slope else s.derate_temp_c,
                "degC/s" if by_slope else "degC",
                s.slope_window_s,
                temp,
                extra={"derate_factor": s.derate_factor},
            )
        )
        st = replace(st, derated=True)
    elif st.derated and temp < s.derate_clear_c and slope < s.derate_slope_c_per_s / 2:
        out.append(
            Finding(
                FindingKind.DERATE_CLEARED,
                "terminal_temperature_normal",
                temp,
                s.derate_clear_c,
                "degC",
                s.slope_window_s,
                temp,
                extra={"windows_above_trip": float(st.thermal_repeats)},
            )
        )
        st = replace(st, derated=False, thermal_repeats=0)
    return st, out


def classify_outlet(
    settings: ClassifierSettings,
    state: OutletProtectionState,
    sample: ChannelSample,
    *,
    t_s: float,
    dt_s: float,
) -> tuple[OutletProtectionState, tuple[Finding, ...]]:
    """Classify one window of one outlet; return the new state and what was found."""
    s = settings
    st = state
    if len(st.ocp_s) != len(s.ocp_windows):
        st = replace(st, ocp_s=(0.0,) * len(s.ocp_windows))
    i, peak = sample.i_rms_a, sample.i_peak_a
    energising = st.energised_since_s is None and i >= s.energised_a
    st, findings = _thermal(s, st, sample.terminal_temp_c, t_s, energising)
    if math.isnan(i):
        return st, tuple(findings)  # no value: hold the current-based state as it is
    if math.isnan(peak):
        peak = i * _SQRT2
    limit = sample.rating_a * (s.derate_factor if st.derated else 1.0)

    if i < s.energised_a:
        if (
            st.energised_since_s is None
            and not st.inrush_logged
            and st.inrush_peak_a == 0.0
            and st.overload_s == 0.0
            and not st.overload_warned
            and not any(st.ocp_s)
        ):
            return st, tuple(findings)  # already idle: nothing to reset (hot path)
        clear = replace(
            st,
            energised_since_s=None,
            inrush_peak_a=0.0,
            inrush_logged=False,
            overload_s=0.0,
            overload_warned=False,
            ocp_s=(0.0,) * len(s.ocp_windows),
        )
        return clear, tuple(findings)
    since = st.energised_since_s
    if since is None:
        since = t_s
        st = replace(st, energised_since_s=t_s, inrush_peak_a=0.0, inrush_logged=False)
    in_inrush = t_s - since < s.inrush_window_s
    if in_inrush:
        st = replace(st, inrush_peak_a=max(st.inrush_peak_a, peak))
        inrush_limit = s.inrush_peak_x * _SQRT2 * sample.rating_a
        if not st.inrush_logged and peak > inrush_limit:
            findings.append(
                Finding(
                    FindingKind.INRUSH,
                    "switch_on_inrush",
                    peak,
                    inrush_limit,
                    "A",
                    s.inrush_window_s,
                    peak,
                    extra={"i_rms_a": i},
                )
            )
            st = replace(st, inrush_logged=True)
        return st, tuple(findings)

    ocp = list(st.ocp_s)
    for k, tier in enumerate(s.ocp_windows):
        if i > tier.multiple * limit:
            ocp[k] += dt_s
            if ocp[k] >= tier.window_s - 1e-9:
                findings.append(
                    Finding(
                        FindingKind.OCP_TRIP,
                        f"ocp_{tier.multiple:g}x_{tier.window_s:g}s",
                        i,
                        tier.multiple * limit,
                        "A",
                        max(ocp[k], dt_s),
                        peak,
                        latch=tier.latch,
                    )
                )
                ocp[k] = 0.0
        else:
            ocp[k] = 0.0
    if tuple(ocp) != st.ocp_s:
        st = replace(st, ocp_s=tuple(ocp))
    if any(f.kind is FindingKind.OCP_TRIP for f in findings):
        return replace(st, overload_s=0.0), tuple(findings)

    if i > s.overload_x * limit:
        over = st.overload_s + dt_s
        if not st.overload_warned:
            findings.append(
                Finding(
                    FindingKind.OVERLOAD_WARNING,
                    "outlet_over_rating",
                    i,
                    s.overload_x * limit,
                    "A",
                    over,
                    peak,
                    extra={"act_after_s": s.overload_window_s},
                )
            )
        st = replace(st, overload_s=over, overload_warned=True)
        if over >= s.overload_window_s - 1e-9:
            findings.append(
                Finding(
                    FindingKind.OVERLOAD_TRIP,
                    "sustained_overload",
                    i,
                    s.overload_x * limit,
                    "A",
                    over,
                    peak,
                )
            )
            st = replace(st, overload_s=0.0, overload_warned=False)
    elif i < s.clear_x * s.overload_x * limit and (st.overload_s or st.overload_warned):
        st = replace(st, overload_s=0.0, overload_warned=False)
    return st, tuple(findings)
