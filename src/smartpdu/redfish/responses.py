"""Response helpers: JSON bytes with Redfish headers, ETags, schema links, action results."""

from __future__ import annotations

import json
from typing import Any, Final

from starlette.responses import Response

from smartpdu.api.encoded import etag_of  # the one ETag of every pre-encoded view
from smartpdu.redfish.errors import RedfishError, base_message

__all__ = [
    "BASE_HEADERS",
    "JSON_TYPE",
    "SCHEMA_BASE",
    "action_result",
    "check_if_match",
    "described_by",
    "dumps",
    "etag_of",
    "json_response",
    "resource_bytes",
    "resource_response",
]

JSON_TYPE: Final = "application/json;charset=utf-8"
BASE_HEADERS: Final = {"OData-Version": "4.0", "Cache-Control": "no-cache"}
SCHEMA_BASE: Final = "http://redfish.dmtf.org/schemas/v1/"


def dumps(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def resource_bytes(body: Any) -> tuple[bytes, str]:
    """Serialise ``body`` and compute its ETag; a resource also carries it as ``@odata.etag``.

    The tag is computed over the body *without* ``@odata.etag``, so ``If-Match`` checks that
    rebuild the current representation (``etag_of(dumps(current))``) agree with both the
    header and the property (the Protocol Validator requires them to be equal).
    """
    data = dumps(body)
    etag = etag_of(data)
    if isinstance(body, dict) and "@odata.id" in body:
        data = b'{"@odata.etag":' + dumps(etag) + b"," + data[1:]
    return data, etag


def described_by(body: Any) -> str | None:
    """The ``Link: <schema>; rel=describedby`` value for a resource, from its ``@odata.type``."""
    odata_type = body.get("@odata.type") if isinstance(body, dict) else None
    if not isinstance(odata_type, str):
        return None
    parts = odata_type.lstrip("#").split(".")
    name = ".".join(parts[:2]) if len(parts) == 3 else parts[0]
    return f"<{SCHEMA_BASE}{name}.json>; rel=describedby"


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    data = dumps(body)
    return Response(data, status, headers={**BASE_HEADERS, **(headers or {})}, media_type=JSON_TYPE)


def resource_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    """A resource representation after a write: body with ``@odata.etag``, ETag and Link."""
    data, etag = resource_bytes(body)
    out = {**BASE_HEADERS, "ETag": etag, **(headers or {})}
    link = described_by(body)
    if link is not None:
        out["Link"] = link
    return Response(data, status, headers=out, media_type=JSON_TYPE)


def check_if_match(headers: dict[str, str], current: dict[str, Any]) -> None:
    """Enforce ``If-Match`` (when sent) against the current representation's ETag.

    Call it where the write is serialised (inside the store's precondition), never before,
    or two writers holding the same ETag both pass.
    """
    want = headers.get("if-match")
    if want is None or want.strip() == "*":
        return
    tags = {t.strip() for t in want.split(",")}
    if etag_of(dumps(current)) not in tags:
        raise RedfishError(412, "PreconditionFailed")


def action_result(status: int, key: str) -> Response:
    """Return a successful action response carrying one Base message."""
    return json_response(status, {"@Message.ExtendedInfo": [base_message(key)]})
