"""HTTP protocol rules of the Redfish service (issue 11 item 19, what the DMTF Protocol Validator
found): OData-Version, ``$`` query parameters, schema links, ``@odata.etag``, POST to ``Members``,
atomic If-Match, credentials refused over plain HTTP under TLS, 501 for unknown methods."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
import uvicorn
from redfish_env import ADMIN_PW, OPERATOR_PW

from smartpdu.app.http_protocol import http_protocol
from smartpdu.redfish import EventDelivery, create_redfish_app

ADMIN = ("admin", ADMIN_PW)
ROOT = "/redfish/v1/"
SESSIONS = "/redfish/v1/SessionService/Sessions"
ACCOUNTS = "/redfish/v1/AccountService/Accounts"
SUBS = "/redfish/v1/EventService/Subscriptions"


def _message_id(r: httpx.Response) -> str:
    return str(r.json()["error"]["@Message.ExtendedInfo"][0]["MessageId"])


async def test_unsupported_odata_version_is_412(client: httpx.AsyncClient) -> None:
    r = await client.get(ROOT, headers={"OData-Version": "4.1"})
    assert r.status_code == 412 and _message_id(r).endswith("HeaderInvalid")
    r = await client.get(f"{ACCOUNTS}/admin", auth=ADMIN, headers={"OData-Version": "3.0"})
    assert r.status_code == 412
    assert (await client.get(ROOT, headers={"OData-Version": "4.0"})).status_code == 200
    assert (await client.get(ROOT)).status_code == 200  # absent: fine


@pytest.mark.parametrize("query", ["$top=2", "$skip=1", "$expand=*", "$select=Id", "%24top=2"])
async def test_dollar_query_parameters_are_501(client: httpx.AsyncClient, query: str) -> None:
    for path in (ROOT, ACCOUNTS):
        r = await client.get(f"{path}?{query}", auth=ADMIN)
        assert r.status_code == 501, (path, query)
        assert _message_id(r).endswith("QueryParameterUnsupported")
        assert r.json()["error"]["@Message.ExtendedInfo"][0]["MessageArgs"] == [
            query.replace("%24", "$").split("=")[0]
        ]


async def test_other_query_parameters_are_ignored(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{ROOT}?foo=bar&x", auth=ADMIN)
    assert r.status_code == 200 and r.json()["Id"] == "RootService"


async def test_get_and_head_link_to_the_schema_of_the_resource(client: httpx.AsyncClient) -> None:
    for path, schema in (
        (ROOT, "ServiceRoot.v1_20_0"),
        (f"{ACCOUNTS}/admin", "ManagerAccount.v1_14_1"),
        (ACCOUNTS, "ManagerAccountCollection"),
        (SESSIONS, "SessionCollection"),
    ):
        for method in ("GET", "HEAD"):
            r = await client.request(method, path, auth=ADMIN)
            assert r.status_code == 200
            assert r.headers["Link"] == (
                f"<http://redfish.dmtf.org/schemas/v1/{schema}.json>; rel=describedby"
            ), (method, path)


async def test_odata_etag_property_equals_the_etag_header(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{ACCOUNTS}/oper", auth=ADMIN)
    etag = r.headers["ETag"]
    assert r.json()["@odata.etag"] == etag
    # The tag in the body is the one If-Match accepts; the write answers with the new one.
    p = await client.patch(
        f"{ACCOUNTS}/oper", json={"RoleId": "ReadOnly"}, auth=ADMIN, headers={"If-Match": etag}
    )
    assert p.status_code == 200, p.text
    assert p.json()["@odata.etag"] == p.headers["ETag"] != etag
    again = await client.get(f"{ACCOUNTS}/oper", auth=ADMIN)
    assert again.headers["ETag"] == p.headers["ETag"]
    stale = await client.patch(
        f"{ACCOUNTS}/oper", json={"RoleId": "Operator"}, auth=ADMIN, headers={"If-Match": etag}
    )
    assert stale.status_code == 412


async def test_post_to_members_creates_like_post_to_the_collection(
    client: httpx.AsyncClient,
) -> None:
    r = await client.post(f"{SESSIONS}/Members", json={"UserName": "oper", "Password": OPERATOR_PW})
    assert r.status_code == 201, r.text
    assert r.headers["Location"].startswith(f"{SESSIONS}/") and r.headers["X-Auth-Token"]
    r = await client.post(
        f"{ACCOUNTS}/Members",
        json={"UserName": "newbie", "Password": "a-long-enough-pass-42", "RoleId": "ReadOnly"},
        auth=ADMIN,
    )
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == f"{ACCOUNTS}/newbie"
    assert (await client.get(f"{ACCOUNTS}/newbie", auth=ADMIN)).status_code == 200
    # Members is not a resource of its own.
    assert (await client.get(f"{SESSIONS}/Members", auth=ADMIN)).status_code == 404


async def test_concurrent_if_match_on_a_subscription_lets_one_writer_win(
    client: httpx.AsyncClient,
) -> None:
    r = await client.post(SUBS, json={"Destination": "http://127.0.0.1:9/x"}, auth=ADMIN)
    assert r.status_code == 201, r.text
    uri = r.headers["Location"]
    got = await client.get(uri, auth=ADMIN)
    etag = got.headers["ETag"]
    assert got.json()["@odata.etag"] == etag

    async def write(i: int) -> int:
        resp = await client.patch(
            uri, json={"Context": f"writer-{i}"}, auth=ADMIN, headers={"If-Match": etag}
        )
        return resp.status_code

    statuses = await asyncio.gather(*(write(i) for i in range(4)))
    assert sorted(statuses) == [200, 412, 412, 412], statuses


@pytest.fixture
async def tls_app(runtime, auth):  # type: ignore[no-untyped-def]
    delivery = EventDelivery(runtime, poll_s=0.2)
    yield create_redfish_app(runtime, auth, delivery=delivery, require_tls=True)
    await delivery.aclose()


async def test_under_tls_passwords_over_plain_http_are_refused(tls_app) -> None:  # type: ignore[no-untyped-def]
    plain = httpx.AsyncClient(transport=httpx.ASGITransport(app=tls_app), base_url="http://pdu")
    secure = httpx.AsyncClient(transport=httpx.ASGITransport(app=tls_app), base_url="https://pdu")
    async with plain, secure:
        r = await plain.get(SESSIONS, auth=ADMIN)
        assert r.status_code == 403 and _message_id(r).endswith("AccessForbidden")
        login = {"UserName": "admin", "Password": ADMIN_PW}
        r = await plain.post(SESSIONS, json=login)
        assert r.status_code == 403 and "X-Auth-Token" not in r.headers
        r = await plain.post(f"{SESSIONS}/Members", json=login)
        assert r.status_code == 403
        # Over HTTPS both work; a session token (no password on the wire) works either way.
        assert (await secure.get(SESSIONS, auth=ADMIN)).status_code == 200
        r = await secure.post(SESSIONS, json=login)
        assert r.status_code == 201
        token = {"X-Auth-Token": r.headers["X-Auth-Token"]}
        assert (await plain.get(SESSIONS, headers=token)).status_code == 200
        assert (await plain.get(ROOT)).status_code == 200  # public resources stay public


async def test_without_tls_basic_over_http_is_served(client: httpx.AsyncClient) -> None:
    assert (await client.get(SESSIONS, auth=ADMIN)).status_code == 200


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _raw(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    data = await reader.read()  # the server closes the connection after the refusal
    writer.close()
    await writer.wait_closed()
    return data


async def test_unknown_method_is_501_not_400(app) -> None:  # type: ignore[no-untyped-def]
    port = _free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan="off", log_level="warning", http=http_protocol()
    )
    srv = uvicorn.Server(config)
    task = asyncio.create_task(srv.serve())
    try:
        while not srv.started:
            await asyncio.sleep(0.02)
        out = await _raw(port, b"FAKEMETHODFORTEST /redfish/v1/ HTTP/1.1\r\nHost: x\r\n\r\n")
        assert out.startswith(b"HTTP/1.1 501 "), out[:200]
        assert b"OperationNotAllowed" in out
        out = await _raw(port, b"BREW /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert out.startswith(b"HTTP/1.1 501 ") and b"application/problem+json" in out, out[:300]
        # A malformed request that is not about the method stays a 400.
        out = await _raw(port, b"GET /redfish/v1/ HTTP/9.9\r\nHost: x\r\n\r\n")
        assert out.startswith(b"HTTP/1.1 400 "), out[:200]
    finally:
        srv.should_exit = True
        await task
