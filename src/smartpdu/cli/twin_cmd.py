"""``smartpdu twin run``: replay a scenario on the twin with a progress bar and a summary table.

The twin (numpy) is imported inside the command, so ``smartpdu --help`` starts fast.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from smartpdu.config import ConfigError

if TYPE_CHECKING:
    from rich.table import Table

    from smartpdu.config import RackConfig
    from smartpdu.twin.runner import RunSummary
    from smartpdu.twin.scenario import Scenario

__all__ = ["twin_app"]

twin_app = typer.Typer(help="Run the digital twin of a rack.", no_args_is_help=True)
_err = Console(stderr=True, soft_wrap=True)


@twin_app.callback()
def _twin() -> None:
    """Run the digital twin of a rack (keeps ``run`` a sub-command when mounted or alone)."""


def _fail(exc: ConfigError) -> typer.Exit:
    _err.print(f"[bold red]invalid:[/] {exc.source} ({len(exc.issues)} problem(s))")
    for issue in exc.issues:
        _err.print(f"  [yellow]{issue.path}[/]: {issue.message}", highlight=False)
    return typer.Exit(2)


def _bad_option(name: str, message: str) -> typer.Exit:
    _err.print(f"[bold red]invalid:[/] {name}: {message}", highlight=False)
    return typer.Exit(2)


def _parse_speed(text: str) -> float | None:
    if text.strip().lower() in ("max", "inf", "0"):
        return None
    speed = float(text.strip().lower().removesuffix("x"))
    if not speed > 0:
        raise ValueError("must be 'max' or a number > 0")
    return speed


@twin_app.command("run")
def run(
    config: Path = typer.Option(..., "--config", "-c", help="Rack configuration YAML"),
    scenario: Path = typer.Option(..., "--scenario", "-s", help="Scenario timeline YAML"),
    duration: str | None = typer.Option(
        None, "--duration", "-d", help="Simulated time, e.g. 90s, 10m, 1h (default: scenario's)"
    ),
    speed: str = typer.Option("max", "--speed", help="'max' or N for N× real time"),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (default: scenario's, 0)"),
    as_json: bool = typer.Option(False, "--json", help="Print only the summary as JSON"),
    controller: bool = typer.Option(
        False,
        "--controller",
        help="Run it through the full controller (as `smartpdu replay`) and print its events",
    ),
) -> None:
    """Replay SCENARIO on a twin of CONFIG; exit 2 naming every problem of a bad input."""
    if controller:
        from smartpdu.cli.replay_cmd import replay

        replay(scenario, config, duration, seed, None, as_json)
        return
    from smartpdu.config import load_config
    from smartpdu.twin.scenario import load_scenario, parse_duration

    problems: list[typer.Exit] = []
    try:
        rack = load_config(config)
    except ConfigError as exc:
        problems.append(_fail(exc))
    try:
        timeline = load_scenario(scenario)
    except ConfigError as exc:
        problems.append(_fail(exc))
    try:
        pace = _parse_speed(speed)
    except ValueError:
        problems.append(_bad_option("--speed", f"{speed!r} is not 'max' or a number > 0"))
    duration_s: float | None = None
    if duration is not None:
        try:
            duration_s = parse_duration(duration)
        except ValueError as exc:
            problems.append(_bad_option("--duration", str(exc)))
    if problems:
        raise problems[0]
    if duration_s is None:
        last_step = max((s.at for s in timeline.steps), default=0.0)
        duration_s = timeline.duration if timeline.duration is not None else last_step + 60.0
    if duration_s <= 0:
        raise _bad_option("--duration", "must be longer than zero")

    try:
        summary = _run_with_progress(rack, timeline, duration_s, seed, pace, quiet=as_json)
    except ConfigError as exc:  # ScenarioError: ids the rack does not have
        raise _fail(exc) from None
    _warn_dropped_steps(timeline, summary)
    if as_json:
        typer.echo(json.dumps(summary.to_dict(), indent=2))
    else:
        Console().print(_summary_table(summary))


def _warn_dropped_steps(timeline: Scenario, summary: RunSummary) -> None:
    """Say so when the run ended before some of the timeline's steps (they were never applied)."""
    steps = timeline.ordered_steps()
    dropped = steps[summary.steps_applied :]
    if dropped:
        _err.print(
            f"[bold yellow]warning:[/] the run ended at {summary.simulated_s:g} s, before "
            f"{len(dropped)} of {len(steps)} scenario step(s) (the first at {dropped[0].at:g} s); "
            "they were not applied (use a longer --duration)",
            highlight=False,
        )


def _run_with_progress(
    rack: RackConfig,
    timeline: Scenario,
    duration_s: float,
    seed: int | None,
    pace: float | None,
    *,
    quiet: bool,
) -> RunSummary:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from smartpdu.twin.runner import run_scenario

    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:>8.1f} / {task.total:.0f} s sim"),
        TimeElapsedColumn(),
        console=_err,
        disable=quiet,
        transient=False,
    )
    with progress:
        task = progress.add_task("twin", total=duration_s)

        def report(done_s: float, _total_s: float) -> None:
            progress.update(task, completed=done_s)

        return run_scenario(
            rack,
            timeline,
            duration_s=duration_s,
            seed=seed,
            speed=pace,
            progress=report,
            clock=time.monotonic,
            sleep=time.sleep,
        )


def _summary_table(s: RunSummary) -> Table:
    from rich.table import Table

    table = Table(title=f"scenario {s.scenario!r} on {s.rack!r} (seed {s.seed})", show_lines=False)
    table.add_column("item")
    table.add_column("value", overflow="fold")
    table.add_row("simulated", f"{s.simulated_s:.1f} s in {s.windows} windows")
    table.add_row("steps applied", str(s.steps_applied))
    for pdu, phases in s.energy_kwh.items():
        energy = "  ".join(f"{ph} {kwh:.3f}" for ph, kwh in phases.items())
        table.add_row(f"{pdu} energy kWh", f"{energy}  (total {sum(phases.values()):.3f})")
    for pdu, phases in s.max_inlet_current_a.items():
        table.add_row(f"{pdu} max inlet A", "  ".join(f"{ph} {a:.2f}" for ph, a in phases.items()))
    for pdu, peak in s.max_branch_current.items():
        table.add_row(
            f"{pdu} max branch", f"{peak.branch} {peak.current_a:.2f} A at {peak.t_s:.1f} s"
        )
    if s.hottest_terminal is not None:
        h = s.hottest_terminal
        table.add_row("hottest terminal", f"{h.sensor_id} {h.temp_c:.1f} °C at {h.t_s:.1f} s")
    counts = ", ".join(f"{k} ×{n}" for k, n in s.event_counts.items()) or "none"
    table.add_row("physical events", counts)
    for e in s.events[:30]:
        table.add_row(f"  {e.t_s:9.1f} s", f"{e.kind} {e.target}")
    if len(s.events) > 30:
        table.add_row("  …", f"{len(s.events) - 30} more (see --json)")
    for sid, v in s.final_sensors.items():
        value = "—" if v.value is None else f"{v.value:.2f} {v.unit}"
        table.add_row(f"sensor {sid}", value if v.status == "ok" else f"{value} ({v.status})")
    table.add_row("controller power", s.controller_power)
    table.add_row("digest", s.digest)
    return table
