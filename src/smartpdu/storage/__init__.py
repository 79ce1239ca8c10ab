"""Persistent storage behind one :class:`Store` interface: SQLite (default) and PostgreSQL.

Open with :func:`open_store` (``sqlite:///path``, ``sqlite:///:memory:``, ``postgresql://…``).
Every method is synchronous, thread-safe and durable once it returns.
"""

from smartpdu.storage.base import Store
from smartpdu.storage.factory import open_store
from smartpdu.storage.migrations import Migration, apply_migrations
from smartpdu.storage.records import (
    ConfigVersion,
    ConfigVersionInfo,
    ConflictError,
    EnergyRegisterState,
    HistoryPoint,
    NotFoundError,
    Reading,
    Resolution,
    RetentionPolicy,
    SessionRecord,
    StoreError,
    UserRecord,
)
from smartpdu.storage.sql_store import SqlStore, choose_resolution

__all__ = [
    "ConfigVersion",
    "ConfigVersionInfo",
    "ConflictError",
    "EnergyRegisterState",
    "HistoryPoint",
    "Migration",
    "NotFoundError",
    "Reading",
    "Resolution",
    "RetentionPolicy",
    "SessionRecord",
    "SqlStore",
    "Store",
    "StoreError",
    "UserRecord",
    "apply_migrations",
    "choose_resolution",
    "open_store",
]
