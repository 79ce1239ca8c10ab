"""HTTP view of login throttling: 429 problem with Retry-After after repeated failures."""

from __future__ import annotations

import httpx
from api_env import PASSWORDS, Env


async def test_repeated_bad_logins_get_429_with_retry_after(
    env: Env, client: httpx.AsyncClient
) -> None:
    for _ in range(5):
        r = await client.post("/api/v1/auth/login", json={"username": "op", "password": "nope"})
        assert r.status_code == 401
    r = await client.post(
        "/api/v1/auth/login", json={"username": "op", "password": PASSWORDS["op"]}
    )
    assert r.status_code == 429
    assert r.headers["content-type"].startswith("application/problem+json")
    assert int(r.headers["Retry-After"]) >= 1
    assert "try again" in r.json()["detail"]
    # other users are not affected
    ok = await client.post(
        "/api/v1/auth/login", json={"username": "viewer", "password": PASSWORDS["viewer"]}
    )
    assert ok.status_code == 200
