"""The HTTP/1.1 protocol of the server: uvicorn's fast parser, with 501 for unknown methods.

uvicorn's httptools parser knows a fixed list of methods and answers anything else with a bare
``400 Invalid HTTP request received.``: the app never sees the request. RFC 9110 (15.6.2) and the
Redfish specification ask for ``501 Not Implemented`` (or 405) for a method the server does not
recognise, so this subclass answers an unknown method with 501 in the caller's dialect — the
Redfish error object under ``/redfish``, RFC 9457 problem+json elsewhere — and closes the
connection (the parser cannot resume mid-stream). Every other parse error stays a 400.

Usage: ``uvicorn.Config(app, http=http_protocol())``.
"""

from __future__ import annotations

import asyncio
import json
import sys

from smartpdu.api.problems import PROBLEM_MEDIA_TYPE, TYPE_BASE

__all__ = ["http_protocol", "not_implemented_response"]


def not_implemented_response(request_head: bytes) -> bytes:
    """The full HTTP 501 response for the request starting with ``request_head``."""
    line = request_head.split(b"\r\n", 1)[0].split(b" ")
    method = line[0].decode("latin-1")[:32]
    path = line[1].decode("latin-1").split("?", 1)[0] if len(line) > 1 else ""
    if path == "/redfish" or path.startswith("/redfish/"):
        from smartpdu.redfish.errors import error_body  # the Redfish dialect of the refusal

        body = error_body("OperationNotAllowed")
        media = "application/json;charset=utf-8"
    else:
        body = {
            "type": TYPE_BASE + "method-not-implemented",
            "title": "Not Implemented",
            "status": 501,
            "detail": f"The method {method!r} is not supported by this server.",
            "instance": path[:256],
        }
        media = PROBLEM_MEDIA_TYPE
    data = json.dumps(body).encode()
    head = (
        b"HTTP/1.1 501 Not Implemented\r\n"
        b"content-type: " + media.encode() + b"\r\n"
        b"content-length: " + str(len(data)).encode() + b"\r\n"
        b"odata-version: 4.0\r\n"
        b"connection: close\r\n\r\n"
    )
    return head + data


def http_protocol() -> type[asyncio.Protocol] | str:
    """The protocol class for ``uvicorn.Config(http=...)`` ("h11" when httptools is missing;
    h11 passes unknown methods to the app, whose routes answer 405)."""
    try:
        import httptools
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # pragma: no cover - httptools ships with uvicorn[standard]
        return "h11"

    class SmartPduHttpProtocol(HttpToolsProtocol):
        _last_data: bytes = b""

        def data_received(self, data: bytes) -> None:
            self._last_data = data
            super().data_received(data)

        def send_400_response(self, msg: str) -> None:
            # Called from uvicorn's ``except httptools.HttpParserError`` block.
            if isinstance(sys.exception(), httptools.HttpParserInvalidMethodError):
                self.transport.write(not_implemented_response(self._last_data))
                self.transport.close()
                return
            super().send_400_response(msg)

    return SmartPduHttpProtocol
