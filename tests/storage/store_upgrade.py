"""What the storage upgrade tests share: the current schema version and the versions an upgrade
from an older database applies (the fixture that builds such a database is ``upgraded`` in this
folder's conftest)."""

from __future__ import annotations

from smartpdu.storage import postgres_store, sqlite_store

LATEST = len(sqlite_store.MIGRATIONS)
assert len(postgres_store.MIGRATIONS) == LATEST


def since(version: int) -> list[int]:
    """The migrations applied when a database at ``version - 1`` is opened by this release."""
    return list(range(version, LATEST + 1))
