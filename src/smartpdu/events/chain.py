"""SHA-256 hash chain over events and Ed25519-signed checkpoints; verification.

``hash = sha256(prev_hash_ascii || canonical_json(event without "hash")).hexdigest()``, with
``prev_hash`` of a PDU's first event equal to :data:`GENESIS_HASH`. A checkpoint signs
``canonical_json({"pdu_id", "sequence_id", "hash"})``, so truncating the tail of the log or
rewriting the whole chain up to a checkpoint is still detected.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from smartpdu.events.model import Event, NewEvent, canonical_json
from smartpdu.events.signing import DeviceKey, key_fingerprint, verify_signature

GENESIS_HASH: Final = "0" * 64


def chain_hash(prev_hash: str, canonical_body: bytes) -> str:
    """Return the chain hash of one event body given its predecessor's hash."""
    return hashlib.sha256(prev_hash.encode("ascii") + canonical_body).hexdigest()


def seal(draft: NewEvent, sequence_id: int, timestamp_utc: str, prev_hash: str) -> Event:
    """Turn a draft into a chained :class:`Event` (the log calls this under its lock)."""
    assert draft.severity is not None  # filled from the catalogue in NewEvent.__post_init__
    unsigned = Event(
        sequence_id=sequence_id,
        timestamp_utc=timestamp_utc,
        pdu_id=draft.pdu_id,
        source=draft.source,
        event_code=draft.event_code,
        severity=draft.severity,
        action_taken=str(draft.action_taken),
        reason_code=draft.reason_code,
        evidence=draft.evidence,
        actor=draft.actor,
        command_id=draft.command_id,
        message=draft.message,
        prev_hash=prev_hash,
        hash="",
    )
    return dataclasses.replace(unsigned, hash=chain_hash(prev_hash, unsigned.canonical_body()))


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed statement "event ``sequence_id`` of ``pdu_id`` has chain hash ``hash``"."""

    pdu_id: str
    sequence_id: int
    hash: str
    signature: str
    key_fingerprint: str
    timestamp_utc: str

    @staticmethod
    def signed_message(pdu_id: str, sequence_id: int, event_hash: str) -> bytes:
        """Return the exact bytes a checkpoint signature covers."""
        return canonical_json({"hash": event_hash, "pdu_id": pdu_id, "sequence_id": sequence_id})

    @classmethod
    def create(cls, key: DeviceKey, event: Event, timestamp_utc: str) -> Checkpoint:
        """Sign a checkpoint at ``event``."""
        msg = cls.signed_message(event.pdu_id, event.sequence_id, event.hash)
        return cls(
            pdu_id=event.pdu_id,
            sequence_id=event.sequence_id,
            hash=event.hash,
            signature=key.sign(msg),
            key_fingerprint=key.fingerprint,
            timestamp_utc=timestamp_utc,
        )

    def to_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Outcome of a verification; ``first_bad_sequence_id`` names where trust ends."""

    ok: bool
    first_bad_sequence_id: int | None
    reason: str
    events_checked: int = 0
    checkpoints_checked: int = 0

    def __bool__(self) -> bool:
        return self.ok


