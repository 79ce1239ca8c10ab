"""`smartpdu user passwd` against a real server: policy enforced there, old password refused after."""

from __future__ import annotations

import httpx
from api_env import PASSWORDS, Served
from typer.testing import CliRunner

from smartpdu.cli import app

runner = CliRunner()


def _admin(served: Served) -> list[str]:
    return ["--url", served.url, "--user", "admin", "--password", PASSWORDS["admin"]]


def test_admin_changes_a_password_from_the_cli(served: Served) -> None:
    new = "a-new-operator-pass-7"
    r = runner.invoke(app, ["user", "passwd", "op", *_admin(served)], input=f"{new}\n{new}\n")
    assert r.exit_code == 0, r.output
    assert "password of op changed" in r.output
    login = f"{served.url}/api/v1/auth/login"
    old = httpx.post(login, json={"username": "op", "password": PASSWORDS["op"]})
    assert old.status_code == 401
    ok = httpx.post(login, json={"username": "op", "password": new})
    assert ok.status_code == 200
    events = served.env.runtime.store.events_since("pdu-a", 0, 10_000)
    changed = [e for e in events if e.event_code == "PASSWORD_CHANGED"]
    assert changed and changed[-1].actor == "user/admin"


def test_weak_password_and_non_admin_are_refused(served: Served) -> None:
    r = runner.invoke(app, ["user", "passwd", "op", "--new-password", "short", *_admin(served)])
    assert r.exit_code == 1 and "422" in r.output, r.output
    viewer = ["--url", served.url, "--user", "viewer", "--password", PASSWORDS["viewer"]]
    r = runner.invoke(
        app, ["user", "passwd", "op", "--new-password", "x" * 8 + "-long-enough", *viewer]
    )
    assert r.exit_code == 1 and "403" in r.output, r.output
