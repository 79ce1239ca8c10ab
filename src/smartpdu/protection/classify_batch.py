"""Which outlets' classification would change nothing this window — for all outlets at once.

:func:`~smartpdu.protection.classify.classify_outlet` is the one definition of the outlet
classes; it runs per outlet in Python. In almost every window almost every outlet is *quiet*:
idle and already reset, or energised past its inrush window below every limit, with its
terminal temperature neither sampled for the slope nor near a limit — the scalar step would
return the same state and no finding. :class:`QuietMask` decides that over arrays (numpy, one
pass per PDU), so the control plane calls the scalar step only for the outlets where something
can happen. The predicate is conservative: any outlet it does not prove quiet goes through
``classify_outlet``, so the result is the scalar one by construction; ``tests/protection/
test_classify_batch.py`` checks the predicate against the scalar step on random states.

The test is a compiled loop (numba, like the metering kernels): for 24 outlets a numpy
expression of ~35 small-array operations cost more than the scalar steps it saved. The
classifier states are immutable, so the array mirror of the states is refreshed only for
rows whose state object changed (identity), not rebuilt every window.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from numba import njit

from smartpdu.protection.classify import ClassifierSettings, OutletProtectionState

__all__ = ["QuietMask"]

_CACHE = os.environ.get("SMARTPDU_NUMBA_NOCACHE") is None
"""Compiled code cached next to the module, as the metering kernels (same switch)."""
F64 = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]


class QuietMask:
    """Array mirror of one PDU's outlet classifier states, and the quiet test over it."""

    def __init__(self, n: int) -> None:
        self._states: list[OutletProtectionState | None] = [None] * n
        self.idle = np.zeros(n, dtype=bool)
        """Not energised and nothing to reset (the scalar step's idle hot path)."""
        self.since = np.full(n, np.nan)
        """``energised_since_s``; NaN when not energised."""
        self.overload_s = np.zeros(n)
        self.overload_warned = np.zeros(n, dtype=bool)
        self.tiers_ok = np.zeros(n, dtype=bool)
        """One OCP timer per configured tier (else the scalar step reshapes the state)."""
        self.ocp_zero = np.zeros(n, dtype=bool)
        """Every OCP tier timer at zero, one per configured tier."""
        self.derated = np.zeros(n, dtype=bool)
        self.thermal_tripped = np.zeros(n, dtype=bool)
        self.temp_ref_c = np.full(n, np.nan)
        """NaN when no reference temperature was taken yet."""
        self.temp_ref_t_s = np.zeros(n)
        self.slope = np.zeros(n)

    def sync(self, states: Sequence[OutletProtectionState], tiers: int) -> None:
        """Refresh the rows whose state object is not the one mirrored."""
        mirrored = self._states
        for k, st in enumerate(states):
            if st is mirrored[k]:
                continue
            mirrored[k] = st
            tiers_ok = len(st.ocp_s) == tiers
            self.idle[k] = (
                st.energised_since_s is None
                and not st.inrush_logged
                and st.inrush_peak_a == 0.0
                and st.overload_s == 0.0
                and not st.overload_warned
                and not any(st.ocp_s)
            )
            self.since[k] = math.nan if st.energised_since_s is None else st.energised_since_s
            self.overload_s[k] = st.overload_s
            self.overload_warned[k] = st.overload_warned
            self.tiers_ok[k] = tiers_ok
            self.ocp_zero[k] = not any(st.ocp_s)
            self.derated[k] = st.derated
            self.thermal_tripped[k] = st.thermal_tripped
            self.temp_ref_c[k] = math.nan if st.temp_ref_c is None else st.temp_ref_c
            self.temp_ref_t_s[k] = st.temp_ref_t_s
            self.slope[k] = st.slope_c_per_s

    def quiet(
        self,
        s: ClassifierSettings,
        i_rms_a: F64,
        rating_a: F64,
        temp_c: F64,
        t_s: float,
    ) -> Bool:
        """True where ``classify_outlet`` would return an equal state and no finding.

        ``temp_c`` is NaN where the outlet has no terminal temperature; ``i_rms_a`` NaN is the
        meter's "no value". Call :meth:`sync` with the current states first."""
        out = np.empty(self.idle.shape[0], dtype=np.bool_)
        multiples = _multiples(s)
        _quiet_kernel(
            self.tiers_ok, self.idle, self.since, self.overload_s, self.overload_warned,
            self.ocp_zero, self.derated, self.thermal_tripped, self.temp_ref_c,
            self.temp_ref_t_s, self.slope,
            np.ascontiguousarray(i_rms_a, dtype=np.float64),
            np.ascontiguousarray(rating_a, dtype=np.float64),
            np.ascontiguousarray(temp_c, dtype=np.float64),
            t_s, multiples,
            s.derate_temp_c, s.derate_clear_c, s.derate_slope_c_per_s, s.slope_window_s,
            s.trip_temp_c, s.derate_factor, s.energised_a, s.inrush_window_s,
            s.overload_x, s.clear_x,
            out,
        )  # fmt: skip
        return out


