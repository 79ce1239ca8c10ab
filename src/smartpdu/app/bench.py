"""The twin's calibration bench: a reference source and the unit's front-end errors.

One procedure for both ways of calibrating: ``smartpdu calibrate`` on a stopped rack (it opens
the data directory itself) and the running instance (``POST …/outlets/{id}/calibrate``, through
the runtime's :class:`~smartpdu.runtime.calibration.CalibrationDesk`). The unit's front-end
errors are seeded (``--bench-seed``); once a set is stored, the twin samples those channels
through the same errors, so the stored coefficients correct rather than distort.
"""

from __future__ import annotations

from collections.abc import Mapping

from smartpdu.config import RackConfig
from smartpdu.metering import (
    CalibrationSet,
    ReferencePoint,
    factory_calibrate,
    measure_window,
)
from smartpdu.runtime.calibration import BenchOutcome
from smartpdu.runtime.calibration_store import BENCH_SEED_KEY
from smartpdu.storage import Store
from smartpdu.twin.frontend import (
    FrontEndError,
    FrontEndTwin,
    front_end_errors,
    reference_samples,
)

__all__ = ["TwinBench", "bench_calibrate", "bench_errors"]


def bench_calibrate(
    config: RackConfig,
    pdu_id: str,
    outlet_id: str,
    base: CalibrationSet,
    now: str,
    actor: str,
    bench_seed: int,
) -> BenchOutcome:
    """Calibrate at half rating (PF 1), verify at 0.8 × rating and PF 0.5; raise
    ``CalibrationError`` when verification fails. KeyError for an unknown PDU/outlet."""
    pdu = config.pdu(pdu_id)
    match = [o for o in pdu.outlets if o.id == outlet_id]
    if not match:
        raise KeyError(f"PDU {pdu_id!r} has no outlet {outlet_id!r}")
    line = next(b.line for b in pdu.branches if b.id == match[0].branch)
    v_name, i_name = f"voltage/{line}", f"outlet/{outlet_id}"
    errors = front_end_errors([v_name, i_name], bench_seed)
    f0 = float(pdu.nominal_frequency_hz)
    v_nom = pdu.nominal_voltage_v
    cal_point = ReferencePoint(v_nom, 0.5 * match[0].rating_a, 0.0, f0)
    ver_point = ReferencePoint(v_nom, 0.8 * match[0].rating_a, 60.0, f0)

    def acquire(point: ReferencePoint):  # type: ignore[no-untyped-def]
        return reference_samples(
            point, errors[v_name], errors[i_name], nominal_hz=f0,
            samples_per_cycle=pdu.samples_per_cycle, seed=bench_seed,
        )  # fmt: skip

    v0, i0, fs = acquire(ver_point)
    raw = measure_window(v0, i0[None], fs, f0, low_current_a=0.0)
    p_ref = ver_point.v_rms_v * ver_point.i_rms_a * 0.5
    before = float(raw.p_w[0] / p_ref - 1.0)
    result = factory_calibrate(
        acquire, v_name, i_name, f0, base, base.version + 1, now,
        f"twin-bench seed={bench_seed} by {actor}", cal_point, ver_point,
    )  # fmt: skip
    return BenchOutcome(
        result.calibration,
        evidence={
            "p_error_before": before,
            "p_error_after": result.verify_errors["p"],
            "pf_error_after": result.verify_errors["pf"],
        },
        report={
            "voltage": {"channel": v_name, **result.voltage.canonical(v_name)},
            "current": {"channel": i_name, **result.current.canonical(i_name)},
            "verify_p_error_before": before,
            "verify_errors_after": dict(result.verify_errors),
        },
    )


def bench_errors(
    config: RackConfig, store: Store, calibration: Mapping[str, CalibrationSet]
) -> dict[tuple[str, str], FrontEndError]:
    """The front-end errors of every calibrated channel of the unit on the bench."""
    errors: dict[tuple[str, str], FrontEndError] = {}
    for pdu_id, cal in calibration.items():
        seed_text = store.kv_get(BENCH_SEED_KEY.format(pdu=pdu_id))
        if seed_text is None:
            continue
        names = sorted(cal.channels)
        errs = front_end_errors(names, int(seed_text))
        pdu = config.pdu(pdu_id)
        line_of = {
            o.id: next(b.line for b in pdu.branches if b.id == o.branch) for o in pdu.outlets
        }
        for name in names:
            e = errs[name]
            if name.startswith("voltage/"):
                errors[(pdu_id, name)] = FrontEndError(e.gain, 0.0, e.offset)
            else:
                v = errs.get(f"voltage/{line_of.get(name.removeprefix('outlet/'), 'L1')}")
                rel = e.phase_deg - (v.phase_deg if v else 0.0)
                errors[(pdu_id, name)] = FrontEndError(e.gain, rel, e.offset)
    return errors


class TwinBench:
    """:class:`~smartpdu.runtime.calibration.CalibrationBench` of a running twin rack."""

    def __init__(
        self,
        config: RackConfig,
        store: Store,
        frontend: FrontEndTwin,
        calibration: Mapping[str, CalibrationSet],
    ) -> None:
        self._config = config
        self._store = store
        self._frontend = frontend
        self._calibration: dict[str, CalibrationSet] = dict(calibration)

    def calibrate(
        self,
        config: RackConfig,
        pdu_id: str,
        outlet_id: str,
        base: CalibrationSet,
        now: str,
        actor: str,
        bench_seed: int,
    ) -> BenchOutcome:
        return bench_calibrate(config, pdu_id, outlet_id, base, now, actor, bench_seed)

    def installed(self, pdu_id: str, calibration: CalibrationSet, bench_seed: int) -> None:
        self._calibration[pdu_id] = calibration
        self._frontend.set_errors(bench_errors(self._config, self._store, self._calibration))

    def __repr__(self) -> str:
        return f"TwinBench({sorted(self._calibration)})"
