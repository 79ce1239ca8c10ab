"""Index arrays of a rack's wiring, built once so each window is array arithmetic.

Global numbering: outlets and branches of all PDUs in config order, PSUs in device order.
Current rows of a PDU's block: phases, neutral, branches, outlets (see ``SampleBlock``).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from smartpdu.config.models import LoadKind, RackConfig
from smartpdu.twin.supply import phase_rotation

__all__ = ["Topology"]

IArray = npt.NDArray[np.intp]
_LINES = {"L1": 0, "L2": 1, "L3": 2}


def _known(kind: str, key: str, known: list[str]) -> KeyError:
    return KeyError(f"no {kind} {key!r}; known: {known}")


class Topology:
    """Where every outlet, branch and PSU sits, and the summing matrices between them."""

    def __init__(self, config: RackConfig) -> None:
        pdus = config.pdus
        self.pdu_ids = [p.id for p in pdus]
        self._pdu = {p.id: k for k, p in enumerate(pdus)}
        self._dev = {d.name: k for k, d in enumerate(config.devices)}
        self.pdu_feed = [p.feed for p in pdus]
        self.phases = [p.phases for p in pdus]
        self.spc = [p.samples_per_cycle for p in pdus]
        self.nominal_hz = [p.nominal_frequency_hz for p in pdus]
        self.fs = [float(p.samples_per_cycle * p.nominal_frequency_hz) for p in pdus]
        cycles = [10 if p.nominal_frequency_hz == 50 else 12 for p in pdus]
        self.n = [c * p.samples_per_cycle for c, p in zip(cycles, pdus, strict=True)]
        windows = {round(n / fs, 9) for n, fs in zip(self.n, self.fs, strict=True)}
        if len(windows) != 1:
            raise ValueError(f"all PDUs must share one window length, got {sorted(windows)} s")
        self.window_s = windows.pop()
        self.vnom = np.array([p.nominal_voltage_v for p in pdus], dtype=float)
        self.feed_nominal_hz: dict[str, float] = {
            p.feed: float(p.nominal_frequency_hz) for p in pdus
        }
        self.v_rot = [np.array([phase_rotation(k) for k in range(p.phases)]) for p in pdus]

        self._outlet: dict[tuple[str, str], int] = {}
        out_pdu: list[int] = []
        out_branch: list[int] = []
        br_phase: list[int] = []
        self.out_slice: list[tuple[int, int]] = []
        self.branch_slice: list[tuple[int, int]] = []
        self.outlet_ids: list[list[str]] = []
        for k, p in enumerate(pdus):
            b0, o0 = len(br_phase), len(out_pdu)
            local_b = {b.id: i for i, b in enumerate(p.branches)}
            for b in p.branches:
                br_phase.append(_LINES[b.line] if p.phases == 3 else 0)
            for o in p.outlets:
                self._outlet[(p.id, o.id)] = len(out_pdu)
                out_pdu.append(k)
                out_branch.append(b0 + local_b[o.branch])
            self.branch_slice.append((b0, len(br_phase)))
            self.out_slice.append((o0, len(out_pdu)))
            self.outlet_ids.append([o.id for o in p.outlets])
        self.out_pdu = np.array(out_pdu, dtype=np.intp)
        self.out_branch = np.array(out_branch, dtype=np.intp)
        self.br_phase = np.array(br_phase, dtype=np.intp)
        self.n_outlets, self.n_branches = len(out_pdu), len(br_phase)

        psu_device, psu_outlet, psu_index, kinds = [], [], [], []
        for d, dev in enumerate(config.devices):
            for j, ps in enumerate(dev.psus):
                psu_device.append(d)
                psu_outlet.append(self.outlet(ps.pdu, ps.outlet))
                psu_index.append(j + 1)
                kinds.append(dev.load.kind)
        self.psu_device = np.array(psu_device, dtype=np.intp)
        self.psu_outlet = np.array(psu_outlet, dtype=np.intp)
        self.psu_index = psu_index
        self.psu_pdu = self.out_pdu[self.psu_outlet]
        self.psu_phase = self.br_phase[self.out_branch[self.psu_outlet]]
        self.outlet_of_psu = np.zeros((self.n_outlets, len(psu_device)))
        self.outlet_of_psu[self.psu_outlet, np.arange(len(psu_device))] = 1.0
        self.used_outlets = [
            np.unique(self.psu_outlet[self.psu_pdu == k]) - self.out_slice[k][0]
            for k in range(len(pdus))
        ]
        self.psus_of_pdu = [np.flatnonzero(self.psu_pdu == k) for k in range(len(pdus))]
        psu_branch = self.out_branch[self.psu_outlet]
        self.psus_of_branch = [np.flatnonzero(psu_branch == b) for b in range(self.n_branches)]

        self.row_branches = [p.phases + 1 for p in pdus]
        self.row_outlets = [p.phases + 1 + len(p.branches) for p in pdus]
        self.n_channels = [r + len(p.outlets) for r, p in zip(self.row_outlets, pdus, strict=True)]
        self.branch_of_outlet, self.phase_of_branch, self.outlets_of_branch = [], [], []
        self.res_rows, self.channels, self.channel_phase = [], [], []
        self.residual_channels, self.rcbo_branches = [], []
        self.rcm_outlets: list[bool] = []
        """Per PDU: each outlet has its own residual-current toroid (``residual_per_outlet``)."""
        res_outlets = {
            int(o) for o, kd in zip(psu_outlet, kinds, strict=True) if kd is LoadKind.RESISTIVE
        }
        for k, p in enumerate(pdus):
            (b0, b1), (o0, o1) = self.branch_slice[k], self.out_slice[k]
            local_branch = self.out_branch[o0:o1] - b0
            m = np.zeros((b1 - b0, o1 - o0))
            m[local_branch, np.arange(o1 - o0)] = 1.0
            self.branch_of_outlet.append(m)
            ph = np.zeros((p.phases, b1 - b0))
            ph[self.br_phase[b0:b1], np.arange(b1 - b0)] = 1.0
            self.phase_of_branch.append(ph)
            self.outlets_of_branch.append(
                [np.flatnonzero(local_branch == b) for b in range(b1 - b0)]
            )
            self.res_rows.append(
                np.array(
                    [self.row_outlets[k] + o - o0 for o in range(o0, o1) if o in res_outlets],
                    dtype=np.intp,
                )
            )
            lines = [f"inlet/L{i + 1}" for i in range(p.phases)]
            self.channels.append(
                (
                    *lines,
                    "inlet/N",
                    *(f"branch/{b.id}" for b in p.branches),
                    *(f"outlet/{o.id}" for o in p.outlets),
                )
            )
            self.channel_phase.append(
                np.concatenate(
                    [
                        np.arange(p.phases),
                        [0],
                        self.br_phase[b0:b1],
                        self.br_phase[self.out_branch[o0:o1]],
                    ]
                ).astype(np.intp)
            )
            rcbo = [b0 + i for i, b in enumerate(p.branches) if b.breaker.kind == "RCBO"]
            self.rcbo_branches.append(rcbo)
            self.rcm_outlets.append(p.residual_per_outlet)
            self.residual_channels.append(
                (
                    "inlet",
                    *(f"branch/{p.branches[b - b0].id}" for b in rcbo),
                    *(f"outlet/{o.id}" for o in (p.outlets if p.residual_per_outlet else ())),
                )
            )
        self.terminal_ids = [f"terminal/{p.id}/{o.id}" for p in pdus for o in p.outlets]
        assert math.isfinite(self.window_s)

    def pdu(self, pdu_id: str) -> int:
        try:
            return self._pdu[pdu_id]
        except KeyError:
            raise _known("PDU", pdu_id, self.pdu_ids) from None

    def device(self, name: str) -> int:
        try:
            return self._dev[name]
        except KeyError:
            raise _known("device", name, sorted(self._dev)) from None

    def outlet(self, pdu_id: str, outlet_id: str) -> int:
        k = self.pdu(pdu_id)
        try:
            return self._outlet[(pdu_id, outlet_id)]
        except KeyError:
            raise _known(f"outlet on {pdu_id}", outlet_id, self.outlet_ids[k]) from None
