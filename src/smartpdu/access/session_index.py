"""Index of live sessions by public id (the store keys sessions by token hash only).

Kept in the store's key/value table under ``access/session/{id}``; synchronous (the service
calls it from a worker thread). Entries whose session expired or was deleted (logout, user
disabled) are dropped when listed.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Final

from smartpdu.access.records import SessionView, session_id
from smartpdu.access.repository import AccountStore
from smartpdu.model.accounts import SessionRecord

__all__ = ["SESSION_KV_PREFIX", "SessionIndex"]

SESSION_KV_PREFIX: Final = "access/session/"


class SessionIndex:
    def __init__(self, store: AccountStore) -> None:
        self._store = store

    def add(self, record: SessionRecord, interface: str) -> None:
        """Store the session and its index entry."""
        self._store.create_session(record)
        entry = {
            "token_hash": record.token_hash,
            "username": record.username,
            "created_utc": record.created_utc.isoformat(),
            "expires_utc": record.expires_utc.isoformat(),
            "interface": interface,
        }
        self._store.kv_set(SESSION_KV_PREFIX + session_id(record.token_hash), json.dumps(entry))

    def views(self, now: datetime) -> list[SessionView]:
        """Live sessions, oldest first."""
        out: list[SessionView] = []
        for key, value in self._store.kv_items(SESSION_KV_PREFIX).items():
            rec = json.loads(value)
            expires = datetime.fromisoformat(rec["expires_utc"])
            if expires <= now or self._store.get_session(rec["token_hash"]) is None:
                self._store.kv_delete(key)
                continue
            out.append(
                SessionView(
                    key.removeprefix(SESSION_KV_PREFIX),
                    rec["username"],
                    datetime.fromisoformat(rec["created_utc"]),
                    expires,
                    rec.get("interface", "api"),
                )
            )
        return sorted(out, key=lambda v: (v.created_utc, v.id))

    def find(self, sid: str) -> tuple[str, str] | None:
        """(token hash, username) of the session ``sid``, or None."""
        raw = self._store.kv_get(SESSION_KV_PREFIX + sid)
        if raw is None:
            return None
        rec = json.loads(raw)
        return str(rec["token_hash"]), str(rec["username"])

    def remove(self, token_hash: str) -> bool:
        """Delete the session and its index entry; return whether the session existed."""
        existed = self._store.delete_session(token_hash)
        self._store.kv_delete(SESSION_KV_PREFIX + session_id(token_hash))
        return existed
