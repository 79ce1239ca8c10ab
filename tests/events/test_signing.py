"""Device key file: created once with mode 0600, stable across restarts, verifiable signatures."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from smartpdu.events import (
    KEY_FILENAME,
    PUBLIC_KEY_FILENAME,
    DeviceKey,
    KeyFileError,
    key_fingerprint,
    load_or_create_device_key,
    load_public_key,
)
from smartpdu.events.signing import public_key_bytes, verify_signature


def test_key_created_once_with_private_mode(tmp_path: Path) -> None:
    k1 = load_or_create_device_key(tmp_path / "data")
    path = tmp_path / "data" / KEY_FILENAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    k2 = load_or_create_device_key(tmp_path / "data")
    assert k1.fingerprint == k2.fingerprint
    pub = load_public_key(tmp_path / "data" / PUBLIC_KEY_FILENAME)
    assert key_fingerprint(pub) == k1.fingerprint
    assert key_fingerprint(load_public_key(public_key_bytes(pub).hex())) == k1.fingerprint


def test_signatures_verify_only_for_the_signed_message() -> None:
    key = DeviceKey.generate()
    sig = key.sign(b"checkpoint")
    assert verify_signature(key.public_key, sig, b"checkpoint")
    assert not verify_signature(key.public_key, sig, b"checkpoinT")
    assert not verify_signature(DeviceKey.generate().public_key, sig, b"checkpoint")
    assert not verify_signature(key.public_key, "zz", b"checkpoint")


def test_corrupt_key_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / KEY_FILENAME).write_text("not a key")
    with pytest.raises(KeyFileError, match="restore it from backup"):
        load_or_create_device_key(tmp_path)
