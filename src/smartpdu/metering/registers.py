"""Energy registers per channel with compensated (Neumaier) float64 accumulation.

Each channel has non-resettable totals and resettable "trip" registers for: active import and
export (Wh), reactive import/export (varh, inductive/capacitive Q1) and apparent (VAh). Neumaier's
compensation keeps the running error independent of the number of windows, so 10 years of 200 ms
windows (1.6e9 additions) lose nothing measurable.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["QUANTITIES", "EnergyRegisters", "RegisterReset"]

QUANTITIES = (
    "active_import_wh",
    "active_export_wh",
    "reactive_import_varh",
    "reactive_export_varh",
    "apparent_vah",
)


@dataclass(frozen=True, slots=True)
class RegisterReset:
    """What an audited reset event needs: who, when, and the values before the reset."""

    actor: str
    at: str
    channels: tuple[str, ...]
    values_before: dict[str, dict[str, float]]


def _increments(p_w: Any, q_var: Any, s_va: Any, hours: Any) -> npt.NDArray[np.float64]:
    p = np.asarray(p_w, dtype=np.float64)
    q = np.asarray(q_var, dtype=np.float64)
    s = np.asarray(s_va, dtype=np.float64)
    return np.stack(
        [
            np.maximum(p, 0.0) * hours,
            np.maximum(-p, 0.0) * hours,
            np.maximum(q, 0.0) * hours,
            np.maximum(-q, 0.0) * hours,
            np.abs(s) * hours,
        ]
    )


class EnergyRegisters:
    """Registers of a fixed list of channels (e.g. ``outlet/7``, ``branch/A``, ``inlet/L1``)."""

    def __init__(self, channels: Sequence[str]) -> None:
        self.channels = tuple(channels)
        shape = (len(QUANTITIES), len(self.channels))
        # [0]=total, [1]=resettable; each a (sum, compensation) pair
        self._sum = np.zeros((2, *shape))
        self._comp = np.zeros((2, *shape))

    def _neumaier(self, x: npt.NDArray[np.float64]) -> None:
        """One Neumaier step of both banks (total, resettable) at once, element by element."""
        s = self._sum
        t = s + x
        big = np.abs(s) >= np.abs(x)
        self._comp += np.where(big, (s - t) + x, (x - t) + s)
        self._sum = t

    def add(self, p_w: Any, q1_var: Any, s_va: Any, duration_s: float) -> None:
        """Add one window (arrays over channels, in ``channels`` order)."""
        self._neumaier(_increments(p_w, q1_var, s_va, duration_s / 3600.0))

    def add_many(self, p_w: Any, q1_var: Any, s_va: Any, duration_s: Any) -> None:
        """Add many windows at once: arrays (windows, channels), durations (windows,).

        Each chunk is summed exactly rounded (``math.fsum``) per register and then added with the
        same Neumaier step, so the result equals one-by-one compensated accumulation.
        """
        hours = np.asarray(duration_s, dtype=np.float64)[:, None] / 3600.0
        inc = _increments(p_w, q1_var, s_va, hours)  # (quantities, windows, channels)
        chunk = np.array(
            [[math.fsum(inc[q, :, c]) for c in range(inc.shape[2])] for q in range(inc.shape[0])]
        )
        self._neumaier(chunk)

    def _values(self, r: int) -> npt.NDArray[np.float64]:
        return self._sum[r] + self._comp[r]

    def totals_array(self) -> npt.NDArray[np.float64]:
        """Non-resettable totals as an array (quantities in ``QUANTITIES`` order, channels)."""
        return self._values(0)

    def resettable_array(self) -> npt.NDArray[np.float64]:
        """Resettable registers as an array (quantities in ``QUANTITIES`` order, channels)."""
        return self._values(1)

    def totals(self) -> dict[str, dict[str, float]]:
        """Non-resettable totals per channel and quantity."""
        return self._as_dict(self._values(0))

    def resettable(self) -> dict[str, dict[str, float]]:
        return self._as_dict(self._values(1))

    def _as_dict(self, vals: npt.NDArray[np.float64]) -> dict[str, dict[str, float]]:
        return {
            ch: {q: float(vals[k, c]) for k, q in enumerate(QUANTITIES)}
            for c, ch in enumerate(self.channels)
        }

    def reset(self, actor: str, at: str, channels: Sequence[str] | None = None) -> RegisterReset:
        """Zero the resettable registers; return the record for the audit event."""
        names = tuple(self.channels if channels is None else channels)
        idx = [self.channels.index(n) for n in names]
        before = self.resettable()
        self._sum[1][:, idx] = 0.0
        self._comp[1][:, idx] = 0.0
        return RegisterReset(actor, at, names, {n: before[n] for n in names})

    def to_dict(self, *, arrays: bool = False) -> dict[str, Any]:
        """Plain data; ``arrays`` gives ``sum``/``comp`` as float64 array copies (for a packer
        that writes their bytes) instead of nested lists."""
        return {
            "channels": list(self.channels),
            "quantities": list(QUANTITIES),
            "sum": self._sum.copy() if arrays else self._sum.tolist(),
            "comp": self._comp.copy() if arrays else self._comp.tolist(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EnergyRegisters:
        if list(data["quantities"]) != list(QUANTITIES):
            raise ValueError("stored registers have a different quantity layout")
        reg = cls(data["channels"])
        reg._sum = np.array(data["sum"], dtype=np.float64).reshape(reg._sum.shape)
        reg._comp = np.array(data["comp"], dtype=np.float64).reshape(reg._comp.shape)
        return reg
