"""Rack access at the runtime: lever commands, keypad/card entries, the access log.

Every way to open a rack lever ends here: REST/Redfish/CLI unlocks (an authenticated principal),
keypad and card-reader entries read with a window (:class:`~smartpdu.hardware.ReaderEntry`),
the emergency unlock at ``FIRE_ALARM``. The desk asks the pure gate (:mod:`smartpdu.access.
lever_gate`: role, schedule, lock-down, two-person rule, keypad lockout), drives the lever,
audits the decision (``ACCESS_GRANTED`` / ``ACCESS_PENDING`` / ``ACCESS_DENIED``) and writes the
access log. What the lever then *did* (unlocked, opened, closed, relocked, forced) is observed
from its readings each tick by :class:`~smartpdu.runtime.stages.levers.LeverStage`, which shares
this desk's :class:`~smartpdu.access.lever_watch.LeverWatch`.

All methods run on the runtime's tick thread (the engine serialises them with the ticks), so
hardware calls never race the acquisition. Secrets: PINs are argon2id hashes, card ids keyed
HMAC-SHA256 digests (key ``access.key`` in the data dir, mode 0600); neither is ever logged or
put into an event.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from smartpdu.access.lever_gate import Decision, KeypadLockout, TwoPersonRule, decide
from smartpdu.access.lever_watch import Grant, LeverWatch
from smartpdu.access.passwords import dummy_hash, hash_password, verify_password
from smartpdu.access.roles import Permission, Principal, Role
from smartpdu.access.schedule import ScheduleError, parse_window, zone
from smartpdu.config import RackConfig
from smartpdu.config.access import AccessConfig
from smartpdu.events import EventLog
from smartpdu.events.model import Action, JsonScalar, NewEvent, format_timestamp
from smartpdu.hardware import LeverAction, RackHardware, ReaderEntry
from smartpdu.model.access import AccessEntry, AccessMethod, AccessResult, LeverCredential
from smartpdu.storage import Store

__all__ = [
    "ACCESS_KEY_FILENAME",
    "CredentialError",
    "LeverDesk",
    "LeverOutcome",
    "LeverRequest",
    "card_digest_key",
]

log = logging.getLogger(__name__)

ACCESS_KEY_FILENAME = "access.key"
LOCKDOWN_KEY = "access/lockdown"
EMERGENCY_ACTOR = "system/fire-response"


class CredentialError(ValueError):
    """A PIN, card or schedule that cannot be stored (the message says what is expected)."""


def card_digest_key(data_dir: Path) -> bytes:
    """The data dir's secret for card digests (created 0600 on first use)."""
    path = Path(data_dir) / ACCESS_KEY_FILENAME
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(32))
    return path.read_bytes()


@dataclass(frozen=True, slots=True)
class LeverRequest:
    """An unlock or lock from an authenticated interface (REST, Redfish, CLI)."""

    lever_id: str
    action: LeverAction
    principal: Principal
    method: AccessMethod = AccessMethod.API
    hold_s: float | None = None
    command_id: str | None = None


@dataclass(frozen=True, slots=True)
class LeverOutcome:
    lever_id: str
    action: str
    status: str
    """``unlocked``, ``locked``, ``pending`` (two-person rule: one more person) or ``denied``."""
    reason: str
    actor: str
    hold_s: float | None = None
    command_id: str | None = None


