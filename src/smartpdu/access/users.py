"""User administration of :class:`~smartpdu.access.service.AuthService`: accounts, roles,
passwords; every change audited, and every change of a user drops that user's cached
credentials at once (on every interface).

:class:`UserAdmin` is a part the service owns (composition): it is handed the store, the clock,
the shared credential cache, the service's audit emitter and its password hasher (argon2 on the
service's bounded executor), so both sides name exactly what they share.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import datetime
from typing import Protocol

from smartpdu.access.cache import PrincipalCache
from smartpdu.access.errors import LastAdminError, UserExistsError, UserNotFoundError
from smartpdu.access.passwords import check_password_policy, check_username
from smartpdu.access.records import UserInfo
from smartpdu.access.repository import AccountStore
from smartpdu.access.roles import Role
from smartpdu.events.codes import EventCode
from smartpdu.events.model import Action, JsonScalar
from smartpdu.model.accounts import UserRecord
from smartpdu.model.errors import ConflictError, NotFoundError

__all__ = ["AuditEmitter", "UserAdmin"]


class AuditEmitter(Protocol):
    """Append one user/login audit event (the service's ``_emit``)."""

    async def __call__(
        self,
        code: EventCode,
        subject: str,
        message: str,
        *,
        actor: str | None,
        action: Action,
        evidence: Mapping[str, JsonScalar] | None = None,
    ) -> None: ...


def _info(rec: UserRecord) -> UserInfo:
    return UserInfo(rec.username, Role(rec.role), rec.created_utc, rec.disabled)


class UserAdmin:
    """Account management; the owning service provides store, clock, cache, audit and hashing."""

    def __init__(
        self,
        store: AccountStore,
        clock: Callable[[], datetime],
        cache: PrincipalCache,
        emit: AuditEmitter,
        hash_password: Callable[[str], Awaitable[str]],
    ) -> None:
        self._store = store
        self._clock = clock
        self._cache = cache
        self._emit = emit
        self._hash = hash_password
        self._locks: dict[str, asyncio.Lock] = {}

    async def _get(self, username: str) -> UserRecord:
        rec = await asyncio.to_thread(self._store.get_user, username)
        if rec is None:
            raise UserNotFoundError(f"no user named {username!r}")
        return rec

    async def _enabled_admins(self) -> list[str]:
        users = await asyncio.to_thread(self._store.list_users)
        return [u.username for u in users if u.role == Role.ADMIN and not u.disabled]

    async def list_users(self) -> list[UserInfo]:
        return [_info(u) for u in await asyncio.to_thread(self._store.list_users)]

    async def get_user(self, username: str) -> UserInfo:
        return _info(await self._get(username))

    async def create(
        self, username: str, password: str, role: Role, *, actor: str, first_run: bool = False
    ) -> UserInfo:
        """Create an account (audited USER_CREATED; ``first_run`` marks the provisioning)."""
        check_username(username)
        check_password_policy(password, username)
        role = Role(role)
        encoded = await self._hash(password)
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
        return await self.create(username, password, role, actor=actor)

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
            check_password_policy(password, username)
        was_admin = rec.role == Role.ADMIN and not rec.disabled
        demoted = was_admin and (new_role != Role.ADMIN or new_disabled)
        if demoted and await self._enabled_admins() == [username]:
            raise LastAdminError(
                f"{username!r} is the only enabled admin: create another admin first"
            )
        encoded = await self._hash(password) if password else None
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
        self._cache.forget_user(username)
        shrinks = password is not None or new_disabled or "role_to" in changes
        if shrinks:
            await asyncio.to_thread(self._store.delete_user_sessions, username)
            self._cache.forget_user(username)  # again: nothing read before the delete is kept
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
        self._cache.forget_user(username)
        existed = await asyncio.to_thread(self._store.delete_user, username)
        self._cache.forget_user(username)  # again: nothing read before the delete is kept
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
