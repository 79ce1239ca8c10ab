"""Unknown query parameters are refused with a 422 problem naming them (no silent typo)."""

from __future__ import annotations

import httpx
from api_env import Env


async def test_a_misspelt_query_parameter_is_refused(client: httpx.AsyncClient, env: Env) -> None:
    r = await client.get("/api/v1/alarms?stat=active", headers=env.h("viewer"))
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["errors"][0]["path"].endswith("stat")
    assert "unknown query parameter" in body["errors"][0]["message"]


async def test_declared_parameters_still_work(client: httpx.AsyncClient, env: Env) -> None:
    r = await client.get("/api/v1/alarms?state=all", headers=env.h("viewer"))
    assert r.status_code == 200, r.text
    r = await client.get("/api/v1/events?limit=5", headers=env.h("viewer"))
    assert r.status_code == 200, r.text


async def test_a_cached_view_with_an_unknown_parameter_is_refused(
    client: httpx.AsyncClient, env: Env
) -> None:
    path = "/api/v1/pdus/pdu-a/outlets/1"
    first = await client.get(path, headers=env.h("viewer"))
    assert first.status_code == 200, first.text
    again = await client.get(path, headers=env.h("viewer"))  # may come from the pre-routing cache
    assert again.status_code == 200
    r = await client.get(path + "?verbose=1", headers=env.h("viewer"))
    assert r.status_code == 422, r.text
