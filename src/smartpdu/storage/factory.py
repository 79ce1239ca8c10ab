"""Open a store from a URL: ``sqlite:///path``, ``sqlite:///:memory:``, ``postgresql://…``.

SQLite paths follow the SQLAlchemy convention: ``sqlite:///data/pdu.db`` is relative to the
working directory, ``sqlite:////var/lib/smartpdu/pdu.db`` is absolute. A PostgreSQL URL may carry
``?schema=name`` to keep all tables in that schema (created if missing).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from smartpdu.storage.sql_store import SqlStore


def open_store(url: str) -> SqlStore:
    """Open (and migrate) the store at ``url``; raise ValueError for an unsupported URL."""
    if url.startswith("sqlite://"):
        from smartpdu.storage.sqlite_store import SqliteStore

        if not url.startswith("sqlite:///") or url == "sqlite:///":
            raise ValueError(
                f"bad SQLite URL {url!r}: use sqlite:///relative.db, sqlite:////abs/path.db "
                "or sqlite:///:memory:"
            )
        return SqliteStore(url[len("sqlite:///") :])
    if url.startswith(("postgresql://", "postgres://")):
        from smartpdu.storage.postgres_store import PostgresStore

        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        schema = next((v for k, v in query if k == "schema"), None)
        rest = urlencode([(k, v) for k, v in query if k != "schema"])
        return PostgresStore(urlunsplit(parts._replace(query=rest)), schema=schema)
    raise ValueError(
        f"unsupported store URL {url!r}: use sqlite:///path.db, sqlite:///:memory: "
        "or postgresql://user@host/db"
    )