class LeverDesk:
    """Decide, drive and audit lever access; the access log's single writer."""

    def __init__(
        self,
        config: RackConfig,
        hardware: RackHardware,
        store: Store,
        events: EventLog,
        card_key: bytes,
    ) -> None:
        self._hw = hardware
        self._store = store
        self._events = events
        self._key = card_key
        self.config = config
        cfg = config.access
        self.watch = LeverWatch(cfg.door_open_too_long_s)
        self._lockout = KeypadLockout(cfg.keypad_max_failures, cfg.keypad_lockout_s)
        self._two = TwoPersonRule(cfg.two_person_window_s)
        self.lockdown = store.kv_get(LOCKDOWN_KEY) == "1"
        self._dummy: str | None = None

    # -- configuration ------------------------------------------------------------------------
    @property
    def policy(self) -> AccessConfig:
        return self.config.access

    def reconfigure(self, config: RackConfig) -> None:
        """A new configuration: keep state, take the new limits."""
        if config.access != self.config.access:
            cfg = config.access
            self.watch.too_long_s = cfg.door_open_too_long_s
            self._lockout.max_failures, self._lockout.lockout_s = (
                cfg.keypad_max_failures,
                cfg.keypad_lockout_s,
            )
            self._two.window_s = cfg.two_person_window_s
        self.config = config

    def _pdu(self) -> str:
        return self.config.pdus[0].id

    def _lever_ids(self) -> list[str]:
        return [lv.id for lv in self.config.levers]

    def _check_lever(self, lever_id: str) -> None:
        if lever_id not in self._lever_ids():
            known = ", ".join(self._lever_ids()) or "none"
            raise KeyError(f"no lever {lever_id!r}; levers: {known}")

    # -- events and the access log ------------------------------------------------------------
    def event(
        self,
        code: str,
        lever_id: str,
        message: str,
        *,
        actor: str | None,
        action: Action = Action.NONE,
        reason: str | None = None,
        evidence: dict[str, JsonScalar] | None = None,
        command_id: str | None = None,
        source: str | None = None,
    ) -> NewEvent:
        return NewEvent(pdu_id=self._pdu(), source=source or f"lever/{lever_id}",
                        event_code=code, message=message, action_taken=action,
                        reason_code=reason, evidence=evidence or {}, actor=actor,
                        command_id=command_id)  # fmt: skip

    def log_entry(self, entry: AccessEntry) -> int:
        return self._store.access.append_access(entry)

    def update_visit(
        self,
        entry_id: int,
        *,
        opened_utc: str | None = None,
        closed_utc: str | None = None,
        open_s: float | None = None,
    ) -> None:
        self._store.access.update_access(entry_id, opened_utc, closed_utc, open_s)

    def lock(self, lever_id: str, actor: str, reason: str, command_id: str | None = None) -> None:
        """Drive a lock; the watch attributes the relock it then sees to ``actor``."""
        self._hw.operate_lever(lever_id, LeverAction.LOCK)
        self.watch.lock_requested(lever_id, actor, command_id, reason)

    def _now(self, now_utc: datetime) -> str:
        return format_timestamp(now_utc)

    # -- commands -----------------------------------------------------------------------------
    def execute(self, req: LeverRequest, t_s: float, now_utc: datetime) -> LeverOutcome:
        """An interface's unlock or lock (tick thread); KeyError for an unknown lever."""
        self._check_lever(req.lever_id)
        p = req.principal
        if req.action is LeverAction.LOCK:
            if not p.can(Permission.UNLOCK):
                return self._deny(req.lever_id, p.actor, req.method, "NO_PERMISSION", now_utc,
                                  req.command_id, action="lock")  # fmt: skip
            self.lock(req.lever_id, p.actor, "LOCK_COMMAND", req.command_id)
            return LeverOutcome(req.lever_id, "lock", "locked", "LOCK_COMMAND", p.actor,
                                command_id=req.command_id)  # fmt: skip
        cred = self._store.access.get_credential(p.username)
        return self._unlock(req.lever_id, p, cred, req.method, req.hold_s, req.command_id,
                            t_s, now_utc)  # fmt: skip

    def _unlock(
        self,
        lever_id: str,
        p: Principal,
        cred: LeverCredential | None,
        method: AccessMethod,
        hold_s: float | None,
        command_id: str | None,
        t_s: float,
        now_utc: datetime,
    ) -> LeverOutcome:
        decision: Decision = decide(p, cred, now_utc, lockdown=self.lockdown)
        if not decision.granted:
            return self._deny(lever_id, p.actor, method, decision.reason, now_utc, command_id)
        hold = min(hold_s if hold_s is not None else self._auto_relock(lever_id),
                   self.policy.max_unlock_s)  # fmt: skip
        second: str | None = None
        if lever_id in self.policy.two_person_levers:
            first = self._two.present(lever_id, p.actor, t_s)
            if first is None:
                ts = self._now(now_utc)
                self.log_entry(AccessEntry(ts, lever_id, p.actor, method, AccessResult.PENDING,
                                           "TWO_PERSON_FIRST", command_id=command_id))  # fmt: skip
                self._events.append(self.event(
                    "ACCESS_PENDING", lever_id,
                    f"{lever_id}: {p.actor} presented ({method}); a second person must follow "
                    f"within {self.policy.two_person_window_s:g} s",
                    actor=p.actor, reason="TWO_PERSON_FIRST", command_id=command_id,
                    evidence={"method": str(method),
                              "window_s": self.policy.two_person_window_s},
                ))  # fmt: skip
                return LeverOutcome(lever_id, "unlock", "pending", "TWO_PERSON_FIRST", p.actor,
                                    hold, command_id)  # fmt: skip
            second = first
        return self.grant(lever_id, p.actor, method, hold, command_id, t_s, now_utc,
                          reason="TWO_PERSON" if second else "GRANTED", with_actor=second)  # fmt: skip

    def grant(
        self,
        lever_id: str,
        actor: str,
        method: AccessMethod,
        hold_s: float,
        command_id: str | None,
        t_s: float,
        now_utc: datetime,
        *,
        reason: str = "GRANTED",
        with_actor: str | None = None,
        drive: bool = True,
    ) -> LeverOutcome:
        """Drive the unlock, audit ``ACCESS_GRANTED``, open the visit's access-log row."""
        if drive:
            self._hw.operate_lever(lever_id, LeverAction.UNLOCK, hold_s)
        ts = self._now(now_utc)
        who = f"{actor} with {with_actor}" if with_actor else actor
        entry_id = self.log_entry(AccessEntry(ts, lever_id, who, method, AccessResult.GRANTED,
                                              reason, command_id=command_id))  # fmt: skip
        self.watch.grant(lever_id, Grant(actor, method, t_s, command_id, entry_id))
        ev: dict[str, JsonScalar] = {"method": str(method), "unlock_s": hold_s}
        if with_actor:
            ev["second_person"] = with_actor
        self._events.append(self.event(
            "ACCESS_GRANTED", lever_id,
            f"{lever_id} unlocked for {who} ({method}) for {hold_s:g} s",
            actor=actor, action=Action.UNLOCK, reason=reason, evidence=ev,
            command_id=command_id,
        ))  # fmt: skip
        return LeverOutcome(lever_id, "unlock", "unlocked", reason, actor, hold_s, command_id)

    def _deny(
        self,
        lever_id: str,
        actor: str,
        method: AccessMethod,
        reason: str,
        now_utc: datetime,
        command_id: str | None,
        *,
        action: str = "unlock",
        extra: dict[str, JsonScalar] | None = None,
    ) -> LeverOutcome:
        ts = self._now(now_utc)
        self.log_entry(AccessEntry(ts, lever_id, actor, method, AccessResult.DENIED, reason,
                                   command_id=command_id))  # fmt: skip
        self._events.append(self.event(
            "ACCESS_DENIED", lever_id, f"{lever_id}: {action} by {actor} ({method}) denied: "
            f"{reason}", actor=actor, action=Action.DENY, reason=reason,
            evidence={"method": str(method), **(extra or {})}, command_id=command_id,
        ))  # fmt: skip
        return LeverOutcome(lever_id, action, "denied", reason, actor, command_id=command_id)

    def _auto_relock(self, lever_id: str) -> float:
        lever = next(lv for lv in self.config.levers if lv.id == lever_id)
        return float(lever.auto_relock_s)

    # -- keypad and card reader ---------------------------------------------------------------
    def card_digest(self, card: str) -> str:
        return hmac.new(self._key, card.strip().upper().encode(), hashlib.sha256).hexdigest()

    def present(self, entry: ReaderEntry, t_s: float, now_utc: datetime) -> LeverOutcome:
        """One keypad/card presentation (tick thread): verify, then the same rules as any unlock."""
        lever_id, reader = entry.lever_id, entry.reader_id
        method = AccessMethod.CARD if entry.card else AccessMethod.PIN
        claimed = f"user/{entry.user}" if entry.user else "unknown"
        if lever_id not in self._lever_ids():
            log.warning("reader %s names unknown lever %r", reader, lever_id)
            return LeverOutcome(lever_id, "unlock", "denied", "UNKNOWN_LEVER", claimed)
        if self._lockout.locked(reader, t_s):
            return self._deny(lever_id, claimed, method, "KEYPAD_LOCKED_OUT", now_utc, None,
                              extra={"reader": reader})  # fmt: skip
        cred = self._verify(entry)
        if cred is None:
            out = self._deny(lever_id, claimed, method,
                             "BAD_CARD" if entry.card else "BAD_PIN", now_utc, None,
                             extra={"reader": reader})  # fmt: skip
            if self._lockout.failure(reader, t_s):
                self._events.append(self.event(
                    "KEYPAD_LOCKED_OUT", lever_id,
                    f"reader {reader}: {self._lockout.max_failures} wrong entries in a row; "
                    f"entries refused for {self._lockout.lockout_s:g} s",
                    actor=None, action=Action.LOCK, reason="BRUTE_FORCE",
                    evidence={"reader": reader, "failures": self._lockout.max_failures,
                              "lockout_s": self._lockout.lockout_s},
                    source=f"reader/{reader}",
                ))  # fmt: skip
            return out
        self._lockout.success(reader)
        user = self._store.get_user(cred.username)
        if user is None or user.disabled:
            return self._deny(lever_id, f"user/{cred.username}", method, "USER_DISABLED",
                              now_utc, None, extra={"reader": reader})  # fmt: skip
        principal = Principal(user.username, Role(user.role))
        return self._unlock(lever_id, principal, cred, method, None, None, t_s, now_utc)

    def _verify(self, entry: ReaderEntry) -> LeverCredential | None:
        """The credential the entry proves, or None (wrong or unknown: the same answer, and the
        same argon2 work, so timing does not tell which users exist)."""
        if entry.card:
            return self._store.access.credential_by_card(self.card_digest(entry.card))
        cred = self._store.access.get_credential(entry.user) if entry.user else None
        pin = entry.pin or ""
        if cred is None or cred.pin_hash is None:
            if self._dummy is None:
                self._dummy = dummy_hash()
            verify_password(self._dummy, pin)
            return None
        return cred if verify_password(cred.pin_hash, pin) else None

    # -- credentials (admin) ------------------------------------------------------------------
    def set_credentials(
        self,
        username: str,
        *,
        pin: str | None,
        card: str | None,
        schedule: tuple[str, ...] | None,
        tz: str | None,
        clear_pin: bool,
        clear_card: bool,
        actor: str,
        now_utc: datetime,
    ) -> LeverCredential:
        """Create or change a user's PIN, card and schedule (audited; secrets never logged).
        ``KeyError`` for an unknown user, :class:`CredentialError` for a bad value."""
        if self._store.get_user(username) is None:
            raise KeyError(f"no user {username!r}")
        old = self._store.access.get_credential(username) or LeverCredential(username)
        if pin is not None and not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 12):
            raise CredentialError("a PIN is 4 to 12 digits")
        if card is not None and not (card.strip() and len(card) <= 64 and card.isprintable()):
            raise CredentialError("a card id is 1 to 64 printable characters")
        windows = old.schedule if schedule is None else tuple(schedule)
        zone_name = old.tz if tz is None else tz
        try:
            for w in windows:
                parse_window(w)
            zone(zone_name)
        except ScheduleError as exc:
            raise CredentialError(str(exc)) from None
        pin_hash = None if clear_pin else (hash_password(pin) if pin else old.pin_hash)
        digest = None if clear_card else (self.card_digest(card) if card else old.card_digest)
        new = LeverCredential(username, pin_hash, digest, windows, zone_name,
                              self._now(now_utc))  # fmt: skip
        self._store.access.save_credential(new)
        changed = [k for k, v in (("pin", pin is not None or clear_pin),
                                  ("card", card is not None or clear_card),
                                  ("schedule", schedule is not None or tz is not None)) if v]  # fmt: skip
        self._events.append(NewEvent(
            pdu_id=self._pdu(), source=f"user/{username}", event_code="ACCESS_CREDENTIALS_CHANGED",
            message=f"lever credentials of {username} changed: {', '.join(changed) or 'none'}",
            action_taken=Action.CONFIG, reason_code="CREDENTIALS", actor=actor,
            evidence={"changed": ",".join(changed), "has_pin": new.pin_hash is not None,
                      "has_card": new.card_digest is not None, "windows": len(windows),
                      "tz": zone_name},
        ))  # fmt: skip
        return new

    # -- lock-down ----------------------------------------------------------------------------
    def start_lockdown(self, cause: str, now_utc: datetime) -> list[NewEvent]:
        """Lock every lever and refuse unlocks (admins and the fire response excepted)."""
        if self.lockdown:
            return []
        self.lockdown = True
        self._store.kv_set(LOCKDOWN_KEY, "1")
        for lv in self._lever_ids():
            self.lock(lv, "system/lockdown", "LOCKDOWN")
        return [self.event(
            "ACCESS_LOCKDOWN", "rack", f"rack locked down after {cause}: unlocks refused until "
            "an administrator lifts the lock-down", actor="system/lockdown", action=Action.LOCK,
            reason=cause, evidence={"cause": cause, "levers": ",".join(self._lever_ids())},
            source="rack",
        )]  # fmt: skip

    def lift_lockdown(self, principal: Principal) -> bool:
        """End a lock-down (admin); False if none was active. Audited."""
        if principal.role is not Role.ADMIN:
            raise PermissionError("only an administrator lifts a lock-down")
        if not self.lockdown:
            return False
        self.lockdown = False
        self._store.kv_delete(LOCKDOWN_KEY)
        self._events.append(self.event(
            "ACCESS_LOCKDOWN_LIFTED", "rack", f"lock-down lifted by {principal.actor}",
            actor=principal.actor, action=Action.UNLOCK, reason="LOCKDOWN_LIFTED", source="rack",
        ))  # fmt: skip
        return True
