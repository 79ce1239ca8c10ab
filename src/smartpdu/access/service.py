"""Users, logins and token sessions; every change and every login attempt is an audited event.

Tokens are opaque random strings (``secrets.token_urlsafe(32)``); the store keeps only their
SHA-256, so a stolen database does not yield usable sessions. Passwords are argon2id hashes.
There is no default password: :meth:`AuthService.ensure_admin` creates ``admin`` on first run
with a given or a freshly generated password that is returned once.

All methods are ``async``: store calls run in worker threads, argon2 on a small dedicated
executor (a burst of logins cannot starve the default thread pool), never on the loop.

Every interface authenticates here, so one cache with immediate invalidation serves them all:
disabling a user, changing a password or a role, or ending a session takes effect on REST and
Redfish at once. HTTP Basic credentials (Redfish) are checked by :meth:`AuthService.check_basic`:
cached per credential pair, single-flight (N concurrent requests run argon2 once).

Usage::

    auth = AuthService(store, events, clock=runtime.now_utc, pdu_id="pdu-a")
    generated = await auth.ensure_admin(os.environ.get("SMARTPDU_ADMIN_PASSWORD"))
    principal = await auth.authenticate("admin", pw, interface="api", remote="10.0.0.7")
    token, expires = await auth.create_session(principal, interface="api")
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import json
import secrets
from collections.abc import AsyncIterator, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

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
    "SessionView",
    "UserExistsError",
    "UserInfo",
    "UserNotFoundError",
    "session_id",
    "token_hash",
]

_T = TypeVar("_T")

ADMIN_USERNAME = "admin"
SESSION_CACHE = timedelta(seconds=2)
"""How long a resolved token is trusted without re-reading the store; logout and user changes
through this service invalidate at once."""
BASIC_CACHE = timedelta(seconds=30)
"""How long a checked Basic credential pair is trusted (user changes invalidate at once)."""
SESSION_KV_PREFIX = "access/session/"
"""Index of live sessions by public id (the store keys sessions by token hash only)."""
CRYPTO_WORKERS = 2


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


@dataclass(frozen=True, slots=True)
class SessionView:
    """A live session as listed to its owner or an administrator (never the token)."""

    id: str
    username: str
    created_utc: datetime
    expires_utc: datetime
    interface: str


def token_hash(token: str) -> str:
    """Return the SHA-256 hex digest under which a session token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def session_id(token_hash_: str) -> str:
    """Public id of a session (Redfish ``Sessions/{id}``): derived from, but not revealing, the
    token hash, so logging out by token finds the index entry without a lookup."""
    return hashlib.sha256(f"session:{token_hash_}".encode()).hexdigest()[:16]


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
        self._basic: dict[bytes, tuple[Principal, datetime]] = {}
        """digest of (user, password) → (principal, valid until): Basic auth without argon2."""
        self._inflight: dict[bytes, asyncio.Future[Principal]] = {}
        self._generation: dict[str, int] = {}
        """Bumped on every change of a user: a check that raced a change is not cached."""
        self._locks: dict[str, asyncio.Lock] = {}
        self._crypto = ThreadPoolExecutor(CRYPTO_WORKERS, thread_name_prefix="smartpdu-argon2")
        self.credential_checks = 0
        """How many password verifications ran (argon2); for tests and health figures."""

    def close(self) -> None:
        """Stop the credential executor (idempotent)."""
        self._crypto.shutdown(wait=False, cancel_futures=True)

    async def _argon2(self, fn: Callable[..., _T], *args: Any) -> _T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._crypto, fn, *args)

    def _gen(self, username: str) -> int:
        return self._generation.get(username.casefold(), 0)

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
        pw = generate_password() if password is None else check_password_policy(password)
        await self._create(ADMIN_USERNAME, pw, Role.ADMIN, actor="system", first_run=True)
        return pw if generated else None

    # -- login and sessions ---------------------------------------------------------------------
    async def authenticate(
        self, username: str, password: str, *, interface: str, remote: str | None = None
    ) -> Principal:
        """Check credentials; audit USER_LOGIN or USER_LOGIN_FAILED; raise :class:`AuthError`
        (:class:`LoginThrottledError` while the name is locked after repeated failures)."""
        now_s = self._clock().timestamp()
        wait = self._throttle.retry_after_s(username, now_s)
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
        self.credential_checks += 1
        ok = await self._argon2(verify_password, encoded, password)
        evidence: dict[str, JsonScalar] = {"interface": interface, "remote": remote}
        if rec is None or not ok or rec.disabled:
            reason = "unknown user" if rec is None else "disabled" if ok else "bad password"
            evidence["reason"] = reason
            subject = username if rec is not None else "unknown"
            evidence["username"] = username[:64]
            lock = self._throttle.failure(username, now_s)
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
        self._throttle.success(username)
        await self._emit(
            EventCode.USER_LOGIN,
            rec.username,
            f"{rec.username} logged in via {interface}",
            actor=principal.actor,
            action=Action.LOGIN,
            evidence=evidence,
        )
        return principal

    async def check_basic(
        self, username: str, password: str, *, interface: str, remote: str | None = None
    ) -> Principal:
        """Check per-request credentials (HTTP Basic): cached, single-flight; see module doc.

        Only a real check is audited (USER_LOGIN / USER_LOGIN_FAILED), not every cached hit."""
        key = hashlib.sha256(f"{username}\0{password}".encode()).digest()
        now = self._clock()
        hit = self._basic.get(key)
        if hit is not None and now < hit[1]:
            return hit[0]
        running = self._inflight.get(key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[Principal] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        generation = self._gen(username)
        try:
            principal = await self.authenticate(
                username, password, interface=interface, remote=remote
            )
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: followers re-raise it, nobody else must
            raise
        else:
            future.set_result(principal)
            if self._gen(username) == generation:
                if len(self._basic) > 1000:
                    self._basic.clear()
                self._basic[key] = (principal, now + BASIC_CACHE)
            return principal
        finally:
            del self._inflight[key]

    async def create_session(self, principal: Principal, *, interface: str) -> SessionInfo:
        """Open a session for an authenticated principal; the token is returned only here."""
        token = secrets.token_urlsafe(32)
        now = self._clock()
        record = SessionRecord(token_hash(token), principal.username, now, now + self._ttl)
        index = json.dumps(
            {
                "token_hash": record.token_hash,
                "username": record.username,
                "created_utc": now.isoformat(),
                "expires_utc": record.expires_utc.isoformat(),
                "interface": interface,
            }
        )

        def write() -> None:
            self._store.create_session(record)
            self._store.kv_set(SESSION_KV_PREFIX + session_id(record.token_hash), index)

        await asyncio.to_thread(write)
        return SessionInfo(token, record.expires_utc, principal)

    async def list_sessions(self) -> list[SessionView]:
        """Live sessions, oldest first (stale index entries are dropped on the way)."""
        now = self._clock()

        def read() -> list[SessionView]:
            out: list[SessionView] = []
            for key, value in self._store.kv_items(SESSION_KV_PREFIX).items():
                rec = json.loads(value)
                expires = datetime.fromisoformat(rec["expires_utc"])
                if expires <= now or self._store.get_session(rec["token_hash"]) is None:
                    self._store.kv_delete(key)
                    continue
                out.append(
                    SessionView(
                        key.removeprefix(SESSION_KV_PREFIX),
                        rec["username"],
                        datetime.fromisoformat(rec["created_utc"]),
                        expires,
                        rec.get("interface", "api"),
                    )
                )
            return sorted(out, key=lambda v: (v.created_utc, v.id))

        return await asyncio.to_thread(read)

    async def get_session(self, sid: str) -> SessionView | None:
        return next((v for v in await self.list_sessions() if v.id == sid), None)

    async def revoke_session(self, sid: str, *, actor: str, interface: str) -> bool:
        """End the session ``sid`` (its owner or an administrator asked); audited USER_LOGOUT
        naming who ended it; cached resolutions are dropped at once."""
        raw = await asyncio.to_thread(self._store.kv_get, SESSION_KV_PREFIX + sid)
        if raw is None:
            return False
        rec = json.loads(raw)
        self._forget(token_hash_=rec["token_hash"])

        def delete() -> bool:
            existed = self._store.delete_session(rec["token_hash"])
            self._store.kv_delete(SESSION_KV_PREFIX + sid)
            return existed

        if not await asyncio.to_thread(delete):
            return False
        owner = rec["username"]
        by_other = actor != f"user/{owner}" and not actor.endswith(f"/{owner}")
        await self._emit(
            EventCode.USER_LOGOUT,
            owner,
            f"session of {owner} ended via {interface}" + (f" by {actor}" if by_other else ""),
            actor=actor,
            action=Action.LOGOUT,
            evidence={"interface": interface, "session": sid, "revoked_by_other": by_other},
        )
        return True

    async def audit_denied(
        self,
        principal: Principal,
        *,
        interface: str,
        operation: str,
        permission: str,
        remote: str | None = None,
    ) -> None:
        """Record a request refused for lack of role (ACCESS_DENIED)."""
        await self._emit(
            EventCode.ACCESS_DENIED,
            principal.username,
            f"{principal.username} ({principal.role}) denied {operation[:120]} via {interface}",
            actor=principal.actor,
            action=Action.DENY,
            evidence={
                "interface": interface,
                "operation": operation[:200],
                "role": str(principal.role),
                "required": permission,
                "remote": remote,
            },
        )

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
        generation = self._gen(session.username)
        rec = await asyncio.to_thread(self._store.get_user, session.username)
        if rec is None or rec.disabled:
            return None
        principal = Principal(rec.username, Role(rec.role))
        if self._gen(session.username) != generation:
            return principal  # the user changed meanwhile: answer, but do not cache
        if len(self._resolved) > 10_000:
            self._resolved.clear()
        self._resolved[h] = (principal, min(now + SESSION_CACHE, session.expires_utc))
        return principal

    def _forget(self, *, token_hash_: str | None = None, username: str | None = None) -> None:
        """Drop cached session resolutions (logout, user changed, disabled or deleted)."""
        if token_hash_ is not None:
            self._resolved.pop(token_hash_, None)
        if username is not None:
            folded = username.casefold()
            self._generation[folded] = self._generation.get(folded, 0) + 1
            for key in [k for k, v in self._resolved.items() if v[0].username == username]:
                del self._resolved[key]
            for bkey in [k for k, v in self._basic.items() if v[0].username == username]:
                del self._basic[bkey]

    async def end_session(self, token: str, *, interface: str = "api") -> bool:
        """Log out: delete the session; audit USER_LOGOUT; return whether it existed."""
        h = token_hash(token)
        self._forget(token_hash_=h)
        session = await asyncio.to_thread(self._store.get_session, h)
        if session is None:
            return False

        def delete() -> None:
            self._store.delete_session(h)
            self._store.kv_delete(SESSION_KV_PREFIX + session_id(h))

        await asyncio.to_thread(delete)
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
        """Delete expired sessions (and their index entries); return how many."""
        count = await asyncio.to_thread(self._store.purge_sessions, self._clock())
        await self.list_sessions()  # drops index entries of sessions that are gone
        return count

    # -- user administration --------------------------------------------------------------------
    async def list_users(self) -> list[UserInfo]:
        return [_info(u) for u in await asyncio.to_thread(self._store.list_users)]

    async def get_user(self, username: str) -> UserInfo:
        return _info(await self._get(username))

    async def _create(
        self, username: str, password: str, role: Role, *, actor: str, first_run: bool = False
    ) -> UserInfo:
        check_username(username)
        check_password_policy(password)
        role = Role(role)
        encoded = await self._argon2(hash_password, password)
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

    @contextlib.asynccontextmanager
    async def _user_lock(self, username: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(username.casefold(), asyncio.Lock())
        async with lock:
            yield

    async def update_user(
        self,
        username: str,
        *,
        actor: str,
        role: Role | None = None,
        password: str | None = None,
        disabled: bool | None = None,
        precondition: Callable[[UserInfo], None] | None = None,
    ) -> UserInfo:
        """Change role, password and/or disabled flag (audited); shrinking access ends sessions.

        ``precondition(current)`` runs under the user's lock before the change and may raise to
        refuse it: a conditional update (Redfish ``If-Match``) is thereby atomic against every
        other change of that user through this service."""
        async with self._user_lock(username):
            return await self._update_user(
                username,
                actor=actor,
                role=role,
                password=password,
                disabled=disabled,
                precondition=precondition,
            )

    async def _update_user(
        self,
        username: str,
        *,
        actor: str,
        role: Role | None,
        password: str | None,
        disabled: bool | None,
        precondition: Callable[[UserInfo], None] | None,
    ) -> UserInfo:
        rec = await self._get(username)
        if precondition is not None:
            precondition(_info(rec))
        new_role = Role(role) if role is not None else Role(rec.role)
        new_disabled = rec.disabled if disabled is None else disabled
        if password is not None:
            check_password_policy(password)
        was_admin = rec.role == Role.ADMIN and not rec.disabled
        demoted = was_admin and (new_role != Role.ADMIN or new_disabled)
        if demoted and await self._enabled_admins() == [username]:
            raise LastAdminError(
                f"{username!r} is the only enabled admin: create another admin first"
            )
        encoded = await self._argon2(hash_password, password) if password else None
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
        self._forget(username=username)
        shrinks = password is not None or new_disabled or "role_to" in changes
        if shrinks:
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
