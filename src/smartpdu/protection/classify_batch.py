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

The classifier states are immutable, so the array mirror of the states is refreshed only for
rows whose state object changed (identity), not rebuilt every window.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from smartpdu.protection.classify import ClassifierSettings, OutletProtectionState

__all__ = ["QuietMask"]

_SQRT2 = math.sqrt(2.0)
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
        # --- terminal temperature (the scalar _thermal step is a no-op)
        has_t = ~np.isnan(temp_c)
        with np.errstate(invalid="ignore"):
            t_quiet = (
                ~(self.thermal_tripped & (temp_c < s.derate_temp_c))
                & ~np.isnan(self.temp_ref_c)
                & ~(t_s - self.temp_ref_t_s >= s.slope_window_s)
                & (temp_c < s.trip_temp_c)
                & (
                    self.derated
                    | ((temp_c < s.derate_temp_c) & (self.slope < s.derate_slope_c_per_s))
                )
                & ~(
                    self.derated
                    & (temp_c < s.derate_clear_c)
                    & (self.slope < s.derate_slope_c_per_s / 2)
                )
            )
        thermal = ~has_t | t_quiet
        # --- current (after a quiet thermal step the state, so ``derated``, is unchanged)
        no_value = np.isnan(i_rms_a)
        limit = rating_a * np.where(self.derated, s.derate_factor, 1.0)
        i = np.where(no_value, 0.0, i_rms_a)
        below = i < s.energised_a
        idle_ok = below & self.idle
        ocp_ok = self.ocp_zero.copy()
        for tier in s.ocp_windows:
            ocp_ok &= ~(i > tier.multiple * limit)
        overload_ok = ~(i > s.overload_x * limit) & ~(
            (i < s.clear_x * s.overload_x * limit)
            & ((self.overload_s != 0.0) | self.overload_warned)
        )
        with np.errstate(invalid="ignore"):
            past_inrush = ~np.isnan(self.since) & ~(t_s - self.since < s.inrush_window_s)
        running_ok = ~below & past_inrush & ocp_ok & overload_ok
        return self.tiers_ok & thermal & (no_value | idle_ok | running_ok)
