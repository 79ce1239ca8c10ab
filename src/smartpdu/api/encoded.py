"""Pre-encoded GET bodies, one encoding per snapshot shared by every reader (REST and Redfish).

A snapshot is immutable and replaced once per tick (≈200 ms) while readers may ask hundreds of
times per tick. So a view is encoded on the first read after a tick (lazily: a tick nobody reads
costs nothing), its bytes, ETag and ASGI headers are kept until the snapshot changes, and every
later read of that tick is a dict hit that sends the same bytes. ``If-None-Match`` with the
current ETag answers ``304 Not Modified``.

Usage::

    views = ViewCache()
    snap = port.snapshot
    view = views.get(snap, key)
    if view is None:
        view = views.put(snap, key, EncodedView(build_bytes(snap), JSON, headers))
    return view.response(request.headers.get("if-none-match"))
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Final, Generic, TypeVar

from starlette.responses import Response

__all__ = ["EncodedView", "ViewCache", "etag_of"]

_K = TypeVar("_K")
_MAX_VIEWS: Final = 4096
"""Views kept per snapshot: far above a rack's resources; a flood of keys cannot grow memory."""


def etag_of(data: bytes) -> str:
    """A weak validator of ``data`` (same bytes, same tag; cheap: 8-byte BLAKE2b)."""
    return f'W/"{hashlib.blake2b(data, digest_size=8).hexdigest()}"'


class EncodedView:
    """One encoded body with its ETag and the response headers encoded once for the ASGI send."""

    __slots__ = ("body", "etag", "headers", "raw_headers")

    def __init__(
        self,
        body: bytes,
        media_type: str,
        headers: Mapping[str, str] = {},
        *,
        etag: str | None = None,
    ) -> None:
        """``etag``: when the tag is not the body's own (Redfish puts it *inside* the body as
        ``@odata.etag``, computed over the body without it)."""
        self.body = body
        self.etag = etag if etag is not None else etag_of(body)
        self.headers = {**headers, "ETag": self.etag}
        """Headers besides the content ones (what a ``304`` repeats)."""
        self.raw_headers = [
            (b"content-type", media_type.encode("latin-1")),
            (b"content-length", str(len(body)).encode("latin-1")),
            *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in self.headers.items()),
        ]

    def matches(self, if_none_match: str | None) -> bool:
        """Whether an ``If-None-Match`` value names this view's ETag (or ``*``)."""
        if not if_none_match:
            return False
        tags = {t.strip() for t in if_none_match.split(",")}
        return "*" in tags or self.etag in tags or self.etag.removeprefix("W/") in tags

    def response(self, if_none_match: str | None = None) -> Response:
        """``200`` with the cached bytes, or ``304`` when the client already holds them."""
        if self.matches(if_none_match):
            return Response(status_code=304, headers=self.headers)
        return _BytesResponse(self)


class _BytesResponse(Response):
    """Send cached bytes and pre-encoded headers without rebuilding them per request."""

    def __init__(self, view: EncodedView) -> None:  # no super().__init__: nothing to render
        self.status_code = 200
        self.body = view.body
        self.background = None
        self.raw_headers = list(view.raw_headers)


class ViewCache(Generic[_K]):
    """Encoded views of the current snapshot by key; emptied when the snapshot changes.

    Keyed by snapshot identity (one object per tick): nothing a reader sees can be older than
    the snapshot a fresh build would read. Single-threaded (the event loop), so no locks.
    """

    def __init__(self) -> None:
        self._snap: object | None = None
        self._views: dict[_K, EncodedView] = {}

    def get(self, snapshot: object, key: _K) -> EncodedView | None:
        """The view ``key`` of ``snapshot`` if already encoded, else None."""
        if snapshot is not self._snap:
            self._views.clear()
            self._snap = snapshot
            return None
        return self._views.get(key)

    def put(self, snapshot: object, key: _K, view: EncodedView) -> EncodedView:
        """Keep ``view`` for the rest of ``snapshot``'s life (ignored once a newer one is seen)."""
        if snapshot is self._snap and len(self._views) < _MAX_VIEWS:
            self._views[key] = view
        return view

    def clear(self) -> None:
        """Forget every view (a write changed what a view shows before the next tick)."""
        self._views.clear()

    def __len__(self) -> int:
        return len(self._views)
