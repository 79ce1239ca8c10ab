"""Pure parts of webhooks: signatures against the reference library, bodies per template."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from smartpdu.events.codes import Severity
from smartpdu.events.model import Event
from smartpdu.events.outbox_plan import EventFilter
from smartpdu.events.webhook_store import SigningSecret, WebhookRecord
from smartpdu.integrations.webhooks import Template, body_of, new_secret, signed_request
from smartpdu.integrations.webhooks.signing import check_secret

EVENT = Event(
    sequence_id=42, timestamp_utc="2026-12-01T19:00:00.000000Z", pdu_id="pdu-a",
    source="outlet/7", event_code="OUTLET_OVERLOAD", severity=Severity.CRITICAL,
    action_taken="trip", reason_code="OVERCURRENT", evidence={"value": 17.2, "limit": 16.0},
    actor=None, command_id=None, message="Outlet 7 overloaded", prev_hash="0" * 64, hash="f" * 64,
)  # fmt: skip


def test_reference_library_verifies_our_signature_and_rejects_tampering() -> None:
    secret = new_secret()
    now = datetime.now(UTC)
    rec = WebhookRecord("wh1", "http://x/", (SigningSecret(secret),))
    raw, headers = signed_request(
        rec, "webhook-wh1.pdu-a.42-42", body_of(EVENT, Template.STANDARD), now
    )
    body = Webhook(secret).verify(raw, headers)
    assert body["data"]["sequence_id"] == 42 and body["type"] == "event.OUTLET_OVERLOAD"
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(raw.replace(b"17.2", b"1.2"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(raw, headers)
    stale = signed_request(rec, "id", {"a": 1}, now - timedelta(minutes=10))
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(*stale)


def test_expired_rotation_secret_no_longer_signs() -> None:
    old, new = new_secret(), new_secret()
    now = datetime.now(UTC)
    past = (now - timedelta(seconds=1)).isoformat()
    future = (now + timedelta(hours=1)).isoformat()
    both = WebhookRecord("w", "http://x/", (SigningSecret(new), SigningSecret(old, future)))
    raw, headers = signed_request(both, "m", {"a": 1}, now)
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(raw, headers)
    Webhook(new).verify(raw, headers)
    only_new = WebhookRecord("w", "http://x/", (SigningSecret(new), SigningSecret(old, past)))
    raw, headers = signed_request(only_new, "m", {"a": 1}, now)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(raw, headers)


def test_templates() -> None:
    slack = body_of(EVENT, Template.SLACK)
    assert set(slack) == {"text"} and "OUTLET_OVERLOAD" in slack["text"] and "#42" in slack["text"]
    assert body_of(EVENT, Template.TEAMS) == slack == body_of(EVENT, Template.MATTERMOST)
    ticket = body_of(EVENT, Template.TICKET)
    assert ticket["priority"] == "urgent" and ticket["dedupe_key"] == "pdu-a/42"
    json.dumps(ticket)  # serialisable as is


def test_secret_format_and_filters() -> None:
    check_secret(new_secret())
    for bad in ("secret", "whsec_", "whsec_!!!", "whsec_" + "QUFB" * 2):
        with pytest.raises(ValueError, match="whsec_"):
            check_secret(bad)
    f = EventFilter(sources=frozenset({"outlet/*", "user/alice"}))
    assert f.wants_source("outlet/7") and f.wants_source("user/alice")
    assert not f.wants_source("user/bob") and not f.wants_source("branch/A")
    assert EventFilter(min_severity=Severity.CRITICAL).matches(EVENT)
