"""A webhook endpoint on loopback that verifies every request with the `standardwebhooks`
reference library, deduplicates on ``webhook-id`` and can go down (connection refused) and come
back on the same port — what a ChatOps/incident receiver looks like to our sender."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Delivery:
    msg_id: str
    body: Any
    headers: dict[str, str]


@dataclass
class WebhookReceiver:
    secrets: list[str]
    accepted: list[Delivery] = field(default_factory=list)
    """Every verified request (duplicates included), in arrival order."""
    rejected: list[str] = field(default_factory=list)
    status: int = 204
    port: int = 0
    _server: asyncio.Server | None = None
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook?token=abc"

    async def start(self) -> None:
        if self.port == 0:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                self.port = s.getsockname()[1]
        self._server = await asyncio.start_server(self._conn, "127.0.0.1", self.port,
                                                  reuse_address=True)  # fmt: skip

    async def stop(self) -> None:
        """Go down: close the listener and every open connection (clients get refused)."""
        if self._server is not None:
            self._server.close()
            for w in list(self._writers):
                w.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> WebhookReceiver:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def unique(self) -> list[Delivery]:
        """First delivery per ``webhook-id`` (what a deduplicating receiver keeps)."""
        seen: set[str] = set()
        out = []
        for d in self.accepted:
            if d.msg_id not in seen:
                seen.add(d.msg_id)
                out.append(d)
        return out

    async def wait_until(
        self, pred: Callable[[WebhookReceiver], bool], timeout: float = 30
    ) -> None:
        async def wait() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: pred(self))

        await asyncio.wait_for(wait(), timeout)

    def _verify(self, raw: bytes, headers: dict[str, str]) -> Any:
        last: Exception | None = None
        for secret in self.secrets:
            try:
                return Webhook(secret).verify(raw, headers)
            except WebhookVerificationError as exc:
                last = exc
        raise WebhookVerificationError(str(last))

    async def _conn(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")[1:]
                headers = {k.strip().lower(): v.strip()
                           for k, _, v in (ln.partition(":") for ln in lines if ln)}  # fmt: skip
                raw = await reader.readexactly(int(headers.get("content-length", "0")))
                try:
                    body = self._verify(raw, headers)
                except WebhookVerificationError as exc:
                    self.rejected.append(str(exc))
                    code = 401
                else:
                    code = self.status
                    if 200 <= code < 300:
                        self.accepted.append(Delivery(headers["webhook-id"], body, headers))
                writer.write(f"HTTP/1.1 {code} X\r\ncontent-length: 0\r\n\r\n".encode())
                await writer.drain()
                async with self._changed:
                    self._changed.notify_all()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()


def seqs(deliveries: list[Delivery], pdu: str) -> list[int]:
    """Sequence ids of ``pdu`` in standard-template deliveries, in order."""
    return [d.body["data"]["sequence_id"] for d in deliveries
            if d.body.get("data", {}).get("pdu_id") == pdu]  # fmt: skip


__all__ = ["Delivery", "WebhookReceiver", "json", "seqs"]
