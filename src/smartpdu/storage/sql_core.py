"""The connection core every SQL repository runs on: one lock, transactions, placeholders.

:class:`SqlCore` is what a backend (SQLite, PostgreSQL) implements and what each repository
module (``control_repos``, ``subscription_repo``, ``outbox_repo``, ``readings_sql``,
``state_repos``) is handed. It lives apart from :class:`~smartpdu.storage.sql_store.SqlStore`
so that the store can import its repositories and the repositories need only this module: no
import circle between the store and the tables it is made of.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from smartpdu.storage.records import StoreError

__all__ = ["Cursor", "Row", "SqlCore"]

Row = tuple[Any, ...]


class Cursor(Protocol):
    """The DB-API cursor subset both sqlite3 and psycopg provide."""

    def execute(self, sql: Any, params: Any = ..., /) -> Any: ...
    def executemany(self, sql: Any, params: Any, /) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def fetchone(self) -> Any: ...

    @property
    def rowcount(self) -> int: ...


class SqlCore(ABC):
    """Connection handling shared by every backend; repositories call ``_query``/``_write``
    or, for several statements in one transaction, ``with core._lock, core._tx() as cur``."""

    _integrity_errors: tuple[type[Exception], ...] = ()

    def __init__(self, url: str) -> None:
        self._url = url
        self._lock = threading.RLock()
        self._closed = False
        self._sql_cache: dict[str, str] = {}

    # -- backend hooks --------------------------------------------------------------------------
    @abstractmethod
    def _tx(self) -> AbstractContextManager[Cursor]:
        """Open a write transaction yielding a cursor; commit on success, roll back on error."""

    @abstractmethod
    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run one read-only statement and return all rows."""

    @abstractmethod
    def _close_connection(self) -> None: ...

    def _translate(self, sql: str) -> str:
        """Turn a portable ``?`` statement into the backend's placeholder style."""
        return sql

    # -- helpers --------------------------------------------------------------------------------
    def _sql(self, sql: str) -> str:
        out = self._sql_cache.get(sql)
        if out is None:
            out = self._sql_cache[sql] = self._translate(sql)
        return out

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"store {self._url} is closed")

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._lock:
            self._check_open()
            return self._read(self._sql(sql), params)

    def _write(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self._lock:
            self._check_open()
            with self._tx() as cur:
                cur.execute(self._sql(sql), params)
                return int(cur.rowcount)

    @property
    def url(self) -> str:
        return self._url

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._close_connection()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def schema_version(self) -> int:
        rows = self._query("SELECT MAX(version) FROM schema_version")
        return int(rows[0][0] or 0)
