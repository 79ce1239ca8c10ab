"""Send events to one syslog collector over UDP, TCP (RFC 6587) or TLS (RFC 5425).

An outbox sender: UDP has no acknowledgement (a datagram that left is "delivered"); over TCP and
TLS a write that fails closes the connection and reports a failure, so the outbox retries the
batch after its backoff (the collector may see a line twice: at-least-once, the structured
data's ``seq`` and ``hash`` let it deduplicate).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import Sequence
from typing import Final

from smartpdu.config.delivery import SyslogTarget
from smartpdu.events.model import Event
from smartpdu.events.outbox import DeliveryResult
from smartpdu.integrations.syslog.format import cef_line, frame_octet_counted, rfc5424_line

__all__ = ["SyslogSender"]

_MAX_UDP: Final = 8192


class SyslogSender:
    """One collector; the connection (TCP/TLS) is opened on first use and kept."""

    def __init__(self, target: SyslogTarget, *, hostname: str | None = None,
                 connect_timeout_s: float = 5.0) -> None:  # fmt: skip
        self.target = target
        self._hostname = hostname or socket.gethostname()
        self._timeout = connect_timeout_s
        self._writer: asyncio.StreamWriter | None = None
        self._reader: asyncio.StreamReader | None = None
        self._udp: asyncio.DatagramTransport | None = None

    def line(self, event: Event) -> str:
        fmt = cef_line if self.target.format == "cef" else rfc5424_line
        return fmt(event, facility=self.target.facility, hostname=self._hostname)

    async def _stream(self) -> asyncio.StreamWriter:
        if self._reader is not None and self._reader.at_eof() and self._writer is not None:
            # the collector closed its end (restart): writing now would vanish into a socket
            # the peer no longer reads; reconnect, and fail this attempt if that fails
            await self.aclose()
        if self._writer is None or self._writer.is_closing():
            ctx: ssl.SSLContext | None = None
            if self.target.transport == "tls":
                ctx = ssl.create_default_context(cafile=self.target.ca_file)
            async with asyncio.timeout(self._timeout):
                self._reader, self._writer = await asyncio.open_connection(
                    self.target.host, self.target.port, ssl=ctx
                )
        return self._writer

    async def _datagrams(self) -> asyncio.DatagramTransport:
        if self._udp is None or self._udp.is_closing():
            loop = asyncio.get_running_loop()
            self._udp, _ = await loop.create_datagram_endpoint(
                asyncio.DatagramProtocol, remote_addr=(self.target.host, self.target.port)
            )
        return self._udp

    async def send(self, batch: Sequence[Event], delivery_id: str) -> DeliveryResult:
        lines = [self.line(e) for e in batch]
        try:
            if self.target.transport == "udp":
                udp = await self._datagrams()
                for ln in lines:
                    udp.sendto(ln.encode("utf-8")[:_MAX_UDP])
            else:
                writer = await self._stream()
                writer.write(b"".join(frame_octet_counted(ln) for ln in lines))
                async with asyncio.timeout(self._timeout):
                    await writer.drain()
        except (OSError, TimeoutError, ssl.SSLError) as exc:
            await self.aclose()
            return DeliveryResult(False, f"{type(exc).__name__}: {exc}"[:200])
        return DeliveryResult(True, f"{len(lines)} line(s) over {self.target.transport}")

    async def aclose(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError, ssl.SSLError):
                await self._writer.wait_closed()
            self._writer = self._reader = None
        if self._udp is not None:
            self._udp.close()
            self._udp = None
