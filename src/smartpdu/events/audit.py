"""``audit_verify``: prove one PDU's stored event log untouched, tail included.

Backs the CLI ``smartpdu audit verify``. The chain and the checkpoints inside the database
prove everything up to the last checkpoint *stored there*; someone who can write the database
could still cut the tail (delete the newest events and their checkpoints) or rewrite the
events after the last checkpoint with recomputed hashes. So the log also keeps the newest
signed head of every PDU in a small file outside the database (:data:`AUDIT_HEAD_FILENAME`,
written atomically: temp file, fsync, rename, fsync of the directory); verification checks
that the stored chain still holds exactly that event::

    {"format": 1, "heads": {"pdu-a": {"pdu_id": ..., "sequence_id": 812, "hash": ...,
                                      "signature": ..., "key_fingerprint": ...,
                                      "timestamp_utc": ...}}}
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Final, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from smartpdu.events.chain import Checkpoint, VerifyResult, verify_chain
from smartpdu.events.model import Event
from smartpdu.events.signing import key_fingerprint, verify_signature

__all__ = [
    "AUDIT_HEAD_FILENAME",
    "AuditSource",
    "audit_verify",
    "read_head_file",
    "write_head_file",
]

AUDIT_HEAD_FILENAME: Final = "audit_head.json"
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


def read_head_file(path: Path) -> dict[str, Checkpoint]:
    """The signed heads stored in ``path`` by PDU; ``{}`` if the file does not exist.

    Raises ValueError naming the file when it exists but is not a head file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ValueError(f"audit head file {path} is unreadable: {exc}") from exc
    try:
        return {
            pid: Checkpoint(
                str(h["pdu_id"]),
                int(h["sequence_id"]),
                str(h["hash"]),
                str(h["signature"]),
                str(h["key_fingerprint"]),
                str(h["timestamp_utc"]),
            )
            for pid, h in data["heads"].items()
        }
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"audit head file {path} is malformed: {exc!r}") from exc


def write_head_file(path: Path, checkpoints: Iterable[Checkpoint]) -> None:
    """Merge ``checkpoints`` (newest per PDU wins) into ``path`` atomically and durably."""
    try:
        heads = read_head_file(path)
    except ValueError:
        heads = {}  # a damaged file is replaced by the current truth
    for cp in checkpoints:
        old = heads.get(cp.pdu_id)
        if old is None or cp.sequence_id >= old.sequence_id:
            heads[cp.pdu_id] = cp
    body = json.dumps(
        {"format": 1, "heads": {pid: cp.to_dict() for pid, cp in sorted(heads.items())}},
        indent=1,
        sort_keys=True,
    ).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, body)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _check_head(
    store: AuditSource, head: Checkpoint, public_key: Ed25519PublicKey, result: VerifyResult
) -> VerifyResult:
    msg = Checkpoint.signed_message(head.pdu_id, head.sequence_id, head.hash)
    if head.key_fingerprint != key_fingerprint(public_key) or not verify_signature(
        public_key, head.signature, msg
    ):
        why = f"the audit head file's entry for {head.pdu_id} is not signed by this device key"
        return VerifyResult(False, head.sequence_id, why, result.events_checked)
    found = store.events_since(head.pdu_id, head.sequence_id - 1, 1)
    if not found or found[0].sequence_id != head.sequence_id:
        why = (
            f"the log was cut: the signed head outside the database is sequence_id "
            f"{head.sequence_id}, the database ends at {result.events_checked}"
        )
        return VerifyResult(False, result.events_checked + 1, why, result.events_checked)
    if found[0].hash != head.hash:
        why = (
            f"events up to sequence_id {head.sequence_id} were rewritten: the stored chain hash "
            "differs from the signed head outside the database"
        )
        return VerifyResult(False, head.sequence_id, why, result.events_checked)
    return VerifyResult(
        True,
        None,
        f"{result.reason}; signed head at sequence_id {head.sequence_id} matches",
        result.events_checked,
        result.checkpoints_checked,
    )


def audit_verify(
    store: AuditSource,
    pdu_id: str,
    public_key: Ed25519PublicKey,
    head: Checkpoint | None = None,
) -> VerifyResult:
    """Verify every stored event and checkpoint of ``pdu_id`` against the device public key.

    With ``head`` (from :func:`read_head_file`) also prove the tail was neither cut nor
    rewritten up to that signed head. ``first_bad_sequence_id`` names the first event that was
    altered, removed or reordered. An empty log with no checkpoints and no head verifies as ok.
    """
    result = verify_chain(_all_events(store, pdu_id), store.checkpoints(pdu_id), public_key)
    if not result.ok or head is None:
        return result
    return _check_head(store, head, public_key, result)
