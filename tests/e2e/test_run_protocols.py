"""`smartpdu run` with SNMP, Modbus and OPC UA enabled in the rack configuration: each starts
from the interface registry, answers its real client (net-snmp snmpget over v3 authPriv,
pymodbus, an encrypted asyncua session) and stops with the server."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
import yaml
from e2e_env import DEMO, Server

pytestmark = pytest.mark.e2e


def _free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _opcua_rack_children(server: Server, port: int, tmp: Path) -> int:
    from asyncua import Client, ua
    from asyncua.crypto.cert_gen import setup_self_signed_certificate
    from asyncua.crypto.security_policies import SecurityPolicyBasic256Sha256
    from cryptography.x509.oid import ExtendedKeyUsageOID

    key, cert = tmp / "client-key.pem", tmp / "client-cert.der"
    await setup_self_signed_certificate(
        key, cert, "urn:e2e:client", "localhost", [ExtendedKeyUsageOID.CLIENT_AUTH],
        {"countryName": "XX", "organizationName": "e2e", "commonName": "client"},
    )  # fmt: skip
    client = Client(f"opc.tcp://127.0.0.1:{port}/smartpdu", timeout=10)
    client.application_uri = "urn:e2e:client"
    client.set_user("scada")
    client.set_password("e2e-opcua-password")
    await client.set_security(
        SecurityPolicyBasic256Sha256, str(cert), str(key),
        server_certificate=str(server.data_dir / "opcua" / "opcua-cert.der"),
        mode=ua.MessageSecurityMode.SignAndEncrypt,
    )  # fmt: skip
    async with client:
        idx = await client.get_namespace_index("urn:smartpdu:rack")
        rack = await client.nodes.objects.get_child([f"{idx}:Rack"])
        return len(await rack.get_children())


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_run_serves_snmp_modbus_and_opcua_when_configured(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snmpget = shutil.which("snmpget")
    if snmpget is None:
        pytest.fail("snmpget missing: run `make services`")
    udp = _free_udp_port()
    cfg = yaml.safe_load(DEMO.read_text())
    cfg["snmp"] = {"enabled": True, "port": udp, "users": [{"name": "nms", "role": "viewer"}]}
    mb, ua_port = _free_tcp_port(), _free_tcp_port()
    cfg["modbus"] = {"enabled": True, "port": mb}
    cfg["opcua"] = {"enabled": True, "port": ua_port, "users": [{"name": "scada"}]}
    monkeypatch.setenv("SMARTPDU_OPCUA_SCADA_PASSWORD", "e2e-opcua-password")
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
    from pymodbus.client import ModbusTcpClient

    with ModbusTcpClient("127.0.0.1", port=mb, timeout=5) as client:
        header = client.read_input_registers(0, count=6, device_id=1)
        assert not header.isError() and header.registers[0] == 1
        assert header.registers[5] == len(cfg["pdus"][0]["outlets"])
    assert asyncio.run(_opcua_rack_children(server, ua_port, tmp_path)) >= len(cfg["pdus"])
    server.stop()
    assert server.proc is not None and server.proc.returncode == 0, server.log.read_text()
