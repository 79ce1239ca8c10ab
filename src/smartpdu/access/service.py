"""Users, logins and token sessions; every change and every login attempt is an audited event.

Tokens are opaque random strings (``secrets.token_urlsafe(32)``); the store keeps only their
SHA-256, so a stolen database does not yield usable sessions. Passwords are argon2id hashes.
There is no default password: :meth:`AuthService.ensure_admin` creates ``admin`` on first run
with a given or a freshly generated password that is returned once.

All methods are ``async``: store calls and argon2 run in worker threads, never on the loop.

Usage::

    auth = AuthService(store, events, clock=runtime.now_utc, pdu_id="pdu-a")
    generated = await auth.ensure_admin(os.environ.get("SMARTPDU_ADMIN_PASSWORD"))
    principal = await auth.authenticate("admin", pw, interface="api", remote="10.0.0.7")
    token, expires = await auth.create_session(principal, interface="api")
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from smartpdu.access.passwords import (
    PolicyError,
    check_password_policy,
    check_username,
    dummy_hash,
    generate_password,
    hash_password,
    verify_password,
)
from smartpdu.access.roles import Principal, Role
from smartpdu.access.throttle import LoginThrottle
from smartpdu.events.codes import EventCode
from smartpdu.events.model import Action, JsonScalar, NewEvent
from smartpdu.storage.base import Store
from smartpdu.storage.records import ConflictError, NotFoundError, SessionRecord, UserRecord

__all__ = [
    "ADMIN_USERNAME",
    "AccessError",
    "AuthError",
    "AuthService",
    "EventSink",
    "LastAdminError",
    "PolicyError",
    "SessionInfo",
    "UserExistsError",
    "UserInfo",
    "UserNotFoundError",
    "token_hash",
]

ADMIN_USERNAME = "admin"
SESSION_CACHE = timedelta(seconds=2)
"""How long a resolved token is trusted without re-reading the store; logout and user changes
through this service invalidate at once."""


class EventSink(Protocol):
    """The part of :class:`~smartpdu.events.log.EventLog` we need (sync or async ``append``)."""

    def append(self, draft: NewEvent) -> Any: ...


class AccessError(Exception):
    """Base of access-control errors; messages are safe to show to the caller."""


class AuthError(AccessError):
    """Login failed: unknown user, wrong password or disabled account (deliberately vague)."""


class LoginThrottledError(AuthError):
    """Too many failed logins for this name; try again after ``retry_after_s``."""

    def __init__(self, retry_after_s: float) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(f"too many failed logins; try again in {retry_after_s:.0f} s")


class UserExistsError(AccessError):
    """A user with this name already exists."""


class UserNotFoundError(AccessError, LookupError):
    """No user with this name."""


class LastAdminError(AccessError):
    """The change would leave no enabled administrator."""


@dataclass(frozen=True, slots=True)
class UserInfo:
    """A user account as shown to administrators (never the hash)."""

    username: str
    role: Role
    created_utc: datetime
    disabled: bool


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """A new session: the token (shown once) and when it expires."""

    token: str
    expires_utc: datetime
    principal: Principal


def token_hash(token: str) -> str:
    """Return the SHA-256 hex digest under which a session token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _info(rec: UserRecord) -> UserInfo:
    return UserInfo(rec.username, Role(rec.role), rec.created_utc, rec.disabled)


