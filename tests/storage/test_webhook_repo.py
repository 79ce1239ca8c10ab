"""The webhooks table (migration 10) on SQLite and the real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from smartpdu.events.webhook_store import SigningSecret, WebhookRecord
from smartpdu.storage import SqlStore

Opener = Callable[[], SqlStore]


def test_webhooks_round_trip_replace_delete(backend: tuple[str, Opener]) -> None:
    tables = backend[1]().webhooks
    assert tables.list() == [] and tables.get("wh1") is None
    rec = WebhookRecord(
        id="wh1", url="https://chat.example/hooks/T1/B2/xyz",
        secrets=(SigningSecret("whsec_new"), SigningSecret("whsec_old", "2026-12-02T00:00:00+00:00")),
        event_codes=("OUTLET_ON", "FIRE_ALARM"), min_severity="warning",
        sources=("outlet/*",), pdu_ids=("pdu-a",), template="slack", description="ops room",
        owner="user/admin", created_utc="2026-12-01T00:00:00+00:00",
    )  # fmt: skip
    tables.save(rec)
    tables.save(WebhookRecord("wh2", "http://h/", (SigningSecret("whsec_x"),),
                              created_utc="2026-12-01T00:00:01+00:00"))  # fmt: skip
    again = backend[1]().webhooks  # survives a restart
    assert again.get("wh1") == rec and [w.id for w in again.list()] == ["wh1", "wh2"]
    off = replace(rec, enabled=False, disabled_reason="failing for 86400 s")
    again.save(off)
    assert again.get("wh1") == off
    assert again.delete("wh1") and not again.delete("wh1")
    assert [w.id for w in again.list()] == ["wh2"]
