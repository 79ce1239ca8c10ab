"""Webhooks: Standard Webhooks-signed HTTP POSTs of events, delivered from the shared outbox."""

from smartpdu.integrations.webhooks.payloads import Template, body_of
from smartpdu.integrations.webhooks.rules import WebhookError
from smartpdu.integrations.webhooks.sender import WebhookSender, signed_request
from smartpdu.integrations.webhooks.service import WebhookChange, WebhookService, destination_id
from smartpdu.integrations.webhooks.signing import new_secret, sign, signature_header

__all__ = [
    "Template",
    "WebhookChange",
    "WebhookError",
    "WebhookSender",
    "WebhookService",
    "body_of",
    "destination_id",
    "new_secret",
    "sign",
    "signature_header",
    "signed_request",
]
