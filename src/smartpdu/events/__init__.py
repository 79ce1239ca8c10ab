"""Events of DESIGN §5: model, code catalogue, bus, hash chain, signed checkpoints, the log.

Producers create :class:`NewEvent`; the single :class:`EventLog` seals, commits and publishes
them on the :class:`EventBus`; :func:`audit_verify` proves the stored chain untouched; every
push channel delivers from the durable :class:`Outbox`.
"""

from smartpdu.events.audit import (
    AUDIT_HEAD_FILENAME,
    AuditSource,
    audit_verify,
    read_head_file,
    write_head_file,
)
from smartpdu.events.bus import (
    DEFAULT_QUEUE_SIZE,
    EventBus,
    LagReport,
    OverflowPolicy,
    Subscription,
    SubscriptionClosed,
)
from smartpdu.events.chain import (
    GENESIS_HASH,
    Checkpoint,
    VerifyResult,
    chain_hash,
    seal,
    verify_chain,
)
from smartpdu.events.codes import (
    CATALOGUE,
    EventCode,
    EventCodeInfo,
    Severity,
    UnknownEventCodeError,
    code_info,
)
from smartpdu.events.log import DEFAULT_CHECKPOINT_EVERY, Clock, EventLog, EventStore
from smartpdu.events.model import (
    Action,
    Event,
    JsonScalar,
    NewEvent,
    canonical_json,
    format_timestamp,
    parse_timestamp,
)
from smartpdu.events.outbox import (
    DeliveryResult,
    Destination,
    DestinationStatus,
    EventSource,
    Outbox,
    Sender,
)
from smartpdu.events.outbox_plan import EventFilter, RetryPolicy
from smartpdu.events.outbox_store import DeliveryCursor, DeliveryRecord, OutboxRepository
from smartpdu.events.ratelimit import StormGuard
from smartpdu.events.signing import (
    KEY_FILENAME,
    PUBLIC_KEY_FILENAME,
    DeviceKey,
    KeyFileError,
    key_fingerprint,
    load_or_create_device_key,
    load_public_key,
    public_key_pem,
)

__all__ = [
    "AUDIT_HEAD_FILENAME",
    "CATALOGUE",
    "DEFAULT_CHECKPOINT_EVERY",
    "DEFAULT_QUEUE_SIZE",
    "GENESIS_HASH",
    "KEY_FILENAME",
    "PUBLIC_KEY_FILENAME",
    "Action",
    "AuditSource",
    "Checkpoint",
    "Clock",
    "DeliveryCursor",
    "DeliveryRecord",
    "DeliveryResult",
    "Destination",
    "DestinationStatus",
    "DeviceKey",
    "Event",
    "EventBus",
    "EventCode",
    "EventCodeInfo",
    "EventFilter",
    "EventLog",
    "EventSource",
    "EventStore",
    "JsonScalar",
    "KeyFileError",
    "LagReport",
    "NewEvent",
    "Outbox",
    "OutboxRepository",
    "OverflowPolicy",
    "RetryPolicy",
    "Sender",
    "Severity",
    "StormGuard",
    "Subscription",
    "SubscriptionClosed",
    "UnknownEventCodeError",
    "VerifyResult",
    "audit_verify",
    "canonical_json",
    "chain_hash",
    "code_info",
    "format_timestamp",
    "key_fingerprint",
    "load_or_create_device_key",
    "load_public_key",
    "parse_timestamp",
    "public_key_pem",
    "read_head_file",
    "seal",
    "verify_chain",
    "write_head_file",
]