def verify_chain(
    events: Iterable[Event],
    checkpoints: Sequence[Checkpoint],
    public_key: Ed25519PublicKey,
    *,
    start_sequence_id: int = 1,
    start_prev_hash: str = GENESIS_HASH,
) -> VerifyResult:
    """Check one PDU's events (in stored order) and checkpoints; stop at the first problem.

    Detects: a changed field (hash mismatch), a removed event (sequence gap), reordering or
    duplication, a broken ``prev_hash`` link, a bad or foreign checkpoint signature, a checkpoint
    that disagrees with its event, and events removed after the last checkpoint they cover.
    Events newer than the last checkpoint are protected by the chain only.
    """
    fingerprint = key_fingerprint(public_key)
    by_seq: dict[int, Checkpoint] = {}
    for cp in sorted(checkpoints, key=lambda c: c.sequence_id):
        if cp.key_fingerprint != fingerprint:
            return VerifyResult(
                False,
                cp.sequence_id,
                f"checkpoint at sequence_id {cp.sequence_id} was signed by key "
                f"{cp.key_fingerprint}, not by {fingerprint}",
            )
        msg = Checkpoint.signed_message(cp.pdu_id, cp.sequence_id, cp.hash)
        if not verify_signature(public_key, cp.signature, msg):
            return VerifyResult(
                False, cp.sequence_id, f"checkpoint at sequence_id {cp.sequence_id}: bad signature"
            )
        by_seq[cp.sequence_id] = cp

    ev_list = list(events)
    seen = {ev.sequence_id for ev in ev_list}
    expected = start_sequence_id
    prev_hash = start_prev_hash
    pdu_id: str | None = None
    cps_checked = 0
    last_good_cp = start_sequence_id - 1
    for ev in ev_list:
        if ev.sequence_id != expected:
            if ev.sequence_id < expected:
                why = (
                    f"sequence_id {ev.sequence_id} appears again or out of order "
                    f"after {expected - 1}"
                )
                return VerifyResult(False, ev.sequence_id, why, expected - start_sequence_id)
            if expected in seen:
                why = f"events reordered: sequence_id {ev.sequence_id} stored before {expected}"
            else:
                why = f"gap: sequence_id {expected} is missing (next stored is {ev.sequence_id})"
            return VerifyResult(False, expected, why, expected - start_sequence_id)
        n_ok = expected - start_sequence_id
        if pdu_id is None:
            pdu_id = ev.pdu_id
        elif ev.pdu_id != pdu_id:
            why = f"sequence_id {expected} belongs to PDU {ev.pdu_id!r}, chain is {pdu_id!r}"
            return VerifyResult(False, expected, why, n_ok)
        if ev.prev_hash != prev_hash:
            if (
                expected > start_sequence_id
                and chain_hash(ev.prev_hash, ev.canonical_body()) == ev.hash
            ):
                # This event is self-consistent: its predecessor was altered and re-hashed.
                why = (
                    f"sequence_id {expected - 1}: altered and re-hashed (sequence_id {expected} "
                    "still links to its original hash)"
                )
                return VerifyResult(False, expected - 1, why, n_ok - 1, cps_checked)
            why = f"sequence_id {expected}: prev_hash does not match the previous event's hash"
            return VerifyResult(False, expected, why, n_ok, cps_checked)
        if chain_hash(prev_hash, ev.canonical_body()) != ev.hash:
            why = f"sequence_id {expected}: content does not match its hash (event altered)"
            return VerifyResult(False, expected, why, n_ok)
        at = by_seq.get(expected)
        if at is not None:
            if at.hash != ev.hash or at.pdu_id != ev.pdu_id:
                # The chain was rewritten consistently somewhere after the last good checkpoint.
                why = (
                    f"events {last_good_cp + 1}..{expected} were rewritten: the chain hash at "
                    f"sequence_id {expected} differs from its signed checkpoint"
                )
                return VerifyResult(False, last_good_cp + 1, why, last_good_cp, cps_checked)
            cps_checked += 1
            last_good_cp = expected
        prev_hash = ev.hash
        expected += 1

    n_events = expected - start_sequence_id
    beyond = [s for s in by_seq if s >= expected]
    if beyond:
        why = (
            f"events from sequence_id {expected} on are missing, but a signed checkpoint "
            f"covers sequence_id {max(beyond)}"
        )
        return VerifyResult(False, expected, why, n_events, cps_checked)
    orphan = [s for s in by_seq if s < start_sequence_id]
    cps_total = cps_checked + len(orphan)
    return VerifyResult(
        True, None, f"{n_events} events and {cps_total} checkpoints verified", n_events, cps_total
    )
