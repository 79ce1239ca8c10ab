"""Route: the device inventory (seed 002 H2-9) — who this controller is and what it runs.

Change management and audit ("mystery drift" prevention): device ids, serials, hardware
revisions, calibration versions, software version, certificate fingerprint, uptime and the last
update's result. The TLS certificate (if the server was given one) is read from the file the
server uses; only its SHA-256 fingerprint is shown.
"""

from __future__ import annotations

import hashlib
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from smartpdu import __version__
from smartpdu.access import Permission, Principal
from smartpdu.api.deps import get_port
from smartpdu.api.problems import problem_responses
from smartpdu.api.security import require
from smartpdu.runtime.port import RackPort

__all__ = ["certificate_fingerprint", "router"]

router = APIRouter(tags=["system"])
Reader = Annotated[Principal, Depends(require(Permission.READ))]


class PduInventory(BaseModel):
    pdu_id: str
    name: str
    serial: str | None
    hardware_revision: str | None
    calibration_version: int | None
    calibration_utc: str | None
    calibration_crc32: int | None


class Inventory(BaseModel):
    device_id: str
    rack_name: str
    software_version: str
    started_utc: datetime | None
    uptime_s: float
    audit_key_fingerprint: str | None
    certificate_fingerprint_sha256: str | None
    """SHA-256 of the TLS certificate (DER), colon-separated hex; None when serving plain HTTP."""
    last_update_result: str | None
    """Result of the last software update; None: no update was ever applied."""
    pdus: list[PduInventory]


def certificate_fingerprint(certfile: str | Path) -> str | None:
    """SHA-256 over the certificate's DER bytes (what browsers and ``openssl x509 -fingerprint
    -sha256`` show), or None if the file cannot be read as a PEM certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    try:
        cert = x509.load_pem_x509_certificate(Path(certfile).read_bytes())
    except (OSError, ValueError):
        return None
    digest = hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


@router.get("/system/inventory", response_model=Inventory, responses=problem_responses(401, 403))
async def inventory(
    _: Reader, request: Request, port: Annotated[RackPort, Depends(get_port)]
) -> Inventory:
    inv = await port.inventory()
    certfile = getattr(request.app.state, "tls_certfile", None)
    started: float = request.app.state.started_monotonic
    return Inventory(
        device_id=inv["pdus"][0]["pdu_id"] if len(inv["pdus"]) == 1 else inv["rack_name"],
        rack_name=inv["rack_name"],
        software_version=__version__,
        started_utc=inv["started_utc"],
        uptime_s=round(time.monotonic() - started, 3),
        audit_key_fingerprint=inv["audit_key_fingerprint"],
        certificate_fingerprint_sha256=certificate_fingerprint(certfile) if certfile else None,
        last_update_result=None,
        pdus=[PduInventory(**p) for p in inv["pdus"]],
    )
