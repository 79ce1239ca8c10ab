"""DMTF Redfish service for the PDU (``/redfish/v1``): live readings, control, sessions, events."""

from smartpdu.redfish.app import RedfishService, create_redfish_app, mount_redfish
from smartpdu.redfish.delivery import EventDelivery, event_payload
from smartpdu.redfish.errors import RedfishError, base_message, error_body
from smartpdu.redfish.subscriptions import Subscription, SubscriptionStore

__all__ = [
    "EventDelivery",
    "RedfishError",
    "RedfishService",
    "Subscription",
    "SubscriptionStore",
    "base_message",
    "create_redfish_app",
    "error_body",
    "event_payload",
    "mount_redfish",
]
