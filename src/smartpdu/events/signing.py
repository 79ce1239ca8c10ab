"""Ed25519 device key: generated once per device, signs audit checkpoints.

The private key lives in ``<data_dir>/device_key.pem`` (PKCS#8, mode 0600); the public key is
also written next to it as ``device_key.pub.pem`` so auditors can verify without the secret.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

log = logging.getLogger(__name__)

KEY_FILENAME: Final = "device_key.pem"
PUBLIC_KEY_FILENAME: Final = "device_key.pub.pem"


class KeyFileError(RuntimeError):
    """The device key file exists but cannot be read as an Ed25519 private key."""


def public_key_bytes(public_key: Ed25519PublicKey) -> bytes:
    """Return the 32 raw bytes of an Ed25519 public key."""
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_fingerprint(public_key: Ed25519PublicKey) -> str:
    """Return ``sha256:<hex>`` of the raw public key — names the key in checkpoints."""
    return "sha256:" + hashlib.sha256(public_key_bytes(public_key)).hexdigest()


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    """Serialise a public key as SubjectPublicKeyInfo PEM."""
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_key(data: bytes | str | Path) -> Ed25519PublicKey:
    """Load a public key from PEM bytes, a PEM file path, or 64 hex chars of raw key."""
    if isinstance(data, Path):
        data = data.read_bytes()
    if isinstance(data, str):
        text = data.strip()
        if len(text) == 64 and all(c in "0123456789abcdefABCDEF" for c in text):
            return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text))
        data = text.encode("ascii")
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("public key is not Ed25519")
    return key


def verify_signature(public_key: Ed25519PublicKey, signature_hex: str, message: bytes) -> bool:
    """Return whether ``signature_hex`` is a valid Ed25519 signature of ``message``."""
    try:
        public_key.verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True, slots=True)
class DeviceKey:
    """The device's signing key; create with :func:`load_or_create_device_key`."""

    private_key: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> DeviceKey:
        """Return a fresh in-memory key (tests, ephemeral demos)."""
        return cls(Ed25519PrivateKey.generate())

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def fingerprint(self) -> str:
        return key_fingerprint(self.public_key)

    def sign(self, message: bytes) -> str:
        """Sign ``message``; return the 64-byte signature as hex."""
        return self.private_key.sign(message).hex()


def load_or_create_device_key(data_dir: str | Path) -> DeviceKey:
    """Load ``<data_dir>/device_key.pem``, generating it (mode 0600) on first run.

    Creation is exclusive (``O_EXCL``), so two processes starting at once end up with one key.
    """
    directory = Path(data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / KEY_FILENAME
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process won the race; load its key below
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
                fh.flush()
                os.fsync(fh.fileno())
            (directory / PUBLIC_KEY_FILENAME).write_bytes(public_key_pem(key.public_key()))
            log.info("generated device key %s", key_fingerprint(key.public_key()))
            return DeviceKey(key)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("device key %s has mode %o; run chmod 600 on it", path, mode)
    try:
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise KeyFileError(
            f"{path} is not a readable PEM private key ({exc}); restore it from backup "
            "(deleting it makes earlier checkpoints unverifiable with the new key)"
        ) from exc
    if not isinstance(loaded, Ed25519PrivateKey):
        raise KeyFileError(f"{path} holds a non-Ed25519 key; expected Ed25519")
    return DeviceKey(loaded)
