"""Pydantic request models of the native API: what clients may send, validated at the edge.

Kept apart from the response models (:mod:`smartpdu.api.schemas`, generated from the metric
catalogue) because requests follow different rules: they are what an attacker controls. Every
model is strict (no coercion: ``"5"`` or ``true`` is not a number, ``"yes"`` is not a boolean)
and refuses unknown fields, and every string has a maximum length. Passwords are checked by the
one policy (:func:`smartpdu.access.check_password_policy`), not here, so REST and Redfish report
the same rule.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from smartpdu.access import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, Role

__all__ = [
    "CommandBody",
    "EnergyResetBody",
    "LoginRequest",
    "StrictRequest",
    "UserCreate",
    "UserUpdate",
]


class StrictRequest(BaseModel):
    """Base of request bodies: exact JSON types, no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid")


class LoginRequest(StrictRequest):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)


# The policy's length rule, shown in the OpenAPI document (so clients and fuzzers know it) but
# enforced by the policy itself, whose message is the same on REST and Redfish.
_POLICY_SCHEMA: JsonDict = {"minLength": MIN_PASSWORD_LENGTH}
_POLICY_TEXT = (
    f"Checked by the password policy: at least {MIN_PASSWORD_LENGTH} characters, not the user "
    "name, not on the list of common passwords"
)


class UserCreate(StrictRequest):
    username: str = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9][a-z0-9._-]{0,31}$")
    password: str = Field(
        max_length=MAX_PASSWORD_LENGTH, description=_POLICY_TEXT, json_schema_extra=_POLICY_SCHEMA
    )
    role: Role = Field(strict=False)  # a JSON string naming the role


class UserUpdate(StrictRequest):
    role: Role | None = Field(None, strict=False)
    password: str | None = Field(
        None,
        max_length=MAX_PASSWORD_LENGTH,
        description=_POLICY_TEXT,
        json_schema_extra=_POLICY_SCHEMA,
    )
    disabled: bool | None = None


class CommandBody(StrictRequest):
    command_id: str | None = Field(
        None,
        min_length=1,
        max_length=128,
        description="Idempotency key (same as the Idempotency-Key header)",
    )
    off_period_s: float | None = Field(None, ge=0, le=3600, description="For cycle")


class EnergyResetBody(StrictRequest):
    channel: str | None = Field(
        None, max_length=64, description="One channel (e.g. `outlet/7`); all of the PDU if absent"
    )
