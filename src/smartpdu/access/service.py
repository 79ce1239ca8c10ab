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
import hashlib
import inspect
import secrets
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from smartpdu.access.cache import PrincipalCache
from smartpdu.access.errors import (
    AccessError,
    AuthError,
    LastAdminError,
    LoginThrottledError,
    UserExistsError,
    UserNotFoundError,
)
from smartpdu.access.passwords import (
    PolicyError,
    check_password_policy,
    dummy_hash,
    generate_password,
    hash_password,
    verify_password,
)
from smartpdu.access.records import SessionInfo, SessionView, UserInfo, session_id, token_hash
from smartpdu.access.repository import AccountStore
from smartpdu.access.roles import Principal, Role
from smartpdu.access.session_index import SessionIndex
from smartpdu.access.throttle import LoginThrottle
from smartpdu.access.users import UserAdmin
from smartpdu.events.codes import EventCode
from smartpdu.events.model import Action, JsonScalar, NewEvent
from smartpdu.model.accounts import SessionRecord

__all__ = [
    "ADMIN_USERNAME",
    "AccessError",
    "AuthError",
    "AuthService",
    "EventSink",
    "LastAdminError",
    "LoginThrottledError",
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
SESSION_REFRESH_AHEAD = timedelta(seconds=0.5)
"""A resolved token used within this span of its cache end is re-read from the store in the
background while the cached principal is still served. Without it every request of a busy token
waited, every 2 s, for one worker-thread store read (1–30 ms on a loaded machine: a latency
tail on both REST and Redfish). Trust is not extended: the old entry ends when it did, and a
re-read that finds the session gone or the user disabled drops it at once."""
BASIC_CACHE = timedelta(seconds=30)
"""How long a checked Basic credential pair is trusted (user changes invalidate at once)."""
CRYPTO_WORKERS = 2


class EventSink(Protocol):
    """The part of :class:`~smartpdu.events.log.EventLog` we need (sync or async ``append``)."""

    def append(self, draft: NewEvent) -> Any: ...


class AuthService:
    """Authenticate users, manage sessions and accounts; audit every change.

    ``pdu_id`` names the event chain that user/login events go to (the controller's PDU, or the
    first PDU of a rack hosted by one process).
    """

    def __init__(
        self,
        store: AccountStore,
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
        self._cache = PrincipalCache()
        self._sessions = SessionIndex(store)
        self._inflight: dict[bytes, asyncio.Future[Principal]] = {}
        self._resolving: dict[tuple[str, int], asyncio.Future[Principal | None]] = {}
        self._crypto = ThreadPoolExecutor(CRYPTO_WORKERS, thread_name_prefix="smartpdu-argon2")
        self.credential_checks = 0
        """How many password verifications ran (argon2); for tests and health figures."""
        self.users = UserAdmin(store, clock, self._cache, self._emit,
                               lambda pw: self._argon2(hash_password, pw))  # fmt: skip
        """Account administration: list, get, create, update, delete users (audited)."""

    def close(self) -> None:
        """Stop the credential executor (idempotent)."""
        self._crypto.shutdown(wait=False, cancel_futures=True)

    async def _argon2(self, fn: Callable[..., _T], *args: Any) -> _T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._crypto, fn, *args)

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
        await self.users.create(ADMIN_USERNAME, pw, Role.ADMIN, actor="system", first_run=True)
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
        self.credential_checks += 1
        ok = await self._argon2(verify_password, encoded, password)
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

    async def check_basic(
        self, username: str, password: str, *, interface: str, remote: str | None = None
    ) -> Principal:
        """Check per-request credentials (HTTP Basic): cached, single-flight; see module doc.

        Only a real check is audited (USER_LOGIN / USER_LOGIN_FAILED), not every cached hit."""
        key = hashlib.sha256(f"{username}\0{password}".encode()).digest()
        now = self._clock()
        hit = self._cache.basic(key, now)
        if hit is not None:
            return hit
        while (running := self._inflight.get(key)) is not None:
            try:
                return await asyncio.shield(running)
            except asyncio.CancelledError:
                if not running.cancelled():
                    raise  # this request was cancelled, not the shared check
                # the leading request went away mid-check: check again ourselves
        future: asyncio.Future[Principal] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        generation = self._cache.generation(username)
        try:
            principal = await self.authenticate(
                username, password, interface=interface, remote=remote
            )
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: followers re-raise it, nobody else must
            raise
        else:
            future.set_result(principal)
            self._cache.put_basic(key, principal, now + BASIC_CACHE, generation)
            return principal
        finally:
            del self._inflight[key]

    async def create_session(self, principal: Principal, *, interface: str) -> SessionInfo:
        """Open a session for an authenticated principal; the token is returned only here."""
        token = secrets.token_urlsafe(32)
        now = self._clock()
        record = SessionRecord(token_hash(token), principal.username, now, now + self._ttl)
        await asyncio.to_thread(self._sessions.add, record, interface)
        return SessionInfo(token, record.expires_utc, principal)

    async def list_sessions(self) -> list[SessionView]:
        """Live sessions, oldest first."""
        return await asyncio.to_thread(self._sessions.views, self._clock())

    async def get_session(self, sid: str) -> SessionView | None:
        """The live session ``sid`` (None when unknown or expired)."""
        return next((v for v in await self.list_sessions() if v.id == sid), None)

    async def revoke_session(self, sid: str, *, actor: str, interface: str) -> bool:
        """End the session ``sid`` (its owner or an administrator asked); audited USER_LOGOUT
        naming who ended it; cached resolutions are dropped at once."""
        found = await asyncio.to_thread(self._sessions.find, sid)
        if found is None:
            return False
        hashed, owner = found
        self._cache.forget_token(hashed)
        removed = await asyncio.to_thread(self._sessions.remove, hashed)
        self._cache.forget_token(hashed)  # again: a resolution that read the session meanwhile
        if not removed:
            return False
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

    def cached_principal(self, token: str) -> Principal | None:
        """The principal of ``token`` if its resolution is cached and still trusted, else None.

        No I/O: for hot read paths that fall back to :meth:`resolve_session` on None. Exactly as
        immediate as the cache: a change of the user or a logout has already dropped the entry.
        """
        if not token or len(token) > 512:
            return None
        h, now = token_hash(token), self._clock()
        hit = self._cache.token(h, now)
        if hit is not None:
            self._refresh_ahead(h, now)
        return hit

    async def resolve_session(self, token: str) -> Principal | None:
        """Return the principal of a live session; None if unknown, expired or user disabled.

        Cached (see :mod:`smartpdu.access.cache`); a miss reads the store in one worker-thread
        hop, single-flight: concurrent requests with the same token share one read. A request
        that starts after a forget never joins a read that started before it."""
        if not token or len(token) > 512:
            return None
        h = token_hash(token)
        now = self._clock()
        hit = self._cache.token(h, now)
        if hit is not None:
            self._refresh_ahead(h, now)
            return hit
        return await asyncio.shield(self._resolution(h, now, asyncio.get_running_loop()))

    def _resolution(
        self, h: str, now: datetime, loop: asyncio.AbstractEventLoop
    ) -> asyncio.Future[Principal | None]:
        """The store read of token hash ``h``: the one in flight since the last forget, else a
        new one."""
        key = (h, self._cache.epoch)
        task = self._resolving.get(key)
        if task is None or task.get_loop() is not loop:
            task = loop.create_task(self._resolve(h, now, key[1]), name="smartpdu-resolve-session")
            self._resolving[key] = task
            task.add_done_callback(lambda t: self._resolved(key, t))
        return task

    def _refresh_ahead(self, h: str, now: datetime) -> None:
        """Start re-reading a cached resolution that is about to end (see SESSION_REFRESH_AHEAD)."""
        if not self._cache.token_ends_within(h, now, SESSION_REFRESH_AHEAD):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # called outside a loop: the entry simply ends
            return
        self._resolution(h, now, loop)

    def _resolved(self, key: tuple[str, int], task: asyncio.Future[Principal | None]) -> None:
        self._resolving.pop(key, None)
        if not task.cancelled():
            task.exception()  # retrieved: the awaiting requests re-raise it

    async def _resolve(self, h: str, now: datetime, epoch: int) -> Principal | None:
        principal, until = await asyncio.to_thread(self._read_session, h, now)
        if principal is not None:
            self._cache.put_token(h, principal, until, epoch)
        else:  # gone or disabled (also when a refresh ahead finds it so): not trusted any more
            self._cache.drop_token(h)
        return principal

    def _read_session(self, h: str, now: datetime) -> tuple[Principal | None, datetime]:
        """The session's principal and how long to trust it (an expired session is deleted)."""
        session = self._store.get_session(h)
        if session is None:
            return None, now
        if session.expires_utc <= now:
            self._store.delete_session(session.token_hash)
            return None, now
        rec = self._store.get_user(session.username)
        if rec is None or rec.disabled:
            return None, now
        until = min(now + SESSION_CACHE, session.expires_utc)
        return Principal(rec.username, Role(rec.role)), until

    async def end_session(self, token: str, *, interface: str = "api") -> bool:
        """Log out: delete the session; audit USER_LOGOUT; return whether it existed."""
        h = token_hash(token)
        self._cache.forget_token(h)
        session = await asyncio.to_thread(self._store.get_session, h)
        if session is None:
            return False
        await asyncio.to_thread(self._sessions.remove, h)
        self._cache.forget_token(h)  # again: a resolution that read the session meanwhile
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
