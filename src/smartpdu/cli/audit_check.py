"""Start-up audit gate: refuse to serve on an event chain that fails verification.

``smartpdu run`` calls :func:`check_chain_before_start` before it opens the runtime. Every
PDU's stored chain is verified against the device key and the signed heads kept outside the
database (``<data-dir>/audit_head.json``). On failure the server does not start, unless the
operator passes ``--accept-broken-chain``: then each failure is recorded as a critical
``AUDIT_CHAIN_BROKEN`` event (the chain goes on from the stored head) and start-up continues.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from smartpdu.events import (
    AUDIT_HEAD_FILENAME,
    Action,
    EventCode,
    EventLog,
    NewEvent,
    audit_verify,
    load_or_create_device_key,
    read_head_file,
)
from smartpdu.events.chain import VerifyResult
from smartpdu.storage import open_store

__all__ = ["BrokenChainError", "check_chain_before_start", "verify_all"]


class BrokenChainError(RuntimeError):
    """The stored event chain failed verification; the message names PDU and sequence_id."""


def verify_all(store_url: str, data_dir: Path) -> list[tuple[str, VerifyResult]]:
    """Verify every PDU of the store (and every PDU named in the head file)."""
    key = load_or_create_device_key(data_dir)
    heads = read_head_file(data_dir / AUDIT_HEAD_FILENAME)
    store = open_store(store_url)
    try:
        pdus = sorted(set(store.event_pdu_ids()) | set(heads))
        return [(pid, audit_verify(store, pid, key.public_key, heads.get(pid))) for pid in pdus]
    finally:
        store.close()


def check_chain_before_start(store_url: str, data_dir: Path, *, accept_broken: bool) -> list[str]:
    """Raise :class:`BrokenChainError` on a broken chain unless ``accept_broken``.

    Returns the failure descriptions that were accepted (and recorded as critical events)."""
    try:
        results = verify_all(store_url, data_dir)
    except ValueError as exc:  # unreadable head file
        results = [("*", VerifyResult(False, None, str(exc)))]
    failures = [
        f"{pid}: first bad sequence_id {r.first_bad_sequence_id}: {r.reason}"
        for pid, r in results
        if not r.ok
    ]
    if not failures:
        return []
    if not accept_broken:
        raise BrokenChainError(
            "the event log failed verification: "
            + "; ".join(failures)
            + ". Investigate (smartpdu audit verify), or start with --accept-broken-chain "
            "to continue and record this as a critical event."
        )
    store = open_store(store_url)
    try:
        log = EventLog(
            store,
            load_or_create_device_key(data_dir),
            lambda: datetime.now(UTC),
            head_file=data_dir / AUDIT_HEAD_FILENAME,
        )
        try:
            log.append_many(
                [
                    NewEvent(
                        pdu_id=pid,
                        source="system",
                        event_code=EventCode.AUDIT_CHAIN_BROKEN,
                        message=f"Started on a broken event chain (accepted by the operator): "
                        f"{r.reason}",
                        action_taken=Action.NONE,
                        reason_code="CHAIN_VERIFY_FAILED",
                        evidence={
                            "first_bad_sequence_id": r.first_bad_sequence_id,
                            "events_checked": r.events_checked,
                            "reason": r.reason,
                        },
                        actor="operator",
                    )
                    for pid, r in results
                    if not r.ok and pid != "*"
                ]
            )
        finally:
            log.close()
    finally:
        store.close()
    return failures
