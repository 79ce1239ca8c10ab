"""Where plain HTTP may listen (pure check) and HSTS only on TLS requests (ASGI, in process)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from smartpdu.api.transport import (
    HSTS_VALUE,
    InsecureListenError,
    SecurityHeadersMiddleware,
    check_listen_security,
    is_loopback,
)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"])
def test_loopback_may_serve_plain_http(host: str) -> None:
    assert is_loopback(host)
    check_listen_security(host, tls=False, allow_insecure_http=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.5", "pdu.example.net"])
def test_other_addresses_need_tls_or_the_explicit_flag(host: str) -> None:
    assert not is_loopback(host)
    with pytest.raises(InsecureListenError, match="--allow-insecure-http"):
        check_listen_security(host, tls=False, allow_insecure_http=False)
    check_listen_security(host, tls=True, allow_insecure_http=False)
    check_listen_security(host, tls=False, allow_insecure_http=True)


async def test_hsts_only_on_https_requests() -> None:
    app = FastAPI()

    @app.get("/x")
    async def x() -> dict[str, bool]:
        return {"ok": True}

    app.add_middleware(SecurityHeadersMiddleware)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://pdu") as c:
        assert (await c.get("/x")).headers["strict-transport-security"] == HSTS_VALUE
    async with httpx.AsyncClient(transport=transport, base_url="http://pdu") as c:
        assert "strict-transport-security" not in (await c.get("/x")).headers
