"""A tiny HTTP receiver on loopback for push-delivery tests: records, refuses, or hangs.

Real sockets and real HTTP/1.1 framing (keep-alive, Content-Length), no framework: what a
DCIM's webhook endpoint looks like to our senders.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Received:
    headers: dict[str, str]
    body: Any


class HttpReceiver:
    """``async with HttpReceiver(fail_first=2) as rx: ... rx.url ... rx.received``.

    ``fail_first`` answers the first N requests with 503; ``hang=True`` reads each request and
    never answers until :meth:`release` (a subscriber that stopped responding).
    """

    def __init__(self, *, fail_first: int = 0, hang: bool = False) -> None:
        self.fail_first = fail_first
        self.attempts = 0
        self.received: list[Received] = []
        self._hang = hang
        self._released = asyncio.Event()
        self._changed = asyncio.Condition()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def __aenter__(self) -> HttpReceiver:
        self._server = await asyncio.start_server(self._conn, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._released.set()
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/events"

    def release(self) -> None:
        """Let a hanging receiver answer (204) what it holds and everything after."""
        self._released.set()

    async def wait_until(self, pred: Callable[[HttpReceiver], bool], timeout: float = 20) -> None:
        """Wait until ``pred(self)`` holds (a generous timeout only guards against a hang)."""

        async def wait() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: pred(self))

        await asyncio.wait_for(wait(), timeout)

    async def _bump(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _conn(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")[1:]
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (line.partition(":") for line in lines if line)
                }
                match = re.search(r"\d+", headers.get("content-length", "0"))
                body = await reader.readexactly(int(match.group(0)) if match else 0)
                self.attempts += 1
                await self._bump()
                if self._hang:
                    await self._released.wait()
                if self.attempts <= self.fail_first:
                    writer.write(
                        b"HTTP/1.1 503 Busy\r\nRetry-After: 0\r\ncontent-length: 0\r\n\r\n"
                    )
                else:
                    self.received.append(Received(headers, json.loads(body)))
                    writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                await writer.drain()
                await self._bump()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()
