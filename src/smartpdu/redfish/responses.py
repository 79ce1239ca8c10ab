"""Response helpers: JSON bytes with Redfish headers, ETags, action results."""

from __future__ import annotations

import json
from typing import Any, Final

from starlette.responses import Response

from smartpdu.api.encoded import etag_of  # the one ETag of every pre-encoded view
from smartpdu.redfish.errors import base_message

__all__ = ["JSON_TYPE", "action_result", "dumps", "etag_of", "json_response"]

JSON_TYPE: Final = "application/json;charset=utf-8"
BASE_HEADERS: Final = {"OData-Version": "4.0", "Cache-Control": "no-cache"}


def dumps(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    data = dumps(body)
    return Response(data, status, headers={**BASE_HEADERS, **(headers or {})}, media_type=JSON_TYPE)


def action_result(status: int, key: str) -> Response:
    """Return a successful action response carrying one Base message."""
    return json_response(status, {"@Message.ExtendedInfo": [base_message(key)]})