_MULTIPLES: dict[tuple[float, ...], F64] = {}


def _multiples(s: ClassifierSettings) -> F64:
    key = tuple(w.multiple for w in s.ocp_windows)
    arr = _MULTIPLES.get(key)
    if arr is None:
        if len(_MULTIPLES) >= 16:
            _MULTIPLES.clear()
        arr = _MULTIPLES[key] = np.array(key, dtype=np.float64)
    return arr


@njit(cache=_CACHE, nogil=True)
def _quiet_kernel(
    tiers_ok: Bool,
    idle: Bool,
    since: F64,
    overload_s: F64,
    overload_warned: Bool,
    ocp_zero: Bool,
    derated: Bool,
    thermal_tripped: Bool,
    temp_ref_c: F64,
    temp_ref_t_s: F64,
    slope: F64,
    i_rms_a: F64,
    rating_a: F64,
    temp_c: F64,
    t_s: float,
    multiples: F64,
    derate_temp_c: float,
    derate_clear_c: float,
    derate_slope: float,
    slope_window_s: float,
    trip_temp_c: float,
    derate_factor: float,
    energised_a: float,
    inrush_window_s: float,
    overload_x: float,
    clear_x: float,
    out: Bool,
) -> None:
    """The no-change conditions of ``classify_outlet``, row by row, in its own order and with
    its own floating-point expressions (no reassociation: comparisons at a limit agree)."""
    for k in range(out.shape[0]):
        out[k] = False
        if not tiers_ok[k]:
            continue  # the scalar step reshapes the OCP timers first
        # --- _thermal: no reference update, no reset of the trip latch, no branch taken
        temp = temp_c[k]
        if not math.isnan(temp):
            if thermal_tripped[k] and temp < derate_temp_c:
                continue
            if math.isnan(temp_ref_c[k]) or t_s - temp_ref_t_s[k] >= slope_window_s:
                continue
            sl = slope[k]
            if temp >= trip_temp_c:
                continue
            if not derated[k] and (temp >= derate_temp_c or sl >= derate_slope):
                continue
            if derated[k] and temp < derate_clear_c and sl < derate_slope / 2:
                continue
        # --- current
        i = i_rms_a[k]
        if math.isnan(i):
            out[k] = True  # no value: the current-based state is held
            continue
        limit = rating_a[k] * (derate_factor if derated[k] else 1.0)
        if i < energised_a:
            out[k] = idle[k]
            continue
        if math.isnan(since[k]) or t_s - since[k] < inrush_window_s or not ocp_zero[k]:
            continue
        over_tier = False
        for m in multiples:
            if i > m * limit:
                over_tier = True
        if over_tier or i > overload_x * limit:
            continue
        if i < clear_x * overload_x * limit and (overload_s[k] != 0.0 or overload_warned[k]):
            continue
        out[k] = True
