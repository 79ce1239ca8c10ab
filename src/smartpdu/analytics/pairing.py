"""PSU-pair discovery by load correlation, without power cycling anything (pure, numpy).

The two PSUs of one device share its load: when the load steps, both currents move together;
when the sharing drifts (temperature, firmware), one PSU's current rises exactly as much as the
other's falls. Either way the second-to-second *changes* of the two outlet currents are strongly
correlated (positively or negatively), while outlets of different devices move independently.
So, over a window of 1-s outlet currents::

    D = first differences per outlet;  r(a, b) = Pearson correlation of D_a and D_b
    proposal: a on one feed and b on another are each other's best |r|, and |r| ≥ threshold

The confidence is |r|. Outlets that draw (almost) nothing or never change are left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from smartpdu.config import DeviceConfig

__all__ = ["PairProposal", "configured_pairs", "propose_pairs"]

Outlet = tuple[str, str]
"""(pdu id, outlet id)."""


@dataclass(frozen=True, slots=True)
class PairProposal:
    a: Outlet
    b: Outlet
    confidence: float
    """|r| of the current changes, 0..1."""
    correlation: float


def propose_pairs(
    series: npt.NDArray[np.float64],
    outlets: Sequence[Outlet],
    feed_of: Mapping[str, str],
    *,
    threshold: float = 0.5,
    min_current_a: float = 0.05,
) -> list[PairProposal]:
    """Mutual-best pairs across feeds from ``series[t, k]`` (1-s currents of ``outlets[k]``)."""
    x = np.nan_to_num(np.asarray(series, dtype=np.float64))
    if x.shape[0] < 3:
        return []
    d = np.diff(x, axis=0)
    active = (x.mean(axis=0) >= min_current_a) & (d.std(axis=0) > 1e-9)
    idx = np.flatnonzero(active)
    if len(idx) < 2:
        return []
    z = d[:, idx] - d[:, idx].mean(axis=0)
    z /= np.linalg.norm(z, axis=0)
    r = z.T @ z
    feeds = np.array([feed_of.get(outlets[int(k)][0], "") for k in idx])
    r_abs = np.where(feeds[:, None] != feeds[None, :], np.abs(r), 0.0)
    best = r_abs.argmax(axis=1)
    out = []
    for i, j in enumerate(best.tolist()):
        if i < j and best[j] == i and r_abs[i, j] >= threshold:
            a, b = outlets[int(idx[i])], outlets[int(idx[j])]
            if feeds[i] > feeds[j]:
                a, b = b, a
            out.append(PairProposal(a, b, float(r_abs[i, j]), float(r[i, j])))
    return sorted(out, key=lambda p: (p.a, p.b))


def configured_pairs(devices: Sequence[DeviceConfig]) -> set[frozenset[Outlet]]:
    """Outlet pairs of the devices with PSUs on two different PDUs (the configuration's view)."""
    pairs: set[frozenset[Outlet]] = set()
    for d in devices:
        psus = [(p.pdu, p.outlet) for p in d.psus]
        for i in range(len(psus)):
            for j in range(i + 1, len(psus)):
                if psus[i][0] != psus[j][0]:
                    pairs.add(frozenset((psus[i], psus[j])))
    return pairs
