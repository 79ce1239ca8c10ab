"""``smartpdu meter …`` commands (mounted by the main CLI).

The metering engine (numpy, scipy, numba) is imported inside the command, so the CLI starts fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["meter_app"]

meter_app = typer.Typer(help="Metering tools: analyse scope captures.", no_args_is_help=True)


@meter_app.callback()
def _meter() -> None:
    """Metering tools (keeps ``analyze`` a sub-command even while it is the only one)."""


_ROWS = (
    ("v_rms_v", "Vrms [V]"),
    ("i_rms_a", "Irms [A]"),
    ("p_w", "P [W]"),
    ("q1_var", "Q1 [var]"),
    ("s_va", "S [VA]"),
    ("pf", "PF"),
    ("cos_phi", "cos φ"),
    ("thd_u_pct", "THD-U [%]"),
    ("thd_i_pct", "THD-I [%]"),
    ("crest_factor", "crest factor"),
    ("i_peak_a", "Ipeak [A]"),
    ("frequency_hz", "f [Hz]"),
)


@meter_app.command("analyze")
def analyze(
    capture: Annotated[Path, typer.Argument(help="CSV: time or index, voltage, currents...")],
    rate: Annotated[float | None, typer.Option("--rate", help="Sample rate in Hz")] = None,
    nominal_hz: Annotated[float | None, typer.Option("--nominal-hz")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
) -> None:
    """Measure a scope capture and print the metrics."""
    from rich.console import Console
    from rich.table import Table

    from smartpdu.metering.capture import CaptureError, analyze_capture

    try:
        result = analyze_capture(capture, rate=rate, nominal_hz=nominal_hz)
    except CaptureError as exc:
        typer.echo(f"error: {capture}: {exc}", err=True)
        raise typer.Exit(2) from None
    data = result.metrics.to_dict()
    if as_json:
        payload = {
            "channels": list(result.channels),
            "sample_rate_hz": result.sample_rate_hz,
            "nominal_hz": result.nominal_hz,
            "n_samples": result.n_samples,
            **data,
        }
        typer.echo(json.dumps(payload))
        return
    table = Table(title=f"{capture.name} — {result.n_samples} samples @ {result.sample_rate_hz} Hz")
    table.add_column("metric")
    for ch in result.channels:
        table.add_column(ch, justify="right")
    for key, label in _ROWS:
        table.add_row(label, *("—" if x is None else f"{x:.4g}" for x in data[key]))
    table.add_row("flags", *(", ".join(f) or "ok" for f in data["flags"]))
    Console().print(table)
