"""Syslog collectors on loopback (UDP, TCP and TLS with octet counting) and a strict RFC 5424
parser, to check what our sender puts on the wire."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import re
import ssl
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

RFC5424 = re.compile(
    r"<(?P<pri>\d{1,3})>1 "
    r"(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)) "
    r"(?P<host>[!-~]{1,255}) (?P<app>[!-~]{1,48}) (?P<procid>[!-~]{1,128}) "
    r"(?P<msgid>[!-~]{1,32}) "
    r'(?P<sd>-|(?:\[[!-~]+?(?: [^ =\]"]+="(?:[^"\\]|\\.)*")*\])+)'
    r"(?: (?P<msg>.*))?",
    re.S,
)
SD_PARAM = re.compile(r'([^ =\]"]+)="((?:[^"\\]|\\.)*)"')
CEF = re.compile(r"CEF:0\|((?:[^|\\]|\\.)*)\|((?:[^|\\]|\\.)*)\|((?:[^|\\]|\\.)*)\|"
                 r"((?:[^|\\]|\\.)*)\|((?:[^|\\]|\\.)*)\|(\d+)\|(.*)", re.S)  # fmt: skip


def parse_rfc5424(line: str) -> dict[str, object]:
    m = RFC5424.fullmatch(line)
    assert m is not None, f"not RFC 5424: {line!r}"
    out: dict[str, object] = m.groupdict()
    sd = str(m["sd"])
    out["params"] = {k: re.sub(r"\\(.)", r"\1", v) for k, v in SD_PARAM.findall(sd)}
    out["sd_id"] = sd[1:].split(" ", 1)[0] if sd != "-" else None
    return out


def parse_cef_ext(ext: str) -> dict[str, str]:
    """Split ``k=v k2=v2`` where values may hold escaped ``=`` and spaces."""
    keys = list(re.finditer(r"(?:^| )([A-Za-z0-9]+)=", ext))
    out = {}
    for i, k in enumerate(keys):
        end = keys[i + 1].start() if i + 1 < len(keys) else len(ext)
        out[k[1]] = re.sub(r"\\(.)", r"\1", ext[k.end() : end])
    return out


@dataclass
class Collector:
    transport: str
    lines: list[str] = field(default_factory=list)
    port: int = 0
    ctx: ssl.SSLContext | None = None
    _server: asyncio.Server | None = None
    _udp: asyncio.DatagramTransport | None = None
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        if self.transport == "udp":
            collector = self

            class Proto(asyncio.DatagramProtocol):
                def datagram_received(self, data: bytes, addr: object) -> None:
                    collector.lines.append(data.decode("utf-8"))
                    collector._tasks.add(loop.create_task(collector._notify()))

            self._udp, _ = await loop.create_datagram_endpoint(
                Proto, local_addr=("127.0.0.1", self.port)
            )
            self.port = self._udp.get_extra_info("sockname")[1]
            return
        self._server = await asyncio.start_server(self._conn, "127.0.0.1", self.port,
                                                  ssl=self.ctx, reuse_address=True)  # fmt: skip
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._udp is not None:
            self._udp.close()
        if self._server is not None:
            self._server.close()
            for w in list(self._writers):
                w.close()
            await self._server.wait_closed()
            self._server = None

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, n: int, timeout: float = 20) -> None:
        async def wait() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.lines) >= n)

        await asyncio.wait_for(wait(), timeout)

    async def _conn(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:  # RFC 6587 octet counting: "<len> <msg>"
                length = int((await reader.readuntil(b" "))[:-1])
                self.lines.append((await reader.readexactly(length)).decode("utf-8"))
                await self._notify()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()


def self_signed(tmp: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context for 127.0.0.1 and the CA file (the certificate itself) clients trust."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "syslog.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_file, key_file = tmp / "cert.pem", tmp / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert_file, key_file)
    return ctx, cert_file
