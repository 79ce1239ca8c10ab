"""GET /api/v1/system/inventory over real HTTP; the certificate fingerprint against openssl."""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from api_env import Served

from smartpdu import __version__
from smartpdu.api.routes_system import certificate_fingerprint

_TIMEOUT = 60.0  # generous: the test machine may be loaded; nothing here asserts time
_get = functools.partial(httpx.get, timeout=_TIMEOUT)
_post = functools.partial(httpx.post, timeout=_TIMEOUT)
_put = functools.partial(httpx.put, timeout=_TIMEOUT)


def _self_signed(path: Path) -> Path:
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    cert = path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", str(path / "key.pem"), "-out", str(cert), "-days", "2",
         "-subj", "/CN=smartpdu-test"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert


def test_certificate_fingerprint_matches_openssl(tmp_path: Path) -> None:
    cert = _self_signed(tmp_path)
    out = subprocess.run(["openssl", "x509", "-in", str(cert), "-noout", "-fingerprint",
                          "-sha256"], check=True, capture_output=True, text=True).stdout  # fmt: skip
    assert certificate_fingerprint(cert) == out.strip().split("=", 1)[1]
    (tmp_path / "junk.pem").write_text("not a certificate")
    assert certificate_fingerprint(tmp_path / "junk.pem") is None
    assert certificate_fingerprint(tmp_path / "missing.pem") is None


def test_inventory_lists_devices_versions_and_fingerprints(served: Served, tmp_path: Path) -> None:
    url = f"{served.url}/api/v1/system/inventory"
    assert _get(url).status_code == 401
    inv = _get(url, headers=served.env.h("viewer")).json()
    assert inv["software_version"] == __version__
    assert inv["rack_name"] == served.env.runtime.config.rack.name
    assert [p["pdu_id"] for p in inv["pdus"]] == [p.id for p in served.env.runtime.config.pdus]
    assert inv["uptime_s"] >= 0 and inv["started_utc"] is not None
    assert inv["audit_key_fingerprint"] == served.env.runtime.device_key.fingerprint
    assert inv["certificate_fingerprint_sha256"] is None  # plain HTTP here
    assert inv["last_update_result"] is None
    cert = _self_signed(tmp_path)
    served.env.app.state.tls_certfile = str(cert)  # type: ignore[attr-defined]
    again = _get(url, headers=served.env.h("viewer")).json()
    assert again["certificate_fingerprint_sha256"] == certificate_fingerprint(cert)
