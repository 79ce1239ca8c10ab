"""Pre-encoded snapshot views (issue 12 item 4): one encoding per tick shared by every reader,
ETags and 304s, and the pre-routing answer that must never outlive a revocation."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
from api_env import PASSWORDS, Env, Served

from smartpdu.api.encoded import EncodedView, ViewCache
from smartpdu.api.schemas import OutletOut, PduOut
from smartpdu.api.views import outlet_view, pdu_view

OUTLET = "/api/v1/pdus/pdu-a/outlets/7"


# -- the mechanism ---------------------------------------------------------------------------
def test_a_view_lives_exactly_as_long_as_its_snapshot() -> None:
    views: ViewCache[str] = ViewCache()
    s1, s2 = object(), object()
    assert views.get(s1, "a") is None
    v = views.put(s1, "a", EncodedView(b"{}", "application/json"))
    assert views.get(s1, "a") is v
    assert views.get(s2, "a") is None and len(views) == 0  # a new tick empties the cache
    views.put(s1, "a", v)  # a build that started before the tick must not be kept
    assert views.get(s2, "a") is None


def test_etag_follows_the_bytes_and_if_none_match_is_parsed_as_a_list() -> None:
    a = EncodedView(b'{"x":1}', "application/json", {"Cache-Control": "no-cache"})
    b = EncodedView(b'{"x":2}', "application/json")
    assert a.etag == EncodedView(b'{"x":1}', "application/json").etag != b.etag
    assert a.matches(f'"other", {a.etag}') and a.matches("*")
    assert a.matches(a.etag.removeprefix("W/"))  # weak comparison (RFC 9110 13.1.2)
    assert not a.matches(b.etag) and not a.matches(None) and not a.matches("")
    assert a.response(a.etag).status_code == 304
    raw = dict(a.response(None).raw_headers)
    assert raw[b"etag"] == a.etag.encode() and raw[b"content-length"] == b"7"
    assert raw[b"cache-control"] == b"no-cache"


# -- over the app ------------------------------------------------------------------------------
async def _pause(env: Env) -> None:
    """Stop the ticker so the snapshot (and so the cached views) stays put."""
    env.ticking.clear()
    await asyncio.sleep(0.1)


async def test_readers_of_one_tick_share_one_encoding_that_matches_the_snapshot(
    env: Env, client: httpx.AsyncClient
) -> None:
    await _pause(env)
    first = await client.get(OUTLET, headers=env.h("viewer"))
    again = await client.get(OUTLET, headers=env.h("admin"))
    assert first.status_code == again.status_code == 200
    assert first.content == again.content and first.headers["etag"] == again.headers["etag"]
    assert first.headers["content-type"] == "application/json"
    snap = env.runtime.snapshot
    expected = outlet_view(snap.pdus["pdu-a"].outlets["7"])
    assert OutletOut.model_validate_json(first.content) == expected
    pdu = await client.get("/api/v1/pdus/pdu-a", headers=env.h("viewer"))
    assert PduOut.model_validate_json(pdu.content) == pdu_view(snap.pdus["pdu-a"])
    listed = (await client.get("/api/v1/pdus/pdu-a/outlets", headers=env.h("op"))).json()
    assert [OutletOut.model_validate(o) for o in listed] == [
        outlet_view(o) for o in snap.pdus["pdu-a"].outlets.values()
    ]


async def test_conditional_get_answers_304_until_the_next_tick(
    env: Env, client: httpx.AsyncClient
) -> None:
    await _pause(env)
    r = await client.get(OUTLET, headers=env.h("viewer"))
    tag = r.headers["etag"]
    cond = {**env.h("viewer"), "If-None-Match": tag}
    not_modified = await client.get(OUTLET, headers=cond)
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["etag"] == tag
    await env.runtime.run_ticks(3)  # readings move: a new snapshot, new bytes
    fresh = await client.get(OUTLET, headers=cond)
    assert fresh.status_code == 200 and fresh.headers["etag"] != tag


async def test_a_missing_outlet_is_a_404_problem_and_never_cached(
    env: Env, client: httpx.AsyncClient
) -> None:
    await _pause(env)
    for _ in range(2):
        r = await client.get("/api/v1/pdus/pdu-a/outlets/999", headers=env.h("viewer"))
        assert r.status_code == 404
        assert r.headers["content-type"] == "application/problem+json"
    views = env.app.state.views  # type: ignore[attr-defined]
    assert views.get(env.runtime.snapshot, "/api/v1/pdus/pdu-a/outlets/999") is None


async def test_a_cached_view_needs_a_valid_token(env: Env, client: httpx.AsyncClient) -> None:
    await _pause(env)
    assert (await client.get(OUTLET, headers=env.h("viewer"))).status_code == 200
    for headers in (
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": f"Basic {env.tokens['viewer']}"},
        {"Authorization": env.tokens["viewer"]},
    ):
        r = await client.get(OUTLET, headers=headers)
        assert r.status_code == 401, headers
        assert r.headers["content-type"] == "application/problem+json"


async def test_revocation_beats_a_cached_view_at_once(env: Env, client: httpx.AsyncClient) -> None:
    """Logout, disabling, a password change and deletion refuse the very next read of a view
    encoded in the same tick (the pre-routing answer shares the auth cache's invalidation)."""
    await _pause(env)
    admin = env.h("admin")
    tokens = {}
    for user in ("viewer", "op"):
        r = await client.post(
            "/api/v1/auth/login", json={"username": user, "password": PASSWORDS[user]}
        )
        tokens[user] = {"Authorization": f"Bearer {r.json()['token']}"}
    for who in (env.h("viewer"), env.h("op"), *tokens.values()):
        assert (await client.get(OUTLET, headers=who)).status_code == 200
    tag = (await client.get(OUTLET, headers=admin)).headers["etag"]

    assert (await client.post("/api/v1/auth/logout", headers=tokens["viewer"])).status_code == 204
    assert (await client.get(OUTLET, headers=tokens["viewer"])).status_code == 401
    assert (await client.get(OUTLET, headers=env.h("viewer"))).status_code == 200  # other session

    r = await client.patch("/api/v1/users/viewer", json={"disabled": True}, headers=admin)
    assert r.status_code == 200, r.text
    assert (await client.get(OUTLET, headers=env.h("viewer"))).status_code == 401

    new_pw = {"password": "another-operator-pass-9"}
    assert (await client.patch("/api/v1/users/op", json=new_pw, headers=admin)).status_code == 200
    assert (await client.get(OUTLET, headers=env.h("op"))).status_code == 401
    assert (await client.get(OUTLET, headers=tokens["op"])).status_code == 401
    # the view itself was still the same tick's: the refusals were not a cache miss
    assert (await client.get(OUTLET, headers=admin)).headers["etag"] == tag


def test_live_streams_share_one_encoding_of_the_tick(served: Served) -> None:
    """Over a real server (the stream library keeps a task per event loop)."""
    env = served.env
    env.ticking.clear()  # the ticker checks it before each tick
    time.sleep(0.3)
    data = []
    with httpx.Client(base_url=served.url, timeout=10) as c:
        for _ in range(2):
            r = c.get(
                "/api/v1/stream", params={"limit": 1, "events": "false"}, headers=env.h("viewer")
            )
            data += [ln[5:].strip() for ln in r.text.splitlines() if ln.startswith("data:")]
    view = env.app.state.views.get(env.runtime.snapshot, "sse:reading")  # type: ignore[attr-defined]
    assert view is not None and data == [view.body.decode()] * 2
    assert json.loads(data[0])["tick"] == env.runtime.snapshot.tick
