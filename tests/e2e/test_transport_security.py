"""Transport hardening of `smartpdu run` (issue 11 item 18): no cleartext HTTP off loopback
unless explicitly allowed, HSTS under TLS, no ``Server: uvicorn`` banner."""

from __future__ import annotations

import os
import ssl
import subprocess
from pathlib import Path

import pytest
from e2e_env import ADMIN_PASSWORD, DEMO, SMARTPDU, free_port
from test_tls import _self_signed

pytestmark = pytest.mark.e2e


def test_plain_http_on_a_public_address_refuses_to_start(tmp_path: Path) -> None:
    cmd = [*SMARTPDU, "run", "--config", str(DEMO), "--data-dir", str(tmp_path)]
    cmd += ["--host", "0.0.0.0", "--port", str(free_port())]
    env = dict(os.environ, SMARTPDU_ADMIN_PASSWORD=ADMIN_PASSWORD)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 2, done
    assert "--allow-insecure-http" in done.stderr and "--tls-cert" in done.stderr
    assert not (tmp_path / "smartpdu.db").exists()  # refused before anything was created


def test_https_sends_hsts_and_no_server_banner(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cert, key = _self_signed(tmp_path)
    server.extra_args = ("--tls-cert", str(cert), "--tls-key", str(key))
    server.scheme = "https"
    server.verify = ssl.create_default_context(cafile=str(cert))
    server.start()
    with server.client() as c:
        r = c.get("/api/v1/health")
        assert r.headers["strict-transport-security"].startswith("max-age=")
        assert "server" not in r.headers
        rf = c.get("/redfish/v1")
        assert "strict-transport-security" in rf.headers and "server" not in rf.headers


def test_plain_http_on_loopback_has_no_server_banner_and_no_hsts(server) -> None:  # type: ignore[no-untyped-def]
    server.start()
    with server.client() as c:
        r = c.get("/api/v1/health")
        assert r.status_code == 200
        assert "server" not in r.headers and "strict-transport-security" not in r.headers