class AuthService:
    """Authenticate users, manage sessions and accounts; audit every change.

    ``pdu_id`` names the event chain that user/login events go to (the controller's PDU, or the
    first PDU of a rack hosted by one process).
    """

    def __init__(
        self,
        store: Store,
        events: EventSink,
        clock: Callable[[], datetime],
        session_ttl_s: float = 3600,
        *,
        pdu_id: str = "controller",
        throttle: LoginThrottle | None = None,
    ) -> None:
        if session_ttl_s <= 0:
            raise ValueError(f"session_ttl_s must be > 0, got {session_ttl_s}")
        self._store = store
        self._events = events
        self._clock = clock
        self._ttl = timedelta(seconds=session_ttl_s)
        self._pdu_id = pdu_id
        self._throttle = throttle or LoginThrottle()
        self._resolved: dict[str, tuple[Principal, datetime]] = {}
        """token hash → (principal, valid until): saves two store reads per API request."""

    @property
    def session_ttl_s(self) -> float:
        return self._ttl.total_seconds()

    async def _emit(
        self,
        code: EventCode,
        subject: str,
        message: str,
        *,
        actor: str | None,
        action: Action,
        evidence: Mapping[str, JsonScalar] | None = None,
    ) -> None:
        draft = NewEvent(
            pdu_id=self._pdu_id,
            source=f"user/{subject}",
            event_code=code,
            message=message,
            action_taken=action,
            evidence=dict(evidence or {}),
            actor=actor,
        )
        result = await asyncio.to_thread(self._events.append, draft)  # commits: keep off the loop
        if inspect.isawaitable(result):
            await result

    async def _get(self, username: str) -> UserRecord:
        rec = await asyncio.to_thread(self._store.get_user, username)
        if rec is None:
            raise UserNotFoundError(f"no user named {username!r}")
        return rec

    async def _enabled_admins(self) -> list[str]:
        users = await asyncio.to_thread(self._store.list_users)
        return [u.username for u in users if u.role == Role.ADMIN and not u.disabled]

    # -- provisioning ---------------------------------------------------------------------------
    async def ensure_admin(self, password: str | None = None) -> str | None:
        """On first run (no users at all) create ``admin``; return the password if generated.

        With users present nothing changes (a given password never overwrites an account).
        """
        if await asyncio.to_thread(self._store.list_users):
            return None
        generated = password is None
        pw = (
            generate_password()
            if password is None
            else check_password_policy(password, ADMIN_USERNAME)
        )
        await self._create(ADMIN_USERNAME, pw, Role.ADMIN, actor="system", first_run=True)
        return pw if generated else None

    # -- login and sessions ---------------------------------------------------------------------
    async def authenticate(
        self, username: str, password: str, *, interface: str, remote: str | None = None
    ) -> Principal:
        """Check credentials; audit USER_LOGIN or USER_LOGIN_FAILED; raise :class:`AuthError`
        (:class:`LoginThrottledError` while the name is locked after repeated failures)."""
        now_s = self._clock().timestamp()
        wait = self._throttle.begin(username, remote, now_s)  # counted before the slow hash
        if wait > 0:
            await self._emit(
                EventCode.USER_LOGIN_FAILED,
                "unknown",
                f"login for {username[:64]!r} via {interface} refused: locked for {wait:.0f} s",
                actor=None,
                action=Action.DENY,
                evidence={
                    "interface": interface,
                    "remote": remote,
                    "reason": "locked",
                    "username": username[:64],
                    "retry_after_s": round(wait, 1),
                },
            )
            raise LoginThrottledError(wait)
        rec = await asyncio.to_thread(self._store.get_user, username)
        encoded = rec.password_hash if rec is not None else dummy_hash()
        ok = await asyncio.to_thread(verify_password, encoded, password)
        evidence: dict[str, JsonScalar] = {"interface": interface, "remote": remote}
        if rec is None or not ok or rec.disabled:
            reason = "unknown user" if rec is None else "disabled" if ok else "bad password"
            evidence["reason"] = reason
            subject = username if rec is not None else "unknown"
            evidence["username"] = username[:64]
            lock = self._throttle.retry_after_s(username, now_s, remote)
            if lock:
                evidence["locked_for_s"] = lock
            await self._emit(
                EventCode.USER_LOGIN_FAILED,
                subject,
                f"login failed for {username[:64]!r} via {interface}",
                actor=None,
                action=Action.DENY,
                evidence=evidence,
            )
            raise AuthError("invalid username or password")
        principal = Principal(rec.username, Role(rec.role))
        self._throttle.success(username, remote)
        await self._emit(
            EventCode.USER_LOGIN,
            rec.username,
            f"{rec.username} logged in via {interface}",
            actor=principal.actor,
            action=Action.LOGIN,
            evidence=evidence,
        )
        return principal

    async def create_session(self, principal: Principal, *, interface: str) -> SessionInfo:
        """Open a session for an authenticated principal; the token is returned only here."""
        token = secrets.token_urlsafe(32)
        now = self._clock()
        record = SessionRecord(token_hash(token), principal.username, now, now + self._ttl)
        await asyncio.to_thread(self._store.create_session, record)
        return SessionInfo(token, record.expires_utc, principal)

    async def resolve_session(self, token: str) -> Principal | None:
        """Return the principal of a live session; None if unknown, expired or user disabled."""
        if not token or len(token) > 512:
            return None
        h = token_hash(token)
        now = self._clock()
        hit = self._resolved.get(h)
        if hit is not None and now < hit[1]:
            return hit[0]
        session = await asyncio.to_thread(self._store.get_session, h)
        if session is None:
            return None
        if session.expires_utc <= now:
            await asyncio.to_thread(self._store.delete_session, session.token_hash)
            return None
        rec = await asyncio.to_thread(self._store.get_user, session.username)
        if rec is None or rec.disabled:
            return None
        principal = Principal(rec.username, Role(rec.role))
        if len(self._resolved) > 10_000:
            self._resolved.clear()
        self._resolved[h] = (principal, min(now + SESSION_CACHE, session.expires_utc))
        return principal

    def _forget(self, *, token_hash_: str | None = None, username: str | None = None) -> None:
        """Drop cached session resolutions (logout, user changed, disabled or deleted)."""
        if token_hash_ is not None:
            self._resolved.pop(token_hash_, None)
        if username is not None:
            for key in [k for k, v in self._resolved.items() if v[0].username == username]:
                del self._resolved[key]

    async def end_session(self, token: str, *, interface: str = "api") -> bool:
        """Log out: delete the session; audit USER_LOGOUT; return whether it existed."""
        h = token_hash(token)
        self._forget(token_hash_=h)
        session = await asyncio.to_thread(self._store.get_session, h)
        if session is None:
            return False
        await asyncio.to_thread(self._store.delete_session, h)
        await self._emit(
            EventCode.USER_LOGOUT,
            session.username,
            f"{session.username} logged out via {interface}",
            actor=f"user/{session.username}",
            action=Action.LOGOUT,
            evidence={"interface": interface},
        )
        return True

    async def purge_expired(self) -> int:
        """Delete expired sessions; return how many."""
        return await asyncio.to_thread(self._store.purge_sessions, self._clock())

    # -- user administration --------------------------------------------------------------------
    async def list_users(self) -> list[UserInfo]:
        return [_info(u) for u in await asyncio.to_thread(self._store.list_users)]

    async def get_user(self, username: str) -> UserInfo:
        return _info(await self._get(username))

    async def _create(
        self, username: str, password: str, role: Role, *, actor: str, first_run: bool = False
    ) -> UserInfo:
        check_username(username)
        check_password_policy(password, username)
        role = Role(role)
        encoded = await asyncio.to_thread(hash_password, password)
        rec = UserRecord(username, str(role), encoded, self._clock(), False)
        try:
            await asyncio.to_thread(self._store.create_user, rec)
        except ConflictError:
            raise UserExistsError(f"user {username!r} already exists") from None
        await self._emit(
            EventCode.USER_CREATED,
            username,
            f"user {username} created with role {role}"
            + (" (first-run provisioning)" if first_run else ""),
            actor=actor,
            action=Action.CONFIG,
            evidence={"role": str(role), "first_run": first_run},
        )
        return _info(rec)

    async def create_user(
        self, username: str, password: str, role: Role, *, actor: str
    ) -> UserInfo:
        """Create an account (audited USER_CREATED by ``actor``)."""
        return await self._create(username, password, role, actor=actor)

    async def update_user(
        self,
        username: str,
        *,
        actor: str,
        role: Role | None = None,
        password: str | None = None,
        disabled: bool | None = None,
    ) -> UserInfo:
        """Change role, password and/or disabled flag (audited); shrinking access ends sessions."""
        rec = await self._get(username)
        new_role = Role(role) if role is not None else Role(rec.role)
        new_disabled = rec.disabled if disabled is None else disabled
        if password is not None:
            check_password_policy(password, username)
        was_admin = rec.role == Role.ADMIN and not rec.disabled
        demoted = was_admin and (new_role != Role.ADMIN or new_disabled)
        if demoted and await self._enabled_admins() == [username]:
            raise LastAdminError(
                f"{username!r} is the only enabled admin: create another admin first"
            )
        encoded = await asyncio.to_thread(hash_password, password) if password else None
        try:
            updated = await asyncio.to_thread(
                self._store.update_user,
                username,
                role=str(new_role) if role is not None else None,
                password_hash=encoded,
                disabled=disabled,
            )
        except NotFoundError:
            raise UserNotFoundError(f"no user named {username!r}") from None
        changes: dict[str, JsonScalar] = {}
        if role is not None and new_role != Role(rec.role):
            changes["role_from"], changes["role_to"] = rec.role, str(new_role)
        if disabled is not None and disabled != rec.disabled:
            changes["disabled"] = disabled
        shrinks = password is not None or new_disabled or "role_to" in changes
        if shrinks:
            self._forget(username=username)
            await asyncio.to_thread(self._store.delete_user_sessions, username)
        if password is not None:
            await self._emit(
                EventCode.PASSWORD_CHANGED,
                username,
                f"password of {username} changed",
                actor=actor,
                action=Action.CONFIG,
            )
        if changes:
            await self._emit(
                EventCode.USER_UPDATED,
                username,
                f"user {username} updated: " + ", ".join(f"{k}={v}" for k, v in changes.items()),
                actor=actor,
                action=Action.CONFIG,
                evidence=changes,
            )
        return _info(updated)

    async def delete_user(self, username: str, *, actor: str) -> bool:
        """Delete an account and its sessions (audited); refuse to delete the last admin."""
        rec = await asyncio.to_thread(self._store.get_user, username)
        if rec is None:
            return False
        if (
            rec.role == Role.ADMIN
            and not rec.disabled
            and await self._enabled_admins() == [username]
        ):
            raise LastAdminError(
                f"{username!r} is the only enabled admin: create another admin first"
            )
        self._forget(username=username)
        existed = await asyncio.to_thread(self._store.delete_user, username)
        if existed:
            await self._emit(
                EventCode.USER_DELETED,
                username,
                f"user {username} deleted",
                actor=actor,
                action=Action.CONFIG,
                evidence={"role": rec.role},
            )
        return existed
