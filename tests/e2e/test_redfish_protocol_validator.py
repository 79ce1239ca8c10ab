"""DMTF Redfish Protocol Validator against `smartpdu run` over TLS: 0 FAIL, 0 WARN (issue 11
item 19).

The Service Validator (tests/redfish/test_e2e.py) checks the resources against the schemas;
this one checks the HTTP protocol: methods, headers, query parameters, ETags, sessions and
security. It runs over HTTPS because the Redfish specification requires Basic authentication
and session login to use HTTPS: over plain HTTP those two assertions fail by design.
"""

from __future__ import annotations

import csv
import json
import os
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
from e2e_env import ADMIN_PASSWORD
from test_tls import _self_signed

pytestmark = pytest.mark.e2e

TOOL = Path(sys.executable).parent / "rf_protocol_validator"


def test_protocol_validator_zero_fail_zero_warn(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    if not TOOL.exists():
        pytest.skip("rf_protocol_validator not installed: pip install redfish-protocol-validator")
    cert, key = _self_signed(tmp_path)
    server.extra_args = ("--tls-cert", str(cert), "--tls-key", str(key))
    server.scheme = "https"
    server.verify = ssl.create_default_context(cafile=str(cert))
    server.start()
    reports = tmp_path / "reports"
    cmd = [str(TOOL), "--rhost", server.url, "--user", "admin", "--password", ADMIN_PASSWORD]
    cmd += ["--ca-bundle", str(cert), "--report-dir", str(reports), "--report-type", "tsv"]
    # requests lets REQUESTS_CA_BUNDLE override a session's own verify setting: point it at ours.
    env = dict(os.environ, REQUESTS_CA_BUNDLE=str(cert), CURL_CA_BUNDLE=str(cert))
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=tmp_path, env=env)
    counts = json.loads((reports / "results.json").read_text())["TestResults"]
    counts = counts["Protocol Validations"]
    (tsv,) = reports.glob("*.tsv")
    with tsv.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    bad = [
        f"{r['Result']} {r['Assertion']} {r['Method']} {r['URI']}: {r['Message']}"
        for r in rows
        if r["Result"] in ("FAIL", "WARN")
    ]
    print(f"protocol validator: {counts}")
    assert counts["fail"] == 0 and counts["warn"] == 0, "\n".join(bad) or done.stdout[-3000:]
    assert not bad
    assert counts["pass"] > 300, done.stdout[-3000:]  # it really ran the assertions
    assert done.returncode == 0, done.stdout[-3000:]
    passed = {r["Assertion"] for r in rows if r["Result"] == "PASS"}
    # The defects this test was written for (issue 11 item 19) are each checked and passed.
    for assertion in (
        "PROTO_HTTP_UNSUPPORTED_METHODS",
        "REQ_HEADERS_ODATA_VERSION",
        "REQ_POST_CREATE_TO_MEMBERS_PROP",
        "REQ_QUERY_UNSUPPORTED_DOLLAR_PARAMS",
        "RESP_HEADERS_LINK_REL_DESCRIBED_BY",
        "PROTO_ETAG_HEADER_AND_PROPERTY",
        "PROTO_ETAG_LOST_UPDATE",
    ):
        assert assertion in passed, assertion
