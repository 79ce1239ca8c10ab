"""Standard Webhooks signatures (https://www.standardwebhooks.com): secrets and headers.

Wire format, per delivery::

    webhook-id:        <stable id: the same on every retry, receivers dedupe on it>
    webhook-timestamp: <integer seconds since the epoch, at this attempt>
    webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")> [v1,<...>]

``key`` is the base64-decoded part of a ``whsec_<base64>`` secret. During a secret rotation
the header carries one signature per valid secret (space separated), so receivers that still
hold the old secret and those that already have the new one both verify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from typing import Final

__all__ = ["PREFIX", "check_secret", "new_secret", "sign", "signature_header"]

PREFIX: Final = "whsec_"
_KEY_BYTES: Final = 32
_MIN_KEY: Final = 24
_MAX_KEY: Final = 64


def new_secret() -> str:
    """A fresh ``whsec_`` secret of 256 random bits."""
    return PREFIX + base64.b64encode(secrets.token_bytes(_KEY_BYTES)).decode("ascii")


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX), validate=True)


def check_secret(secret: str) -> str:
    """Return ``secret`` or raise ``ValueError`` saying what a valid one looks like."""
    try:
        key = _key(secret)
    except ValueError:
        key = b""
    if not secret.startswith(PREFIX) or not _MIN_KEY <= len(key) <= _MAX_KEY:
        raise ValueError(
            f"a webhook secret is '{PREFIX}' followed by base64 of {_MIN_KEY}-{_MAX_KEY} "
            "random bytes; leave it out to have one generated"
        )
    return secret


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<base64>`` signature of ``body`` sent as ``msg_id`` at ``timestamp``."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_header(valid: Iterable[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: one signature per currently valid secret."""
    sigs = [sign(s, msg_id, timestamp, body) for s in valid]
    if not sigs:
        raise ValueError("a webhook needs at least one valid secret")
    return " ".join(sigs)
