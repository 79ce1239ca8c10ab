"""Pydantic request models of the native API: what clients may send, validated at the edge.

Kept apart from the response models (:mod:`smartpdu.api.schemas`, generated from the metric
catalogue) because requests follow different rules: they are what an attacker controls.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from smartpdu.access import Role

__all__ = [
    "CommandBody",
    "EnergyResetBody",
    "LoginRequest",
    "UserCreate",
    "UserUpdate",
]


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class UserCreate(BaseModel):
    username: str = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9][a-z0-9._-]{0,31}$")
    password: str = Field(min_length=8, max_length=256)
    role: Role


class UserUpdate(BaseModel):
    role: Role | None = None
    password: str | None = Field(None, min_length=8, max_length=256)
    disabled: bool | None = None


class CommandBody(BaseModel):
    command_id: str | None = Field(
        None,
        min_length=1,
        max_length=128,
        description="Idempotency key (same as the Idempotency-Key header)",
    )
    off_period_s: float | None = Field(None, ge=0, le=3600, description="For cycle")


class EnergyResetBody(BaseModel):
    channel: str | None = Field(
        None, max_length=64, description="One channel (e.g. `outlet/7`); all of the PDU if absent"
    )
