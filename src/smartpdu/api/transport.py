"""Transport security of the HTTP server: where plain HTTP may listen, and HSTS under TLS.

Decision (issue 11 item 18): plain HTTP is allowed on loopback addresses only. Anywhere else
(``0.0.0.0``, a LAN address, a host name) the server refuses to start unless TLS is configured
(``--tls-cert``/``--tls-key``) or the operator explicitly accepts cleartext credentials with
``--allow-insecure-http``. No certificate is generated behind the operator's back: a
self-signed certificate would only teach clients to ignore certificate errors.

Under TLS every response carries ``Strict-Transport-Security``.
"""

from __future__ import annotations

import ipaddress
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "HSTS_VALUE",
    "InsecureListenError",
    "SecurityHeadersMiddleware",
    "check_listen_security",
    "is_loopback",
]

HSTS_VALUE: Final = "max-age=31536000"


class InsecureListenError(ValueError):
    """Plain HTTP was asked for on a non-loopback address; the message says how to proceed."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address or ``localhost`` (only those stay on the box)."""
    name = host.strip().strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_listen_security(host: str, *, tls: bool, allow_insecure_http: bool) -> None:
    """Raise :class:`InsecureListenError` unless serving on ``host`` keeps credentials safe."""
    if tls or allow_insecure_http or is_loopback(host):
        return
    raise InsecureListenError(
        f"refusing to serve plain HTTP on {host}: passwords and tokens would cross the network "
        "in clear. Give --tls-cert and --tls-key to serve HTTPS, listen on 127.0.0.1, or pass "
        "--allow-insecure-http to accept the risk."
    )


class SecurityHeadersMiddleware:
    """Add ``Strict-Transport-Security`` to every response served over TLS."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("scheme") != "https":
            await self.app(scope, receive, send)
            return

        async def send_with_hsts(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(k.lower() == b"strict-transport-security" for k, _ in headers):
                    headers.append((b"strict-transport-security", HSTS_VALUE.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_hsts)
