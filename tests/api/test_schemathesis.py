"""Property-based API fuzzing from our own OpenAPI document, over real HTTP, with an admin token.

Every operation gets a bounded number of generated requests (valid and invalid ones) and every
check Schemathesis has runs on every response: no 5xx; documented status codes, content types,
headers and schemas; invalid data refused and valid data accepted; unsupported methods answered
405 with ``Allow``; authentication not ignored; deleted resources gone. ``schemathesis.toml`` at
the repository root says where a schema-valid request may still be refused (rules that tie
several inputs together, which OpenAPI cannot express) — the same file ``st run --checks all``
uses. The stateful phase (links between operations) runs in ``test_cli_checks_all``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import schemathesis
from api_env import PASSWORDS, Served
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from smartpdu.api import create_app

# Schemathesis gives every generated operation test the same node id, which pytest-xdist cannot
# schedule (it silently ran a few of the 46); ``make test`` runs this module in a second,
# serial pytest process.
pytestmark = pytest.mark.serial

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "schemathesis.toml"
# The document only depends on the routes, so a bare app is enough to load it.
schema = schemathesis.openapi.from_dict(
    create_app(None, None).openapi(),  # type: ignore[arg-type]
    config=SchemathesisConfig.from_path(CONFIG),
)
# The stream never ends by design; logout would revoke the very token the fuzzer uses.
EXCLUDED = ("/api/v1/stream", "/api/v1/auth/logout")
for _path in EXCLUDED:
    schema = schema.exclude(path=_path)

SEEN: dict[str, set[int]] = {}


def _admin_headers(served: Served) -> dict[str, str]:
    """The admin token, renewed if a generated request revoked it (e.g. password change)."""
    h = served.env.h("admin")
    if httpx.get(served.url + "/api/v1/auth/me", headers=h, timeout=10).status_code == 401:
        r = httpx.post(
            served.url + "/api/v1/auth/login",
            json={"username": "admin", "password": PASSWORDS["admin"]},
            timeout=10,
        )
        served.env.tokens["admin"] = r.json()["token"]
        h = served.env.h("admin")
    return h


@pytest.fixture
def api(served_module: Served) -> Served:
    return served_module


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_no_server_errors(case: schemathesis.Case, api: Served) -> None:
    # No ``checks=``: every built-in check, as `--checks all` (configured by schemathesis.toml).
    r = case.call_and_validate(base_url=api.url, headers=_admin_headers(api), timeout=20)
    SEEN.setdefault(f"{case.method} {case.path}", set()).add(r.status_code)


def test_fuzzing_was_authenticated() -> None:
    """Guard against a vacuous run: most operations must have succeeded at least once.

    It reads what the fuzzing test recorded in this process (the module runs serially)."""
    if not SEEN:
        pytest.skip("fuzzing test did not run in this session")
    ok = [op for op, codes in SEEN.items() if any(200 <= c < 300 for c in codes)]
    print({op: sorted(c) for op, c in SEEN.items()})
    assert len(ok) >= 15, SEEN


def test_cli_checks_all(api: Served, tmp_path: Path) -> None:
    """`st run --checks all` with every phase (examples, coverage, fuzzing, stateful) passes."""
    st = Path(sys.executable).parent / "st"
    if not st.exists():
        pytest.skip("schemathesis CLI not installed")
    token = _admin_headers(api)["Authorization"]
    cmd = [str(st), "--config-file", str(CONFIG), "--no-color", "run"]
    cmd += [f"{api.url}/api/v1/openapi.json", "--checks", "all", "-H", f"Authorization: {token}"]
    for path in EXCLUDED:
        cmd += ["--exclude-path", path]
    cmd += ["--max-examples", "8", "--workers", "1", "--seed", "11", "--generation-deterministic"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=tmp_path)
    tail = done.stdout[-6000:] + done.stderr[-2000:]
    assert done.returncode == 0, tail
    selected = re.search(r"Selected: (\d+)/(\d+)", done.stdout)
    tested = re.search(r"Tested: (\d+)", done.stdout)
    assert selected and tested, tail
    assert int(tested.group(1)) == int(selected.group(1)) >= 25, tail  # every selected one ran
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in done.stdout, tail
