"""pysnmp's MIB-instrumentation seam, served from a :class:`~.index.MibIndex`.

pysnmp's command responders call ``read_variables`` / ``read_next_variables`` synchronously,
once per request (GETBULK: once per repetition). The responders below pin one index for the
whole request (and a walk in progress for its whole walk, :mod:`.walks`) before calling them,
so a response never mixes two ticks. Access control stays pysnmp's VACM: every request is
checked once through the ``acFun`` the responder passes (security level, user, view).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pysnmp.entity.rfc3413 import cmdrsp
from pysnmp.proto import rfc1902, rfc1905
from pysnmp.proto.api import v2c
from pysnmp.smi import error as smi_error

from smartpdu.integrations.snmp.index import MibIndex, Value
from smartpdu.integrations.snmp.walks import WalkPins

__all__ = ["IndexInstrum", "install_read_responders", "to_pysnmp"]

_REQUEST_CTX = "rfc3412.receiveMessage:request"


def to_pysnmp(value: Value) -> Any:
    kind, x = value
    if kind == "i":
        return rfc1902.Integer32(x)
    if kind == "s":
        return rfc1902.OctetString(str(x).encode("utf-8"))
    if kind == "c64":
        return rfc1902.Counter64(x)
    if kind == "c32":
        return rfc1902.Counter32(x)
    if kind == "u":
        return rfc1902.Unsigned32(x)
    if kind == "t":
        return rfc1902.TimeTicks(x)
    if kind == "o":
        return rfc1902.ObjectIdentifier(x)
    raise ValueError(f"unknown value kind {kind!r}")


class IndexInstrum:
    """Reads from the index pinned for the current request."""

    def __init__(
        self, latest: Callable[[], MibIndex], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._latest = latest
        self._clock = clock
        self._pins: WalkPins[MibIndex] = WalkPins()
        self._index: MibIndex | None = None
        self._client: tuple[object, str] | None = None
        self._checked = False
        self._visible = True
        self._last: tuple[int, ...] | None = None
        self._vb_caches: list[tuple[MibIndex, list[Any]]] = []
        self.requests = 0

    # -- request scope (driven by the responders) ------------------------------------------------
    def begin(self, engine: Any, pdu: Any, walk: bool) -> None:
        ctx = engine.observer.get_execution_context(_REQUEST_CTX)
        self._client = (ctx["transportAddress"], str(ctx["securityName"]))
        pinned = None
        if walk:  # a walk in progress reads its own index (the latest is not even built)
            binds = v2c.apiPDU.get_varbinds(pdu)
            first = tuple(binds[0][0]) if binds else ()
            pinned = self._pins.pinned(self._client, first, self._clock())
        self._index = pinned if pinned is not None else self._latest()
        self._checked, self._visible, self._last = False, True, None
        self.requests += 1

    def end(self) -> None:
        if self._index is not None and self._client is not None and self._last is not None:
            self._pins.served(self._client, self._index, self._last, self._clock())
        self._index, self._client = None, None

    def _check(self, name: Any, context: dict[str, Any]) -> bool:
        """One VACM check per request (one view covers everything served): False = not in view."""
        if not self._checked:
            ac = context.get("acFun")
            self._visible = not (ac and ac("read", (name, None), **context))
            self._checked = True
        return self._visible

    def _pinned(self) -> MibIndex:
        return self._index if self._index is not None else self._latest()

    # -- pysnmp MibInstrumController interface ---------------------------------------------------
    def read_variables(self, *var_binds: Any, **context: Any) -> list[tuple[Any, Any]]:
        index = self._pinned()
        out: list[tuple[Any, Any]] = []
        for name, _ in var_binds:
            oid = tuple(name)
            value = index.get(oid) if self._check(name, context) else None
            if value is not None:
                out.append((name, to_pysnmp(value)))
            elif index.is_object(oid):
                out.append((name, rfc1905.noSuchInstance))
            else:
                out.append((name, rfc1905.noSuchObject))
        return out

    def read_next_variables(self, *var_binds: Any, **context: Any) -> list[tuple[Any, Any]]:
        index = self._pinned()
        out: list[tuple[Any, Any]] = []
        for name, _ in var_binds:
            pos = index.next_after(tuple(name))
            if pos >= len(index.oids) or not self._check(name, context):
                out.append((name, rfc1905.endOfMibView))
                continue
            oid = index.oids[pos]
            self._last = oid
            out.append((rfc1902.ObjectName(oid), to_pysnmp(index.values[pos])))
        return out

    def write_variables(self, *var_binds: Any, **context: Any) -> list[tuple[Any, Any]]:
        raise smi_error.NotWritableError(idx=0)  # SETs go through SetResponder (async commands)

    # -- the GETBULK fast path -------------------------------------------------------------------
    def next_varbinds(self, oids: list[tuple[int, ...]], context: dict[str, Any]) -> list[Any]:
        """The successors of ``oids`` as ready-made ``VarBind`` objects (None: endOfMibView).

        Building a pyasn1 varbind costs about 0.1 ms, most of a GETBULK response; an index's
        varbinds never change, so each is built once and reused by every walk of that index.
        """
        index = self._pinned()
        cache = self._varbind_cache(index)
        out: list[Any] = []
        for oid in oids:
            pos = index.next_after(oid)
            if pos >= len(index.oids) or not self._check(rfc1902.ObjectName(oid), context):
                out.append(None)
                continue
            vb = cache[pos]
            if vb is None:
                vb = cache[pos] = _varbind(index.oids[pos], to_pysnmp(index.values[pos]))
            self._last = index.oids[pos]
            out.append(vb)
        return out

    def _varbind_cache(self, index: MibIndex) -> list[Any]:
        for cached_index, cache in self._vb_caches:
            if cached_index is index:
                return cache
        cache = [None] * len(index.oids)
        self._vb_caches = [(index, cache), *self._vb_caches[:3]]  # the latest few indexes
        return cache


def _varbind(oid: tuple[int, ...], value: Any) -> Any:
    vb = rfc1905.VarBind()
    v2c.apiVarBind.set_oid_value(vb, (rfc1902.ObjectName(oid), value))
    return vb


class _Pinning:
    instrum: IndexInstrum
    walk = False

    def handle_management_operation(
        self, engine: Any, state_ref: Any, context_name: Any, pdu: Any
    ) -> None:
        self.instrum.begin(engine, pdu, self.walk)
        try:
            super().handle_management_operation(engine, state_ref, context_name, pdu)  # type: ignore[misc]
        finally:
            self.instrum.end()


class _Get(_Pinning, cmdrsp.GetCommandResponder):
    pass


class _Next(_Pinning, cmdrsp.NextCommandResponder):
    walk = True


class _Bulk(_Pinning, cmdrsp.BulkCommandResponder):
    """GETBULK (RFC 3416 4.2.3) that stops once every repeater reached endOfMibView, as
    net-snmp's agent does (pysnmp repeats endOfMibView up to max-repetitions, which clients
    print as extra lines)."""

    walk = True
    max_varbinds = 256
    """A response still has to fit the client's message size (pysnmp answers tooBig)."""

    def handle_management_operation(
        self, engine: Any, state_ref: Any, context_name: Any, pdu: Any
    ) -> None:
        self.instrum.begin(engine, pdu, True)
        try:
            self._bulk(engine, state_ref, context_name, pdu)
        finally:
            self.instrum.end()

    def _bulk(self, engine: Any, state_ref: Any, context_name: Any, pdu: Any) -> None:
        non_repeaters = max(int(v2c.apiBulkPDU.get_non_repeaters(pdu)), 0)
        repetitions = max(int(v2c.apiBulkPDU.get_max_repetitions(pdu)), 0)
        req = [tuple(name) for name, _ in v2c.apiPDU.get_varbinds(pdu)]
        n = min(non_repeaters, len(req))
        r = max(len(req) - n, 0)
        m = min(repetitions, self.max_varbinds // r) if r else 0
        context = {"snmpEngine": engine, "acFun": self.verify_access, "cbCtx": self.cbCtx}
        nxt = self.instrum.next_varbinds
        out = _with_ends(req[:n], nxt(req[:n], context)) if n else []
        names = req[n:] if r else []
        while m and r:
            step = _with_ends(names, nxt(names, context))
            out.extend(step)
            if all(vb[1].getComponent(True).tagSet == _END_TAGS for vb in step):
                break
            names = [tuple(vb[0]) for vb in step]
            m -= 1
        response = self._CommandResponderBase__pendingReqs[state_ref][7]  # type: ignore[attr-defined]
        v2c.apiPDU.set_error_status(response, 0)
        v2c.apiPDU.set_error_index(response, 0)
        binds = response.setComponentByPosition(3).getComponentByPosition(3)
        binds.clear()
        for i, vb in enumerate(out):
            binds.setComponentByPosition(
                i, vb, verifyConstraints=False, matchTags=False, matchConstraints=False
            )
        self.send_pdu(engine, state_ref, response)
        self.release_state_information(state_ref)


_END_TAGS = rfc1905.endOfMibView.tagSet


def _with_ends(names: list[tuple[int, ...]], vbs: list[Any]) -> list[Any]:
    """Fill endOfMibView varbinds (named like the request) where there is no successor."""
    return [vb if vb is not None else _varbind(name, rfc1905.endOfMibView)
            for name, vb in zip(names, vbs, strict=True)]  # fmt: skip


def install_read_responders(engine: Any, context: Any, instrum: IndexInstrum) -> list[Any]:
    """Register GET, GETNEXT and GETBULK responders reading ``instrum``."""
    out = []
    for cls in (_Get, _Next, _Bulk):
        responder = cls(engine, context)
        responder.instrum = instrum
        out.append(responder)
    return out
