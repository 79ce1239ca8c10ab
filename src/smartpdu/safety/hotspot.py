"""Contact-resistance estimation per outlet terminal: online least squares with forgetting (pure).

The terminal heats by the power lost in its contact, I²·R, through a thermal resistance r_th
(K/W) with a time constant τ (first order, like the terminal itself), relaxing towards the air
around it plus its own rise::

    T[n+1] = a·T[n] + (1 − a)·(Ta[n→n+1] + k·u[n]),   a = exp(−Δt/τ),  k = r_th·R

with ``u`` the mean I² over the step and ``Ta[n→n+1]`` the mean ambient over the step (the
trapezoid of its two ends). Regressing z = T[n+1] − a·T[n] − (1 − a)·Ta[n→n+1] on u with
exponential forgetting λ = exp(−Δt/memory) gives k, hence R = k / r_th, step by step — and,
unlike the steady-state ratio (T − Ta)/I², without waiting for the terminal to warm up: a contact
that degrades at constant current is seen within a minute or two, long before protection's
70/90 °C limits. Outlets carrying too little current (u < u_min) teach nothing and keep their
estimate.

The ambient enters the model where the physics puts it (the terminal *lags* the air): regressing
the rise y = T − Ta instead leaves −ΔTa per step in z. That term is ~20× the I²R signal of a
healthy 2 mΩ contact when the rack air drifts 0.3 K/min, and a feed loss moves air temperature
and doubles the surviving outlets' current at once — the drift was read as a resistance rise.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

__all__ = ["ContactEstimator"]

FArray = npt.NDArray[np.float64]


class ContactEstimator:
    """Vectorised over ``n`` terminals; ``update`` once per step of ``dt_s``."""

    def __init__(
        self, n: int, *, dt_s: float, tau_s: float, memory_s: float, r_th_c_per_w: float,
        min_current_a: float,
    ) -> None:  # fmt: skip
        if not (dt_s > 0 and tau_s > 0 and memory_s > 0 and r_th_c_per_w > 0):
            raise ValueError("dt_s, tau_s, memory_s and r_th_c_per_w must be > 0")
        self.a = math.exp(-dt_s / tau_s)
        self.lam = math.exp(-dt_s / memory_s)
        self.r_th = r_th_c_per_w
        self.u_min = min_current_a**2
        self.sxx = np.zeros(n)
        self.sxy = np.zeros(n)
        self.samples = np.zeros(n)
        """Effective number of informative samples (decays with the forgetting factor)."""
        self._prev: tuple[FArray, FArray] | None = None

    def update(self, u: FArray, temp: FArray, ambient: FArray | float = 0.0) -> None:
        """One step: ``u`` mean I² (A²) over the step, ``temp`` terminal temperatures now and
        ``ambient`` the air around them now (°C; with the default 0, ``temp`` is the rise over a
        constant ambient). NaN (no sensor value) skips that terminal and restarts its pair."""
        amb = np.broadcast_to(np.asarray(ambient, dtype=np.float64), temp.shape)
        prev = self._prev
        self._prev = (temp.copy(), amb.copy())
        if prev is None:
            return
        t_prev, a_prev = prev
        z = temp - self.a * t_prev - (1.0 - self.a) * 0.5 * (amb + a_prev)
        ok = np.isfinite(z) & np.isfinite(u) & (u >= self.u_min)
        lam = self.lam
        self.sxx = np.where(ok, lam * self.sxx + u * u, self.sxx)
        self.sxy = np.where(ok, lam * self.sxy + u * np.where(ok, z, 0.0), self.sxy)
        self.samples = np.where(ok, lam * self.samples + 1.0, self.samples)

    def resistance_mohm(self) -> FArray:
        """Estimated contact resistance per terminal in mΩ (NaN where nothing was learnt)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            k = self.sxy / ((1.0 - self.a) * self.sxx)
        return np.where(self.sxx > 0, 1e3 * k / self.r_th, np.nan)
