"""``smartpdu calibrate``: factory calibration of one outlet channel on the twin's bench.

A stopped rack is calibrated here; a running one through its API (the data directory lock says
which), so only one process ever writes a data directory's event chain.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import typer
from rich.console import Console
from rich.table import Table

from smartpdu.app.bench import bench_calibrate
from smartpdu.app.datadir_lock import DataDirBusyError, DataDirLock
from smartpdu.app.factory import open_data_store, open_event_log
from smartpdu.cli.serve_cmd import _load
from smartpdu.config import RackConfig
from smartpdu.events.model import format_timestamp
from smartpdu.metering import CalibrationError, CalibrationSet
from smartpdu.runtime.calibration import calibration_event
from smartpdu.runtime.calibration_store import BENCH_SEED_KEY, load_calibration, save_calibration
from smartpdu.runtime.clock import WallClock

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
    url: str | None = typer.Option(
        None, "--url", envvar="SMARTPDU_URL", help="Running instance (default: client profile)"
    ),
    token: str | None = typer.Option(None, "--token", envvar="SMARTPDU_TOKEN"),
    user: str | None = typer.Option(None, "--user", envvar="SMARTPDU_USER"),
    password: str | None = typer.Option(None, "--password", envvar="SMARTPDU_PASSWORD"),
) -> None:
    """Apply a reference load, compute gain/phase/offset, verify at a second point, store.

    With the controller stopped this opens the data directory itself. When a running instance
    holds it, the calibration goes through that instance's API (admin; the client profile or
    --url with --token or --user/--password), which stores, applies and audits it.
    """
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
    lock = DataDirLock(data_dir, "smartpdu calibrate")
    try:
        lock.acquire()
    except DataDirBusyError as exc:
        # A running instance owns the directory: calibrate through it (its API), never beside it.
        _err.print(f"{exc}: calibrating through the running instance's API")
        report = _through_instance(pdu_id, outlet_id, bench_seed, url, token, user, password)
    else:
        try:
            report = _offline(cfg, data_dir, db, pdu_id, outlet_id, bench_seed, actor)
        finally:
            lock.release()
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    _print_report(report)


def _offline(
    cfg: RackConfig,
    data_dir: Path,
    db: str | None,
    pdu_id: str,
    outlet_id: str,
    bench_seed: int,
    actor: str,
) -> dict[str, Any]:
    """Calibrate with the controller stopped: this process holds the data directory's lock."""
    store = open_data_store(data_dir, db)
    clock = WallClock()
    try:
        now = format_timestamp(clock.now_utc())
        base = load_calibration(store, pdu_id) or CalibrationSet.create(0, now, "identity", {})
        try:
            outcome = bench_calibrate(cfg, pdu_id, outlet_id, base, now, actor, bench_seed)
        except CalibrationError as exc:
            _err.print(f"[bold red]calibration failed verification:[/] {exc}")
            raise typer.Exit(1) from None
        save_calibration(store, pdu_id, outcome.calibration)
        store.kv_set(BENCH_SEED_KEY.format(pdu=pdu_id), str(bench_seed))
        log = open_event_log(store, data_dir, clock)
        log.append(calibration_event(pdu_id, outlet_id, outcome, actor))
        log.close()
    finally:
        store.close()
    version = outcome.calibration.version
    return {"pdu_id": pdu_id, "outlet_id": outlet_id, "version": version, **outcome.report}


def _through_instance(
    pdu_id: str,
    outlet_id: str,
    bench_seed: int,
    url: str | None,
    token: str | None,
    user: str | None,
    password: str | None,
) -> dict[str, Any]:
    """POST the calibration to the running instance (client profile or --url/--token/--user);
    the instance audits it with the logged-in user as actor (``--actor`` does not apply)."""
    from smartpdu.cli.client_cmds import ApiClient, ClientError, resolve_target

    target, token = resolve_target(url, token, user)
    try:
        client = ApiClient(target, token=token, user=user, password=password, timeout=60)
    except ClientError as exc:
        _err.print(f"[bold red]cannot calibrate:[/] {exc}")
        raise typer.Exit(2) from None
    try:
        path = f"/pdus/{quote(pdu_id, safe='')}/outlets/{quote(outlet_id, safe='')}/calibrate"
        result: dict[str, Any] = client.post(path, bench_seed=bench_seed)
        return result
    except ClientError as exc:
        _err.print(f"[bold red]calibration through {target} failed:[/] {exc}")
        raise typer.Exit(1) from None
    finally:
        client.close()


def _print_report(report: dict[str, Any]) -> None:
    pdu_id, outlet_id = report["pdu_id"], report["outlet_id"]
    table = Table(title=f"Calibration v{report['version']} — {pdu_id} outlet {outlet_id}")
    for col in ("channel", "gain", "phase °", "offset"):
        table.add_column(col)
    for part in (report["voltage"], report["current"]):
        table.add_row(
            part["channel"], f"{part['gain']:.6f}", f"{part['phase_deg']:+.4f}",
            f"{part['offset']:+.6f}",
        )  # fmt: skip
    errs = ", ".join(f"{k} {v:+.2e}" for k, v in report["verify_errors_after"].items())
    before = report["verify_p_error_before"]
    _out.print(table)
    _out.print(f"verification at PF 0.5: P error {before:+.3%} before → after: {errs}")
