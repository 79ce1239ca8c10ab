"""Redfish errors for the one password policy: the Base message plus the policy's own words.

The Base registry's ``PasswordIncorrectLength`` / ``PasswordComplexityNotMet`` say only *that* a
password was refused; the policy message (the same text the native API returns) goes into the
message's ``Resolution``, so both interfaces tell the user the same rule.
"""

from __future__ import annotations

from typing import Any, TypeGuard

from smartpdu.access import PolicyError
from smartpdu.redfish.errors import RedfishError

__all__ = ["PasswordPolicyError", "is_password_policy_error"]


def is_password_policy_error(exc: BaseException) -> TypeGuard[PolicyError]:
    """Whether ``exc`` is a password (not user-name format) policy refusal."""
    return isinstance(exc, PolicyError) and exc.rule != "username"


class PasswordPolicyError(RedfishError):
    """400 with the Base message for the broken rule and the policy text as the resolution."""

    def __init__(self, exc: PolicyError) -> None:
        key = "PasswordIncorrectLength" if exc.rule == "length" else "PasswordComplexityNotMet"
        super().__init__(400, key, related=("#/Password",))
        self.policy = str(exc)

    def body(self) -> dict[str, Any]:
        out = super().body()
        text = self.policy[:1].upper() + self.policy[1:] + "."
        out["error"]["message"] = f"{out['error']['message']} {text}"
        out["error"]["@Message.ExtendedInfo"][0]["Resolution"] = text
        return out
