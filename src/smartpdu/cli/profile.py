"""The client profile: where a running instance is and a token to talk to it (never a password).

``smartpdu demo`` writes it once the demo serves; the client commands (``status``, ``events``,
``export``, ``outlet``) read it when no ``--url``/``--token``/``--user`` is given, so a newcomer
types ``smartpdu demo`` in one terminal and ``smartpdu status`` in another.

Location: ``$SMARTPDU_PROFILE``, else ``$XDG_CONFIG_HOME/smartpdu/profile.json``, else
``~/.config/smartpdu/profile.json``; written with mode 0600 (it holds a bearer token).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["PROFILE_ENV", "ClientProfile", "load_profile", "profile_path", "save_profile"]

PROFILE_ENV = "SMARTPDU_PROFILE"


@dataclass(frozen=True, slots=True)
class ClientProfile:
    url: str
    user: str
    token: str
    expires_utc: str
    """RFC 3339; after it the token is refused and ``smartpdu demo`` (or a login) renews it."""


def profile_path() -> Path:
    explicit = os.environ.get(PROFILE_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "smartpdu" / "profile.json"


def save_profile(profile: ClientProfile, path: Path | None = None) -> Path:
    """Write ``profile`` (owner-only permissions); return where."""
    target = path or profile_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(asdict(profile), fh, indent=2)
    os.replace(tmp, target)
    return target


def load_profile(path: Path | None = None) -> ClientProfile | None:
    """The saved profile, or None when there is none or it is unreadable."""
    target = path or profile_path()
    try:
        data = json.loads(target.read_text(encoding="utf-8"))
        return ClientProfile(
            url=str(data["url"]),
            user=str(data["user"]),
            token=str(data["token"]),
            expires_utc=str(data.get("expires_utc", "")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
