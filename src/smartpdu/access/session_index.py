"""Live sessions by public id, as the store keeps them (``sessions.session_id``, migration 8).

Earlier releases kept a second copy of every session under ``access/session/{id}`` in the
key/value table; the session row itself now carries its public id and the interface it was
opened on, so there is one row per session and nothing to keep in step. Synchronous (the
service calls it from a worker thread).
"""

from __future__ import annotations

from datetime import datetime

from smartpdu.access.records import SessionView
from smartpdu.access.repository import AccountStore
from smartpdu.model.accounts import SessionRecord

__all__ = ["SessionIndex"]


class SessionIndex:
    def __init__(self, store: AccountStore) -> None:
        self._store = store

    def add(self, record: SessionRecord, interface: str) -> None:
        """Store the session, with the interface it was opened on."""
        self._store.create_session(
            SessionRecord(
                record.token_hash,
                record.username,
                record.created_utc,
                record.expires_utc,
                interface,
            )
        )

    def views(self, now: datetime) -> list[SessionView]:
        """Live sessions, oldest first."""
        return [
            SessionView(r.id, r.username, r.created_utc, r.expires_utc, r.interface)
            for r in self._store.list_sessions(now)
        ]

    def find(self, sid: str) -> tuple[str, str] | None:
        """(token hash, username) of the session ``sid``, or None."""
        rec = self._store.find_session(sid)
        return None if rec is None else (rec.token_hash, rec.username)

    def remove(self, token_hash: str) -> bool:
        """Delete the session; return whether it existed."""
        return self._store.delete_session(token_hash)
