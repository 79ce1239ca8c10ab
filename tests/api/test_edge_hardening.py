"""Issue 11 edge defects over real HTTP on loopback (REST and Redfish on one uvicorn server).

Idempotency keys scoped to the actor and the request, no input yields a 500, body-size limits,
strict request types, one password policy, honest ``Allow`` headers, offline API docs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from api_env import PASSWORDS, Served, serve

from smartpdu.access.passwords import MIN_PASSWORD_LENGTH

PROBLEM = "application/problem+json"
OP2_PASSWORD = "second-operator-pw-7"


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve(tmp_path_factory.mktemp("edge"), redfish=True) as s:
        yield s


@pytest.fixture(scope="module")
def http(edge: Served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=edge.url, timeout=60) as c:
        yield c


def _problem(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM), r.headers
    body = r.json()
    assert body["status"] == status and body["detail"]
    return body


def _login(http: httpx.Client, user: str, password: str) -> dict[str, str]:
    r = http.post("/api/v1/auth/login", json={"username": user, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _redfish_basic(user: str, password: str) -> httpx.BasicAuth:
    return httpx.BasicAuth(user, password)


# -- item 1: idempotency keys are scoped to (actor, request) -----------------------------------
def test_idempotency_key_is_scoped_to_actor_and_request(edge: Served, http: httpx.Client) -> None:
    admin, op = edge.env.h("admin"), edge.env.h("op")
    r = http.post(
        "/api/v1/users",
        headers=admin,
        json={"username": "op2", "password": OP2_PASSWORD, "role": "operator"},
    )
    assert r.status_code == 201, r.text
    op2 = _login(http, "op2", OP2_PASSWORD)
    url = "/api/v1/pdus/pdu-a/outlets/{}/actions/off"

    first = http.post(url.format(15), headers={**op, "Idempotency-Key": "k-shared"})
    assert first.status_code == 200, first.text
    assert first.json()["command_id"] == "k-shared"
    assert [o["outlet_id"] for o in first.json()["outlets"]] == ["15"]

    # another user with the same key runs her own command, never gets op's result
    other = http.post(url.format(16), headers={**op2, "Idempotency-Key": "k-shared"})
    assert other.status_code == 200, other.text
    assert [o["outlet_id"] for o in other.json()["outlets"]] == ["16"]
    assert http.get("/api/v1/pdus/pdu-a/outlets/16", headers=op).json()["state"] == "off"

    # the same key for a different request by the same actor is a conflict, not a replay
    clash = http.post(url.format(14), headers={**op, "Idempotency-Key": "k-shared"})
    body = _problem(clash, 422)
    assert "k-shared" in body["detail"] and "different request" in body["detail"]
    assert http.get("/api/v1/pdus/pdu-a/outlets/14", headers=op).json()["state"] == "on"
    clash2 = http.post(
        url.format(15), headers={**op, "Idempotency-Key": "k-shared"}, json={"off_period_s": 3}
    )
    _problem(clash2, 422)

    # a true retry replays the first result
    again = http.post(url.format(15), headers={**op, "Idempotency-Key": "k-shared"})
    assert again.status_code == 200 and again.json() == first.json()

    events = http.get("/api/v1/events", params={"pdu_id": "pdu-a", "limit": 1000}, headers=op)
    offs = [
        (e["source"], e["actor"])
        for e in events.json()["events"]
        if e["event_code"] == "OUTLET_OFF" and e["command_id"] == "k-shared"
    ]
    assert sorted(offs) == [("outlet/15", "user/op"), ("outlet/16", "user/op2")]


# -- items 11, 12: no input yields a 500 -------------------------------------------------------
def test_history_with_an_out_of_range_time_is_422(edge: Served, http: httpx.Client) -> None:
    for path in ("/api/v1/history", "/api/v1/energy"):
        r = http.get(
            f"{path}?pdu_id=pdu-a&key=inlet/power_w&from=0001-01-01T00:00:00%2B14:00",
            headers=edge.env.h("viewer"),
        )
        body = _problem(r, 422)
        assert "from" in body["detail"]
        # the connection stays usable
        assert http.get("/api/v1/health").status_code == 200


NESTED = b"[" * 100_000 + b"]" * 100_000
NESTED_OBJ = b'{"a":' * 50_000 + b"1" + b"}" * 50_000


@pytest.mark.parametrize("payload", [NESTED, NESTED_OBJ], ids=["list", "object"])
def test_deeply_nested_json_is_a_clear_4xx(
    edge: Served, http: httpx.Client, payload: bytes
) -> None:
    json_ct = {"Content-Type": "application/json"}
    r = http.post("/redfish/v1/SessionService/Sessions", content=payload, headers=json_ct)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"].endswith("MalformedJSON")
    r = http.post(
        "/redfish/v1/PowerEquipment/RackPDUs/pdu-a/Outlets/1/Actions/Outlet.PowerControl",
        content=payload,
        headers=json_ct,
        auth=_redfish_basic("op", PASSWORDS["op"]),
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"].endswith("MalformedJSON")
    r = http.post("/api/v1/auth/login", content=payload, headers=json_ct)
    body = _problem(r, 422)
    assert "JSON" in body["detail"]


def test_oversized_bodies_are_refused_with_413(edge: Served, http: httpx.Client) -> None:
    big = b"x" * (1024 * 1024 + 1)
    r = http.post("/api/v1/auth/login", content=big, headers={"Content-Type": "application/json"})
    body = _problem(r, 413)
    assert "1048576" in body["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: refused while streaming
        for _ in range(40):
            yield b"y" * 65536

    r = http.post(
        "/api/v1/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    _problem(r, 413)
    r = http.post("/redfish/v1/SessionService/Sessions", content=big)
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("application/json")
    assert "error" in r.json() and r.json()["error"]["@Message.ExtendedInfo"]
    r = http.post("/redfish/v1/SessionService/Sessions", content=chunks())
    assert r.status_code == 413 and "error" in r.json()
    # small bodies still work
    assert http.get("/api/v1/health").status_code == 200


def test_field_lengths_are_limited(edge: Served, http: httpx.Client) -> None:
    r = http.post(
        "/api/v1/pdus/pdu-a/energy/reset", headers=edge.env.h("admin"), json={"channel": "o" * 65}
    )
    _problem(r, 422)
    r = http.post("/api/v1/auth/login", json={"username": "u" * 65, "password": "p"})
    _problem(r, 422)


# -- item 13: strict request types ---------------------------------------------------------------
@pytest.mark.parametrize("value", ["5", True, "yes"])
def test_off_period_must_be_a_number(edge: Served, http: httpx.Client, value: object) -> None:
    r = http.post(
        "/api/v1/pdus/pdu-a/outlets/20/actions/cycle",
        headers=edge.env.h("op"),
        json={"off_period_s": value},
    )
    body = _problem(r, 422)
    assert any(e["path"] == "body.off_period_s" for e in body["errors"])


def test_user_fields_are_strict(edge: Served, http: httpx.Client) -> None:
    admin = edge.env.h("admin")
    r = http.patch("/api/v1/users/viewer", headers=admin, json={"disabled": "yes"})
    _problem(r, 422)
    r = http.patch("/api/v1/users/viewer", headers=admin, json={"disabled": 1})
    _problem(r, 422)
    r = http.patch("/api/v1/users/viewer", headers=admin, json={"bogus": 1})
    _problem(r, 422)
    assert http.get("/api/v1/users/viewer", headers=admin).json()["disabled"] is False
    r = http.post("/api/v1/auth/login", json={"username": "op", "password": 12345678901234})
    _problem(r, 422)


def test_redfish_account_enabled_must_be_boolean(edge: Served, http: httpx.Client) -> None:
    auth = _redfish_basic("admin", PASSWORDS["admin"])
    r = http.post(
        "/redfish/v1/AccountService/Accounts",
        auth=auth,
        json={
            "UserName": "rf-enabled",
            "Password": "a-Good-passphrase-9",
            "RoleId": "ReadOnly",
            "Enabled": "no",
        },
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"].endswith("PropertyValueTypeError")
    r = http.get("/api/v1/users/rf-enabled", headers=edge.env.h("admin"))
    assert r.status_code == 404


# -- item 14: one password policy, reported the same by REST and Redfish ---------------------------
@pytest.mark.parametrize(
    ("username", "password", "why"),
    [
        ("weak1", "aaaaaaaa", "at least 12"),
        ("weak2", "password1234", "common"),
        ("weak3", "QWERTYUIOP123", "common"),
        ("longusername1", "longusername1", "user name"),
    ],
)
def test_password_policy_is_one_for_rest_and_redfish(
    edge: Served, http: httpx.Client, username: str, password: str, why: str
) -> None:
    r = http.post(
        "/api/v1/users",
        headers=edge.env.h("admin"),
        json={"username": username, "password": password, "role": "viewer"},
    )
    body = _problem(r, 422)
    assert why in body["detail"], body
    r = http.post(
        "/redfish/v1/AccountService/Accounts",
        auth=_redfish_basic("admin", PASSWORDS["admin"]),
        json={"UserName": username, "Password": password, "RoleId": "ReadOnly"},
    )
    assert r.status_code == 400, r.text
    info = r.json()["error"]["@Message.ExtendedInfo"]
    assert info[0]["MessageId"].split(".")[-1] in (
        "PasswordIncorrectLength",
        "PasswordComplexityNotMet",
    )
    # the policy's own words, identical to the native API's
    assert body["detail"].lower() in info[0]["Resolution"].lower(), (body, info)
    r = http.get("/redfish/v1/AccountService", auth=_redfish_basic("admin", PASSWORDS["admin"]))
    assert r.json()["MinPasswordLength"] == MIN_PASSWORD_LENGTH == 12


# -- items 21, 23: honest Allow, documented limits, empty config, offline docs ---------------------
@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/api/v1/config", {"GET", "PUT"}),
        ("/api/v1/users", {"GET", "POST"}),
        ("/api/v1/users/viewer", {"GET", "PATCH", "DELETE"}),
    ],
)
def test_options_and_405_answer_the_real_allow(
    edge: Served, http: httpx.Client, path: str, methods: set[str]
) -> None:
    r = http.options(path, headers=edge.env.h("admin"))
    assert r.status_code in (200, 204), r.text
    allow = {m.strip() for m in r.headers["allow"].split(",")}
    assert allow - {"OPTIONS", "HEAD"} == methods
    r = http.request("TRACE", path, headers=edge.env.h("admin"))
    assert r.status_code == 405
    assert {m.strip() for m in r.headers["allow"].split(",")} - {"OPTIONS", "HEAD"} == methods


def test_bucket_limit_is_documented(http: httpx.Client) -> None:
    spec = http.get("/api/v1/openapi.json").json()
    for path in ("/api/v1/history", "/api/v1/energy"):
        op = spec["paths"][path]["get"]
        text = op.get("description", "") + " ".join(
            p.get("description", "") for p in op["parameters"]
        )
        assert "20,000" in text or "20000" in text, path


def test_put_empty_config_is_a_clear_422(edge: Served, http: httpx.Client) -> None:
    r = http.put(
        "/api/v1/config",
        headers={**edge.env.h("admin"), "Content-Type": "application/yaml"},
        content=b"",
    )
    body = _problem(r, 422)
    assert "empty" in body["detail"]


def test_docs_use_only_local_assets(http: httpx.Client) -> None:
    r = http.get("/api/v1/docs")
    assert r.status_code == 200
    refs = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)["\']', r.text)
    refs += re.findall(r"url:\s*'([^']+)'", r.text)
    assert refs and all(not ref.startswith(("http:", "https:", "//")) for ref in refs), refs
    for ref in refs:
        asset = http.get(ref)
        assert asset.status_code == 200, ref
        assert len(asset.content) > 100, ref


def test_no_hsts_over_plain_http(http: httpx.Client) -> None:
    r = http.get("/api/v1/health")
    assert r.status_code == 200 and "strict-transport-security" not in r.headers


# -- item 4: parallel logins cannot bypass the lockout -------------------------------------------
def test_thirty_concurrent_wrong_logins_are_throttled(edge: Served, http: httpx.Client) -> None:
    import asyncio

    r = http.post(
        "/api/v1/users",
        headers=edge.env.h("admin"),
        json={"username": "victim", "password": "victim-real-pw-42", "role": "viewer"},
    )
    assert r.status_code == 201, r.text

    async def burst() -> list[int]:
        async with httpx.AsyncClient(base_url=edge.url, timeout=120) as c:
            wrong = [
                c.post(
                    "/api/v1/auth/login",
                    json={"username": "victim", "password": f"guess-{i:04}-xyz"},
                )
                for i in range(30)
            ]
            return [resp.status_code for resp in await asyncio.gather(*wrong)]

    codes = asyncio.run(burst())
    assert codes.count(401) == 5 and codes.count(429) == 25, codes
    right = http.post(
        "/api/v1/auth/login", json={"username": "victim", "password": "victim-real-pw-42"}
    )
    _problem(right, 429)
