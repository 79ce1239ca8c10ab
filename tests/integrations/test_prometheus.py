"""/metrics: parses with prometheus_client's parser; every catalogue metric, labelled by level."""

from __future__ import annotations

import math

import httpx
import pytest
from api_env import Env, running
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_parse
from prometheus_client.parser import text_string_to_metric_families

from smartpdu.config import dump_config
from smartpdu.integrations.prometheus import QueueSample, family_names
from smartpdu.model.metrics import CATALOGUE, Kind


@pytest.fixture
async def env(tmp_path):  # type: ignore[no-untyped-def]
    async with running(tmp_path) as e:
        await e.runtime.run_ticks(2)
        yield e


def _client(env: Env) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=env.app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://t")


def _parse(text: str) -> dict[str, object]:
    return {f.name: f for f in text_string_to_metric_families(text)}


async def test_every_catalogue_metric_appears_with_level_labels(env: Env) -> None:
    async with _client(env) as c:
        r = await c.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    fams = _parse(r.text)
    names = {m.prometheus for m in CATALOGUE if m.prometheus}
    assert names == set(family_names())
    for name in names:
        key = name.removesuffix("_total")  # the parser names counters without the suffix
        assert key in fams, f"{name} missing from /metrics"
    for m in CATALOGUE:
        if m.prometheus is None:
            continue
        fam = fams[m.prometheus.removesuffix("_total")]
        assert fam.type == ("counter" if m.kind is Kind.COUNTER else "gauge")  # type: ignore[attr-defined]
        levels = {s.labels["level"] for s in fam.samples}  # type: ignore[attr-defined]
        assert {lv.value for lv in m.levels} <= levels, (m.prometheus, levels)
    # Labels say the level: outlet power sums to the branch power it feeds (never both counted)
    snap = env.runtime.snapshot
    power = fams["smartpdu_power_watts"].samples  # type: ignore[attr-defined]
    pdu = next(iter(snap.pdus.values()))
    outlet_sum = sum(s.value for s in power
                     if s.labels["pdu"] == pdu.id and s.labels["level"] == "outlet")  # fmt: skip
    expected = sum(o.reading.p_w for o in pdu.outlets.values())
    assert outlet_sum == pytest.approx(expected, rel=1e-9, abs=1e-9)
    inlet = [s for s in power if s.labels["pdu"] == pdu.id and s.labels["level"] == "inlet"]
    assert len(inlet) == 1 and inlet[0].value == pytest.approx(pdu.inlet.power_w)
    energy = fams["smartpdu_energy_watt_hours"]
    assert any(s.name == "smartpdu_energy_watt_hours_total" for s in energy.samples)  # type: ignore[attr-defined]
    assert "smartpdu_tick_overruns" in fams and "smartpdu_alarms_active" in fams
    devices = {s.labels["device"] for s in power if s.labels["level"] == "outlet"}
    assert devices - {""}, "outlets feeding a configured device carry its name"


async def test_no_value_is_nan_not_zero(env: Env) -> None:
    async with _client(env) as c:
        fams = _parse((await c.get("/metrics")).text)
    snap = env.runtime.snapshot
    pf = fams["smartpdu_power_factor"].samples  # type: ignore[attr-defined]
    for pdu in snap.pdus.values():
        for oid, o in pdu.outlets.items():
            (s,) = [s for s in pf if s.labels["pdu"] == pdu.id and s.labels["level"] == "outlet"
                    and s.labels["id"] == oid]  # fmt: skip
            if math.isnan(o.reading.pf):
                assert math.isnan(s.value)
            else:
                assert s.value == pytest.approx(o.reading.pf)


async def test_openmetrics_on_request_and_queue_depths(env: Env) -> None:
    async def stats() -> list[QueueSample]:
        return [QueueSample("webhook-wh1", 7, 2, True)]

    env.app.state.queue_stats = stats  # type: ignore[attr-defined]
    async with _client(env) as c:
        r = await c.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert r.headers["content-type"].startswith("application/openmetrics-text")
    fams = {f.name: f for f in om_parse(r.text)}
    (depth,) = fams["smartpdu_delivery_queue_depth"].samples
    assert depth.labels == {"destination": "webhook-wh1"} and depth.value == 7


async def test_optional_auth_and_disable_are_configured_in_the_rack(env: Env) -> None:
    yaml_text = dump_config(env.runtime.config).replace(
        "  prometheus:\n    enabled: true\n    require_auth: false",
        "  prometheus:\n    enabled: true\n    require_auth: true",
    )
    assert "require_auth: true" in yaml_text
    async with _client(env) as c:
        r = await c.put("/api/v1/config", content=yaml_text,
                        headers={**env.h("admin"), "Content-Type": "application/yaml"})  # fmt: skip
        assert r.status_code in (200, 201), r.text
        assert (await c.get("/metrics")).status_code == 401
        assert (await c.get("/metrics", headers=env.h("viewer"))).status_code == 200
        bad = yaml_text.replace("require_auth: true", "require_auth: maybe")
        r = await c.put("/api/v1/config", content=bad,
                        headers={**env.h("admin"), "Content-Type": "application/yaml"})  # fmt: skip
        assert r.status_code == 422 and "require_auth" in r.text
