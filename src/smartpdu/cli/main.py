"""Root of the ``smartpdu`` CLI; each area registers its sub-app here."""

from __future__ import annotations

import typer

from smartpdu.cli.config_cmd import config_app
from smartpdu.metering.cli import meter_app
from smartpdu.twin.cli import twin_app

app = typer.Typer(
    name="smartpdu",
    help="SmartPDU controller and digital twin.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(config_app, name="config")
app.add_typer(meter_app, name="meter", help="Analyse scope captures with the metering engine.")
app.add_typer(twin_app, name="twin", help="Run the digital twin with scenarios.")

from smartpdu.cli.serve_cmd import demo, run  # noqa: E402

app.command("run")(run)
app.command("demo")(demo)

from smartpdu.cli.calibrate_cmd import calibrate  # noqa: E402

app.command("calibrate")(calibrate)

from smartpdu.cli.client_cmds import audit_app, events, export_app, status  # noqa: E402

app.command("status")(status)
app.command("events")(events)
app.add_typer(export_app, name="export", help="Export energy history from a running instance.")
app.add_typer(audit_app, name="audit", help="Verify the tamper-evident event log.")

from smartpdu.cli.outlet_cmd import outlet_app  # noqa: E402

app.add_typer(outlet_app, name="outlet", help="Switch outlets of a running instance.")
