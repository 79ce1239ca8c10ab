"""``audit_verify``: prove one PDU's stored event log untouched.

Backs the CLI ``smartpdu audit verify``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from smartpdu.events.chain import Checkpoint, VerifyResult, verify_chain
from smartpdu.events.model import Event

_PAGE = 5000


class AuditSource(Protocol):
    """The read side of :class:`smartpdu.storage.Store` that verification needs."""

    def events_since(self, pdu_id: str, since_seq: int = 0, limit: int = 1000) -> list[Event]: ...
    def checkpoints(self, pdu_id: str) -> list[Checkpoint]: ...


def _all_events(store: AuditSource, pdu_id: str) -> Iterator[Event]:
    since = 0
    while True:
        batch = store.events_since(pdu_id, since, _PAGE)
        yield from batch
        if len(batch) < _PAGE:
            return
        since = batch[-1].sequence_id


def audit_verify(store: AuditSource, pdu_id: str, public_key: Ed25519PublicKey) -> VerifyResult:
    """Verify every stored event and checkpoint of ``pdu_id`` against the device public key.

    ``first_bad_sequence_id`` names the first event that was altered, removed or reordered.
    An empty log with no checkpoints verifies as ok.
    """
    return verify_chain(_all_events(store, pdu_id), store.checkpoints(pdu_id), public_key)
