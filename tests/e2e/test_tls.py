"""TLS is available: `smartpdu run --tls-cert --tls-key` serves HTTPS (native API and Redfish)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

pytestmark = pytest.mark.e2e


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "smartpdu-test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_https_serves_api_and_redfish(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cert, key = _self_signed(tmp_path)
    server.extra_args = ("--tls-cert", str(cert), "--tls-key", str(key))
    server.scheme = "https"
    server.verify = ssl.create_default_context(cafile=str(cert))
    server.start()
    with server.client() as c:
        r = c.get("/api/v1/pdus/pdu-a/outlets/1")
        assert r.status_code == 200 and r.json()["id"] == "1"
    rf = httpx.get(f"{server.url}/redfish/v1", verify=server.verify)
    assert rf.status_code == 200
    # the certificate is really checked: an untrusted client refuses the connection
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/api/v1/health", verify=True)
    # and plain HTTP on the TLS port does not get an answer from the API
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{server.port}/api/v1/health", timeout=3)
