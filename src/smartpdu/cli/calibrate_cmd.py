"""``smartpdu calibrate``: factory calibration of one outlet channel on the twin's bench."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from smartpdu.app.datadir_lock import DataDirBusyError, DataDirLock
from smartpdu.app.factory import open_data_store, open_event_log
from smartpdu.cli.serve_cmd import _load
from smartpdu.events import Action, NewEvent
from smartpdu.events.model import format_timestamp
from smartpdu.metering import (
    CalibrationError,
    CalibrationSet,
    ReferencePoint,
    factory_calibrate,
    measure_window,
)
from smartpdu.runtime.calibration_store import BENCH_SEED_KEY, load_calibration, save_calibration
from smartpdu.runtime.clock import WallClock
from smartpdu.twin.frontend import front_end_errors, reference_samples

_out = Console()
_err = Console(stderr=True, soft_wrap=True)


def calibrate(
    config: Path = typer.Option(..., "--config", "-c", help="Rack configuration YAML"),
    outlet: str = typer.Option(
        ..., "--outlet", help="PDU/OUTLET, e.g. pdu-a/7 (or 7 with one PDU)"
    ),
    data_dir: Path = typer.Option(Path("var/smartpdu"), "--data-dir"),
    db: str | None = typer.Option(None, "--db", help="Store URL (default: SQLite in --data-dir)"),
    bench_seed: int = typer.Option(7, "--bench-seed", help="Seed of the unit's front-end errors"),
    actor: str = typer.Option("factory", "--actor", help="Who calibrates (recorded in the event)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Apply a reference load, compute gain/phase/offset, verify at a second point, store."""
    cfg = _load(config)
    pdu_id, _, outlet_id = outlet.rpartition("/")
    if not pdu_id:
        if len(cfg.pdus) != 1:
            _err.print("[red]name the PDU: --outlet PDU/OUTLET[/]")
            raise typer.Exit(2)
        pdu_id = cfg.pdus[0].id
    try:
        pdu = cfg.pdu(pdu_id)
    except KeyError as exc:
        _err.print(f"[red]{exc.args[0]}[/]")
        raise typer.Exit(2) from None
    match = [o for o in pdu.outlets if o.id == outlet_id]
    if not match:
        _err.print(f"[red]PDU {pdu_id!r} has no outlet {outlet_id!r}[/]")
        raise typer.Exit(2)
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

    lock = DataDirLock(data_dir, "smartpdu calibrate")
    try:
        lock.acquire()
    except DataDirBusyError as exc:
        _err.print(
            f"[bold red]cannot calibrate:[/] {exc}. Calibrate with the controller stopped; "
            "calibrating a running instance through its API is not available yet."
        )
        raise typer.Exit(2) from None
    store = open_data_store(data_dir, db)
    clock = WallClock()
    try:
        now = format_timestamp(clock.now_utc())
        base = load_calibration(store, pdu_id) or CalibrationSet.create(0, now, "identity", {})
        v0, i0, fs = acquire(ver_point)
        raw = measure_window(v0, i0[None], fs, f0, low_current_a=0.0)
        p_ref = ver_point.v_rms_v * ver_point.i_rms_a * 0.5
        before = float(raw.p_w[0] / p_ref - 1.0)
        try:
            result = factory_calibrate(
                acquire, v_name, i_name, f0, base, base.version + 1, now,
                f"twin-bench seed={bench_seed} by {actor}", cal_point, ver_point,
            )  # fmt: skip
        except CalibrationError as exc:
            _err.print(f"[bold red]calibration failed verification:[/] {exc}")
            raise typer.Exit(1) from None
        save_calibration(store, pdu_id, result.calibration)
        store.kv_set(BENCH_SEED_KEY.format(pdu=pdu_id), str(bench_seed))
        log = open_event_log(store, data_dir, clock)
        log.append(
            NewEvent(
                pdu_id=pdu_id,
                source=f"outlet/{outlet_id}",
                event_code="CALIBRATION_CHANGED",
                message=f"Calibration version {result.calibration.version} stored for {i_name}",
                action_taken=Action.CONFIG,
                reason_code="FACTORY_CALIBRATION",
                evidence={
                    "version": result.calibration.version,
                    "p_error_before": before,
                    "p_error_after": result.verify_errors["p"],
                    "pf_error_after": result.verify_errors["pf"],
                },
                actor=actor,
            )
        )
        log.close()
    finally:
        store.close()
        lock.release()
    report = {
        "pdu_id": pdu_id,
        "outlet_id": outlet_id,
        "version": result.calibration.version,
        "voltage": {"channel": v_name, **result.voltage.canonical(v_name)},
        "current": {"channel": i_name, **result.current.canonical(i_name)},
        "verify_p_error_before": before,
        "verify_errors_after": result.verify_errors,
    }
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    table = Table(title=f"Calibration v{result.calibration.version} — {pdu_id} outlet {outlet_id}")
    for col in ("channel", "gain", "phase °", "offset"):
        table.add_column(col)
    for c, name in ((result.voltage, v_name), (result.current, i_name)):
        table.add_row(name, f"{c.gain:.6f}", f"{c.phase_deg:+.4f}", f"{c.offset:+.6f}")
    _out.print(table)
    errs = ", ".join(f"{k} {v:+.2e}" for k, v in result.verify_errors.items())
    _out.print(f"verification at PF 0.5: P error {before:+.3%} before → after: {errs}")
