"""``smartpdu replay SCENARIO``: run a scenario through the full controller and print its events.

The runtime (numpy, the twin, the store) is imported inside the command, so ``smartpdu --help``
starts fast.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from smartpdu.config import ConfigError

if TYPE_CHECKING:
    from smartpdu.app.replay import ReplayResult

__all__ = ["replay"]

_err = Console(stderr=True, soft_wrap=True)


def _fail(exc: ConfigError) -> typer.Exit:
    _err.print(f"[bold red]invalid:[/] {exc.source} ({len(exc.issues)} problem(s))")
    for issue in exc.issues:
        _err.print(f"  [yellow]{issue.path}[/]: {issue.message}", highlight=False)
    return typer.Exit(2)


def replay(
    scenario: Path = typer.Argument(..., help="Scenario timeline YAML"),
    config: Path | None = typer.Option(
        None, "--config", "-c", help="Rack configuration YAML (default: the demo rack)"
    ),
    duration: str | None = typer.Option(
        None, "--duration", "-d", help="Simulated time, e.g. 90s, 10m, 1h (default: scenario's)"
    ),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (default: scenario's, 0)"),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Keep the store and key here (default: a temporary directory)"
    ),
    as_json: bool = typer.Option(
        False, "--json", help="One JSON object per event, then the summary"
    ),
) -> None:
    """Run SCENARIO through the full controller on the sim clock and print the events it logged."""
    from smartpdu.app.factory import demo_config_path
    from smartpdu.app.replay import replay_scenario
    from smartpdu.config import load_config
    from smartpdu.twin.scenario import load_scenario, parse_duration

    try:
        rack = load_config(config or demo_config_path())
        timeline = load_scenario(scenario)
    except ConfigError as exc:
        raise _fail(exc) from None
    duration_s: float | None = None
    if duration is not None:
        try:
            duration_s = parse_duration(duration)
        except ValueError as exc:
            _err.print(f"[bold red]invalid:[/] --duration: {exc}", highlight=False)
            raise typer.Exit(2) from None
        if duration_s <= 0:
            _err.print("[bold red]invalid:[/] --duration: must be longer than zero")
            raise typer.Exit(2)
    if data_dir is not None and data_dir.exists() and any(data_dir.iterdir()):
        _err.print(f"[bold red]invalid:[/] --data-dir {data_dir} is not empty", highlight=False)
        raise typer.Exit(2)
    try:
        result = asyncio.run(
            replay_scenario(
                rack,
                timeline,
                duration_s=duration_s,
                seed=seed,
                data_dir=data_dir,
                freeze_heap=True,
            )
        )
    except ConfigError as exc:  # ScenarioError: ids the rack does not have
        raise _fail(exc) from None
    _print(result, as_json=as_json)


def _print(result: ReplayResult, *, as_json: bool) -> None:
    out = sys.stdout
    if as_json:
        for event in result.events:
            out.write(json.dumps(event.to_dict(), separators=(",", ":")) + "\n")
        out.write(json.dumps({"summary": result.summary.to_dict()}, separators=(",", ":")) + "\n")
        return
    for e in result.events:
        out.write(
            f"{e.timestamp_utc}  {e.pdu_id:<8} #{e.sequence_id:<6} {e.severity:<8} "
            f"{e.event_code:<24} {e.source:<24} {e.message}\n"
        )
    s = result.summary
    counts = ", ".join(f"{code} ×{n}" for code, n in s.event_counts.items()) or "none"
    out.write(
        f"\nscenario {s.scenario!r} on {s.rack!r} (seed {s.seed}): {s.simulated_s:.1f} s "
        f"simulated in {s.windows} windows, {s.steps_applied} step(s) applied, "
        f"{s.realtime_factor:.0f}× real time\n{s.events} event(s): {counts}\n"
    )
