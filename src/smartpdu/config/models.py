"""Pydantic models of a rack: PDUs, inlets, branches, outlets, sensors, levers and devices.

The YAML file is the single source of truth for a rack. Field names carry SI units (``rating_a``,
``nominal_voltage_v``); ids are stable strings used in every API (``outlet/7``, ``branch/B1``).
Cross-references (PSU → PDU/outlet, outlet → branch, ...) are checked in ``references.py`` so that
every bad field is reported with its own path.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from smartpdu.config.access import AccessConfig
from smartpdu.config.alarms import AlarmsConfig
from smartpdu.config.delivery import DeliveryConfig
from smartpdu.config.integrations import ModbusConfig, OpcUaConfig, SnmpConfig
from smartpdu.config.safety import SafetyConfig

__all__ = [
    "BranchConfig",
    "BreakerConfig",
    "ConnectorType",
    "ControllerConfig",
    "DeviceConfig",
    "LeverConfig",
    "LoadKind",
    "LoadModelConfig",
    "LoadStep",
    "MccbConfig",
    "OutletConfig",
    "PduConfig",
    "PowerUpState",
    "Priority",
    "PsuConfig",
    "RackConfig",
    "RackInfo",
    "SensorConfig",
    "SensorKind",
    "SequencingConfig",
    "StorageConfig",
]

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


class Priority(StrEnum):
    CRITICAL = "critical"
    NORMAL = "normal"
    LOW = "low"


class PowerUpState(StrEnum):
    ON = "on"
    OFF = "off"
    LAST = "last"


class ConnectorType(StrEnum):
    C13 = "C13"
    C19 = "C19"
    CX = "Cx"
    """Hybrid outlet accepting C14 and C20 plugs."""


class SensorKind(StrEnum):
    TEMPERATURE = "temperature"
    HUMIDITY = "humidity"
    VOC = "voc"
    VIBRATION = "vibration"
    DOOR = "door"
    SMOKE = "smoke"


class LoadKind(StrEnum):
    ACTIVE_PFC = "active_pfc"
    """Server PSU with active power-factor correction (PF 0.95-0.99, THD-I 5-15 %)."""
    NON_PFC = "non_pfc"
    """Capacitor-input SMPS without PFC (crest 2.5-3, THD-I 60-120 %)."""
    GPU = "gpu"
    """Active-PFC node whose power steps fast between idle and full load."""
    RESISTIVE = "resistive"


def _one_of(*allowed: float) -> AfterValidator:
    """Accept only the listed settings (DIP-switch positions), naming them in the error."""

    def check(value: float) -> float:
        if not any(abs(value - a) < 1e-9 for a in allowed):
            raise ValueError(f"must be one of {', '.join(f'{a:g}' for a in allowed)}")
        return value

    return AfterValidator(check)


IrSetting = Annotated[float, _one_of(0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)]
TrSetting = Annotated[float, _one_of(3, 6, 12, 18)]
IsdSetting = Annotated[float, _one_of(1.5, 2, 3, 4, 5, 6, 8)]
TimeSetting = Annotated[float, _one_of(0.1, 0.2, 0.3, 0.4)]
IiSetting = Annotated[float, _one_of(1.5, 2, 3, 4, 6, 8, 10, 12)]
NeutralSetting = Annotated[float, _one_of(0.5, 1.0)]


class MccbConfig(_Model):
    """Inlet moulded-case breaker with LSI settings (StageSmarts DIP-switch values, multiples of In)."""

    ir_x: IrSetting = 1.0
    tr_s: TrSetting = 6
    isd_x: IsdSetting | None = 6
    """Short-time pickup; ``null`` switches the short-time protection OFF."""
    tsd_s: TimeSetting = 0.3
    ii_x: IiSetting = 10
    neutral_x: NeutralSetting | None = None
    neutral_t_s: TimeSetting = 0.4


class BreakerConfig(_Model):
    kind: Literal["MCB", "RCBO"] = "MCB"
    curve: Literal["B", "C", "D"] = "C"
    rating_a: float = Field(16.0, gt=0, le=125)
    residual_ma: float = Field(30.0, gt=0, le=1000)
    """Rated residual operating current IΔn (RCBO only)."""


class BranchConfig(_Model):
    id: Id
    name: str = ""
    line: Literal["L1", "L2", "L3"] = "L1"
    breaker: BreakerConfig = BreakerConfig()


class OutletConfig(_Model):
    id: Id
    name: str = ""
    branch: Id
    connector: ConnectorType = ConnectorType.C13
    rating_a: float = Field(10.0, gt=0, le=32)
    priority: Priority = Priority.NORMAL
    group: str | None = None
    power_on_delay_s: float = Field(0.0, ge=0, le=3600)
    power_up_state: PowerUpState = PowerUpState.LAST
    contact_resistance_mohm: float = Field(2.0, gt=0, le=1000)
    """Terminal/contact resistance when new; ageing raises it (hotspot scenario)."""


class SequencingConfig(_Model):
    init_delay_s: float = Field(2.0, ge=0, le=600)
    """PDU initialisation delay before any outlet is switched on after controller power-up."""
    inrush_guard_delay_s: float = Field(0.2, ge=0, le=60)
    """Minimum gap between two outlet power-ons of a bulk command (limits summed inrush)."""
    feed_restore_stagger_s: float = Field(1.0, ge=0, le=600)


class PduConfig(_Model):
    id: Id
    name: str = ""
    serial: str = Field("", max_length=64)
    """Serial number on the rating plate (inventory; real hardware may report its own)."""
    hardware_revision: str = Field("", max_length=32)
    feed: Literal["A", "B"]
    phases: Literal[1, 3] = 3
    nominal_voltage_v: float = Field(230.0, ge=90, le=280)
    """Line-to-neutral nominal voltage."""
    nominal_frequency_hz: Literal[50, 60] = 50
    inlet_rating_a: float = Field(32.0, gt=0, le=400)
    inlet_breaker: MccbConfig | None = None
    samples_per_cycle: int = Field(128, ge=32, le=1024)
    residual_per_outlet: bool = False
    """The PDU measures each outlet's residual current (a toroid per outlet, as the twin can: one
    PSU's protective-conductor current). None of the market's PDUs does; they monitor the inlet
    and RCBO branches only, which is what ``False`` models."""
    sequencing: SequencingConfig = SequencingConfig()
    branches: list[BranchConfig] = Field(min_length=1)
    outlets: list[OutletConfig] = Field(min_length=1)


class LoadStep(_Model):
    """One step of a repeating load profile (GPU training bursts)."""

    duration_s: float = Field(gt=0)
    load_fraction: float = Field(ge=0, le=1)


class LoadModelConfig(_Model):
    kind: LoadKind = LoadKind.ACTIVE_PFC
    rated_power_w: float = Field(gt=0, le=20000)
    """Input power at full load (all PSUs together)."""
    load_fraction: float = Field(0.5, ge=0, le=1)
    """Initial operating point as a fraction of rated power."""
    idle_fraction: float = Field(0.2, ge=0, le=1)
    profile: list[LoadStep] = []
    """Repeating steps (GPU); empty means constant ``load_fraction``."""
    inrush_peak_a: float = Field(30.0, ge=0, le=200)
    inrush_decay_ms: float = Field(30.0, ge=1, le=500)
    leakage_ma_per_psu: float = Field(0.5, ge=0, le=10)


class PsuConfig(_Model):
    pdu: Id
    outlet: Id
    share: float = Field(0.5, gt=0, le=1)
    """Fraction of the device load this PSU carries while both are healthy (sharing is not 50/50)."""


class DeviceConfig(_Model):
    name: Id
    model: str = ""
    u_position: int = Field(1, ge=1, le=60)
    height_u: int = Field(1, ge=1, le=10)
    tenant: str | None = None
    load: LoadModelConfig
    psus: list[PsuConfig] = Field(min_length=1, max_length=4)

    @field_validator("psus")
    @classmethod
    def _shares_sum_to_one(cls, psus: list[PsuConfig]) -> list[PsuConfig]:
        if len(psus) > 1 and abs(sum(p.share for p in psus) - 1.0) > 1e-6:
            raise ValueError("the shares of a device's PSUs must add up to 1.0")
        return psus


class SensorConfig(_Model):
    id: Id
    kind: SensorKind
    name: str = ""
    pdu: Id | None = None
    """PDU whose sensor port the probe is plugged into (``None``: rack controller)."""
    position: Literal["top", "middle", "bottom", "front", "rear", "inlet", "outlet"] = "middle"


class LeverConfig(_Model):
    id: Id
    name: str = ""
    position: Literal["front", "rear"]
    auto_relock_s: float = Field(10.0, ge=1, le=600)


class ControllerConfig(_Model):
    poe: bool = True
    """Controller can be powered over Ethernet when both feeds are down."""


class StorageConfig(_Model):
    """How long stored readings are kept per resolution (retention of the store).

    The defaults are the embedded budget: 48 h of 1 s, 1 year of 1 min, 10 years of 1 h keep
    the demo rack's database near 0.2 GB (docs/runtime.md, Storage); shorten them for a
    smaller card, lengthen them on a server-class store.
    """

    keep_1s_hours: float = Field(48.0, gt=0, le=24 * 31)
    keep_1min_days: float = Field(365.0, gt=0, le=3660)
    keep_1h_days: float = Field(3650.0, gt=0, le=36600)


class RackInfo(_Model):
    name: str
    location: str = ""
    height_u: int = Field(42, ge=1, le=60)
    cooling_setpoint_c: float = Field(22.0, ge=5, le=40)
    cooling_capacity_w: float = Field(15000.0, gt=0)


class RackConfig(_Model):
    """A whole rack: the unit the twin simulates and one controller process serves."""

    schema_version: Literal[1] = 1
    rack: RackInfo
    pdus: list[PduConfig] = Field(min_length=1, max_length=8)
    devices: list[DeviceConfig] = []
    sensors: list[SensorConfig] = []
    levers: list[LeverConfig] = []
    controller: ControllerConfig = ControllerConfig()
    alarms: AlarmsConfig = AlarmsConfig()
    """Alarm rules: the shipped defaults, overrides and additions (``config/alarms.py``)."""
    safety: SafetyConfig = SafetyConfig()
    """Early fire detection and tamper detection (``config/safety.py``)."""
    access: AccessConfig = AccessConfig()
    """Rack access policy: unlock limits, keypad lockout, two-person rule (``config/access.py``)."""
    storage: StorageConfig = StorageConfig()
    snmp: SnmpConfig = SnmpConfig()
    """SNMP agent (``config/integrations.py``; keys from the environment, never here)."""
    modbus: ModbusConfig = ModbusConfig()
    """Modbus TCP server (``config/integrations.py``, map in docs/modbus.md)."""
    opcua: OpcUaConfig = OpcUaConfig()
    """OPC UA server (``config/integrations.py``)."""
    delivery: DeliveryConfig = DeliveryConfig()
    """Webhook policy, syslog targets, MQTT and ``/metrics`` (``config/delivery.py``)."""

    def pdu(self, pdu_id: str) -> PduConfig:
        for pdu in self.pdus:
            if pdu.id == pdu_id:
                return pdu
        raise KeyError(f"no PDU {pdu_id!r} in rack {self.rack.name!r}")
