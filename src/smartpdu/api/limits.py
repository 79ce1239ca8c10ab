"""Request body size limit for the whole HTTP app (REST and the mounted Redfish service).

An ASGI middleware, so it acts before any route reads the body: a declared ``Content-Length``
above the limit is refused at once, and a body without one (chunked) is counted while it streams
and refused as soon as it passes the limit — nothing larger than the limit is ever buffered.
The refusal is ``413`` in the caller's dialect: RFC 9457 problem+json everywhere, the Redfish
error object (``Base.PayloadTooLarge``) under ``/redfish``.

Usage::

    app.add_middleware(BodyLimitMiddleware, max_bytes=1024 * 1024)
"""

from __future__ import annotations

import json
import os
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smartpdu.api.problems import PROBLEM_MEDIA_TYPE, TYPE_BASE

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "MAX_BODY_ENV",
    "BodyLimitMiddleware",
    "max_body_bytes_from_env",
]

DEFAULT_MAX_BODY_BYTES: Final = 1024 * 1024
MAX_BODY_ENV: Final = "SMARTPDU_MAX_BODY_BYTES"


def max_body_bytes_from_env(default: int = DEFAULT_MAX_BODY_BYTES) -> int:
    """The limit from ``SMARTPDU_MAX_BODY_BYTES`` (bytes), else ``default``."""
    raw = os.environ.get(MAX_BODY_ENV)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{MAX_BODY_ENV} must be a whole number of bytes, got {raw!r}") from None
    if value < 1024:
        raise ValueError(f"{MAX_BODY_ENV} must be at least 1024 bytes, got {value}")
    return value


class _TooLarge(Exception):
    """Raised from ``receive`` to stop the app reading an oversized body."""


def _refusal(path: str, max_bytes: int) -> tuple[bytes, str]:
    detail = (
        f"The request body is larger than {max_bytes} bytes, the limit of this controller; "
        "send a smaller body."
    )
    if path == "/redfish" or path.startswith("/redfish/"):
        from smartpdu.redfish.errors import error_body  # the Redfish dialect of the same refusal

        body = error_body("PayloadTooLarge")
        body["error"]["@Message.ExtendedInfo"][0]["Resolution"] = detail
        return json.dumps(body).encode(), "application/json;charset=utf-8"
    problem = {
        "type": TYPE_BASE + "payload-too-large",
        "title": "Content Too Large",
        "status": 413,
        "detail": detail,
        "instance": path,
    }
    return json.dumps(problem).encode(), PROBLEM_MEDIA_TYPE


class BodyLimitMiddleware:
    """Refuse request bodies above ``max_bytes`` with 413 (by header and while streaming)."""

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        if max_bytes < 1:
            raise ValueError(f"max_bytes must be >= 1, got {max_bytes}")
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(path, send)
            return
        seen = 0
        too_large = False
        started = False

        async def limited_receive() -> Message:
            nonlocal seen, too_large
            if too_large:
                raise _TooLarge
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    too_large = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if too_large:
                return  # the app's answer to a body it could not read is replaced by ours
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _TooLarge:
            pass
        except Exception:
            if not too_large:
                raise
        if too_large and not started:
            await self._refuse(path, send)

    async def _refuse(self, path: str, send: Send) -> None:
        body, media_type = _refusal(path, self.max_bytes)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", media_type.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
