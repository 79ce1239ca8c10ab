"""Persistent storage behind typed repositories (:class:`Store` is all of them): SQLite
(default) and PostgreSQL.

Open with :func:`open_store` (``sqlite:///path``, ``sqlite:///:memory:``, ``postgresql://…``).
Every method is synchronous, thread-safe and durable once it returns.
"""

from smartpdu.storage.base import (
    CalibrationRepository,
    ConfigRepository,
    EnergyRepository,
    EventRepository,
    KeyValueRepository,
    ReadingRepository,
    Store,
    UserRepository,
)
from smartpdu.storage.batch import ReadingBatch
from smartpdu.storage.control_repos import CalibrationRecord
from smartpdu.storage.factory import open_store
from smartpdu.storage.migrations import Migration, apply_migrations
from smartpdu.storage.readings_sql import choose_resolution
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
from smartpdu.storage.sql_store import SqlStore

__all__ = [
    "CalibrationRecord",
    "CalibrationRepository",
    "ConfigRepository",
    "ConfigVersion",
    "ConfigVersionInfo",
    "ConflictError",
    "EnergyRegisterState",
    "EnergyRepository",
    "EventRepository",
    "HistoryPoint",
    "KeyValueRepository",
    "Migration",
    "NotFoundError",
    "Reading",
    "ReadingBatch",
    "ReadingRepository",
    "Resolution",
    "RetentionPolicy",
    "SessionRecord",
    "SqlStore",
    "Store",
    "StoreError",
    "UserRecord",
    "UserRepository",
    "apply_migrations",
    "choose_resolution",
    "open_store",
]
