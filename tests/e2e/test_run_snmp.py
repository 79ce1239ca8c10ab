"""`smartpdu run` with SNMP enabled in the rack configuration: the agent starts from the
interface registry, answers net-snmp's snmpget over v3 authPriv, and stops with the server."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import pytest
import yaml
from e2e_env import DEMO, Server

pytestmark = pytest.mark.e2e


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_run_serves_snmp_when_configured(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snmpget = shutil.which("snmpget")
    if snmpget is None:
        pytest.fail("snmpget missing: run `make services`")
    udp = _free_udp_port()
    cfg = yaml.safe_load(DEMO.read_text())
    cfg["snmp"] = {"enabled": True, "port": udp, "users": [{"name": "nms", "role": "viewer"}]}
    server.config = tmp_path / "rack.yaml"
    server.config.write_text(yaml.safe_dump(cfg))
    monkeypatch.setenv("SMARTPDU_SNMP_NMS_AUTH", "e2e-auth-passphrase")
    monkeypatch.setenv("SMARTPDU_SNMP_NMS_PRIV", "e2e-priv-passphrase")
    server.start()
    out = subprocess.run(
        [snmpget, "-M", "", "-m", "", "-v3", "-l", "authPriv", "-u", "nms", "-a", "SHA-256",
         "-A", "e2e-auth-passphrase", "-x", "AES", "-X", "e2e-priv-passphrase", "-On", "-Oqv",
         "-t", "3", "-r", "1", f"udp:127.0.0.1:{udp}", "1.3.6.1.2.1.1.5.0",
         "1.3.6.1.4.1.32473.1.1.5.0"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr + server.log.read_text()
    name, pdus = out.stdout.split("\n")[:2]
    assert name.strip('"') == cfg["rack"]["name"]
    assert int(pdus) == len(cfg["pdus"])
    server.stop()
    assert server.proc is not None and server.proc.returncode == 0, server.log.read_text()
