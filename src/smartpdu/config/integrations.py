"""Configuration of the industrial-protocol interfaces: SNMP agent (later Modbus TCP, OPC UA).

Secrets never live in the rack configuration (every viewer may read it over REST): SNMPv3 keys
and the v2c community are read from environment variables whose *names* the configuration holds,
so the YAML can be versioned, diffed and shown without leaking a key.
"""

from __future__ import annotations

from ipaddress import ip_address
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "ModbusConfig",
    "OpcUaConfig",
    "OpcUaUserConfig",
    "SnmpConfig",
    "SnmpTrapReceiver",
    "SnmpUserConfig",
]

_NAME = r"^[A-Za-z][A-Za-z0-9_.-]{0,31}$"
_ENV = r"^[A-Z_][A-Z0-9_]{0,127}$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SnmpUserConfig(_Model):
    """One SNMPv3 USM user. Keys come from the environment (``auth_key_env``/``priv_key_env``,
    at least 8 characters each, RFC 3414); a user configured without them stops the agent from
    starting with an error that names the variable."""

    name: str = Field(pattern=_NAME)
    role: Literal["viewer", "operator", "admin"] = "viewer"
    """viewer: read only; operator: may also switch outlets (``outletControl``); admin: may
    also rename outlets (``outletName``, a configuration change)."""
    auth: Literal["SHA-256", "SHA-512"] = "SHA-256"
    priv: Literal["AES-128", "AES-256"] = "AES-128"
    auth_key_env: str | None = Field(None, pattern=_ENV)
    """Default ``SMARTPDU_SNMP_<NAME>_AUTH`` (name upper-cased, ``-``/``.`` as ``_``)."""
    priv_key_env: str | None = Field(None, pattern=_ENV)
    """Default ``SMARTPDU_SNMP_<NAME>_PRIV``."""

    def env_names(self) -> tuple[str, str]:
        stem = "SMARTPDU_SNMP_" + self.name.upper().replace("-", "_").replace(".", "_")
        return (self.auth_key_env or f"{stem}_AUTH", self.priv_key_env or f"{stem}_PRIV")


class SnmpTrapReceiver(_Model):
    """Where SNMPv3 notifications go (authPriv with the keys of ``user``)."""

    host: str = Field(min_length=1, max_length=253)
    port: int = Field(162, ge=1, le=65535)
    user: str = Field(pattern=_NAME)
    """A configured SNMP user whose keys secure the notifications."""
    inform: bool = False
    """Send acknowledged informs (retried) instead of traps."""
    retries: int = Field(3, ge=0, le=10)
    timeout_s: float = Field(1.5, gt=0, le=30)


class SnmpConfig(_Model):
    """The SNMP agent (SMARTPDU-MIB, MIB-2 system group). Off unless ``enabled``."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(161, ge=1, le=65535)
    enterprise: int = Field(32473, ge=1, le=4294967295)
    """IANA Private Enterprise Number under which SMARTPDU-MIB is served. 32473 is the RFC 5612
    documentation placeholder until a PEN is registered; regenerate the MIB with the same
    number (docs/snmp.md)."""
    contact: str = Field("", max_length=255)
    """sysContact."""
    users: list[SnmpUserConfig] = []
    v2c: bool = False
    """Serve SNMPv2c, read only, with the community from ``v2c_community_env``; never the
    default ``public``/``private``."""
    v2c_community_env: str = Field("SMARTPDU_SNMP_COMMUNITY", pattern=_ENV)
    trap_receivers: list[SnmpTrapReceiver] = []

    @field_validator("users")
    @classmethod
    def _unique_users(cls, users: list[SnmpUserConfig]) -> list[SnmpUserConfig]:
        names = [u.name for u in users]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"SNMP user names must be unique: {', '.join(dup)}")
        return users

    @model_validator(mode="after")
    def _receivers_use_known_users(self) -> SnmpConfig:
        known = {u.name for u in self.users}
        for i, r in enumerate(self.trap_receivers):
            if r.user not in known:
                raise ValueError(
                    f"trap_receivers[{i}].user {r.user!r} is not one of the SNMP users "
                    f"({', '.join(sorted(known)) or 'none configured'})"
                )
        if self.enabled and not self.users and not self.v2c:
            raise ValueError("the SNMP agent is enabled with no user: add an SNMPv3 user")
        return self


class ModbusConfig(_Model):
    """Modbus TCP server (register map: docs/modbus.md). Off unless ``enabled``; read only
    unless ``coils`` is on, and then only for the client addresses in ``write_clients``."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(502, ge=1, le=65535)
    coils: bool = False
    """Let allowed clients switch outlets by writing coils (audited as ``modbus/<address>``)."""
    write_clients: list[str] = []
    """IP addresses allowed to write coils (exact addresses, no networks)."""

    @field_validator("write_clients")
    @classmethod
    def _addresses(cls, clients: list[str]) -> list[str]:
        out = []
        for c in clients:
            try:
                out.append(str(ip_address(c)))
            except ValueError:
                raise ValueError(f"{c!r} is not an IP address") from None
        return out

    @model_validator(mode="after")
    def _coils_need_clients(self) -> ModbusConfig:
        if self.coils and not self.write_clients:
            raise ValueError("coils are enabled with no write_clients: list the allowed addresses")
        return self


class OpcUaUserConfig(_Model):
    """An OPC UA user (username token; anonymous access is off). The password comes from the
    environment (``password_env``, default ``SMARTPDU_OPCUA_<NAME>_PASSWORD``, ≥ 12 chars)."""

    name: str = Field(pattern=_NAME)
    role: Literal["viewer", "operator", "admin"] = "viewer"
    """viewer: browse and read; operator/admin: also call the outlet methods (when enabled)."""
    password_env: str | None = Field(None, pattern=_ENV)

    def env_name(self) -> str:
        stem = self.name.upper().replace("-", "_").replace(".", "_")
        return self.password_env or f"SMARTPDU_OPCUA_{stem}_PASSWORD"


class OpcUaConfig(_Model):
    """OPC UA server: Basic256Sha256 Sign&Encrypt only, a self-signed certificate generated in
    the data directory, username logins only. Off unless ``enabled``."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(4840, ge=1, le=65535)
    users: list[OpcUaUserConfig] = []
    methods: bool = False
    """Expose On/Off/Cycle methods on outlets (operators and admins only, audited)."""
    publish_interval_s: float = Field(1.0, ge=0.2, le=60)
    """How often variables are refreshed from the latest snapshot."""

    @model_validator(mode="after")
    def _needs_users(self) -> OpcUaConfig:
        names = [u.name for u in self.users]
        if len(names) != len(set(names)):
            raise ValueError("OPC UA user names must be unique")
        if self.enabled and not self.users:
            raise ValueError("the OPC UA server is enabled with no user (anonymous access is off)")
        return self
