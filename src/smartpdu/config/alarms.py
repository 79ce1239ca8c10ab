"""Alarm rules in the rack configuration (validated, versioned and audited with it).

A rule watches one metric of the metric catalogue (``model/metrics.py``) — or one of the few
derived rack metrics below — at one entity level, on every entity whose id matches ``match``::

    alarms:
      rules:
        - id: outlet-load
          level: outlet
          metric: load_pct
          high_warning: 80
          high_critical: 90
          hysteresis: 5
          on_delay_s: 5

The shipped defaults (``smartpdu.alarms.DEFAULT_RULES``) apply unless ``use_defaults: false``;
a rule here with the id of a default replaces it, ``disabled`` switches rules off by id.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from typing import Annotated, Final, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from smartpdu.model.metrics import CATALOGUE, Level

__all__ = [
    "ALARM_EVENT_CODES",
    "DERIVED_METRICS",
    "RENAMED_EVENT_CODES",
    "AlarmLevelName",
    "AlarmRuleConfig",
    "AlarmsConfig",
    "RuleLevel",
    "metrics_of_level",
]

RuleId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]*$")]


class RuleLevel(StrEnum):
    """The entity level a rule watches: the catalogue's levels plus the rack as a whole."""

    INLET = "inlet"
    PHASE = "phase"
    BRANCH = "branch"
    OUTLET = "outlet"
    SENSOR = "sensor"
    RACK = "rack"


class AlarmLevelName(StrEnum):
    WARNING = "warning"
    CRITICAL = "critical"


DERIVED_METRICS: Final[dict[RuleLevel, dict[str, str]]] = {
    RuleLevel.PHASE: {"load_pct": "%"},
    RuleLevel.BRANCH: {"load_pct": "%"},
    RuleLevel.OUTLET: {"load_pct": "%"},
    RuleLevel.RACK: {
        "dew_point_margin_c": "K",
        "temp_gradient_c": "K",
    },
}
"""Metrics computed for alarms from catalogue values, with their unit.

``load_pct``: rms current / rating (inlet rating per phase, breaker rating per branch, outlet
rating); ``dew_point_margin_c``: coldest rack temperature − dew point; ``temp_gradient_c``:
warmest top/rear/outlet temperature − coldest bottom/front/inlet temperature."""

RaiseCode = Literal[
    "ALARM_RAISED",
    "TEMPERATURE_HIGH",
    "HUMIDITY_HIGH",
    "DEW_POINT_RISK",
    "VOC_HIGH",
    "VIBRATION_DETECTED",
    "RESIDUAL_CURRENT_HIGH",
]
ALARM_EVENT_CODES: Final = get_args(RaiseCode)
"""Codes a rule may raise with (cleared and acknowledged are always ALARM_CLEARED/_ACKNOWLEDGED)."""

RENAMED_EVENT_CODES: Final = {"VIBRATION": "VIBRATION_DETECTED"}
"""Former code → current code: stored configuration versions written before a rename still load
(and roll back) and raise the code the catalogue has today."""


@cache
def metrics_of_level(level: RuleLevel) -> dict[str, str]:
    """Metric name → unit a rule may watch at ``level`` (cached: do not modify the result)."""
    out: dict[str, str] = {}
    if level is not RuleLevel.RACK:
        for m in CATALOGUE:
            if Level(level.value) in m.levels:
                out.setdefault(m.key, m.unit)
    out.update(DERIVED_METRICS.get(level, {}))
    return out


class AlarmRuleConfig(BaseModel):
    """One rule: warning/critical limits (high and low), hysteresis, delays, rate, latch."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: RuleId
    description: str = ""
    level: RuleLevel
    metric: str = Field(min_length=1, max_length=64)
    match: str = Field("*", min_length=1, max_length=128)
    """Glob over entity ids: ``pdu-a/outlet/*``, ``*/branch/B6``, ``rack/sensor/temp-*``."""
    sensor_kind: str | None = None
    """Sensor rules: only sensors of this kind (``temperature``, ``humidity``, ``voc``, ...)."""
    positions: list[str] = []
    """Sensor rules: only sensors mounted at one of these positions (empty: any)."""
    high_warning: float | None = None
    high_critical: float | None = None
    low_warning: float | None = None
    low_critical: float | None = None
    hysteresis: float = Field(0.0, ge=0)
    """A high alarm clears below limit − hysteresis, a low one above limit + hysteresis."""
    on_delay_s: float = Field(0.0, ge=0, le=86400)
    """The limit must be exceeded this long before the alarm is raised."""
    off_delay_s: float = Field(0.0, ge=0, le=86400)
    """The value must be back inside the limit (with hysteresis) this long before it clears."""
    rate_per_min: float | None = Field(None, gt=0)
    """Warning when |slope| over ``rate_window_s`` exceeds this many units per minute."""
    rate_window_s: float = Field(60.0, ge=5, le=86400)
    latch: bool = False
    """A latched alarm stays until acknowledged, even after the value returned to normal."""
    event_code: RaiseCode = "ALARM_RAISED"
    enabled: bool = True

    @field_validator("event_code", mode="before")
    @classmethod
    def _renamed(cls, value: object) -> object:
        return RENAMED_EVENT_CODES.get(value, value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _check(self) -> AlarmRuleConfig:
        allowed = metrics_of_level(self.level)
        if self.metric not in allowed:
            raise ValueError(
                f"metric {self.metric!r} is not watched at level {self.level.value!r}; "
                f"use one of {', '.join(sorted(allowed))}"
            )
        limits = (self.high_warning, self.high_critical, self.low_warning, self.low_critical)
        if all(v is None for v in limits) and self.rate_per_min is None:
            raise ValueError("a rule needs at least one limit (high_/low_warning/critical) or rate")
        hw, hc, lw, lc = limits
        if hw is not None and hc is not None and hc < hw:
            raise ValueError("high_critical must be ≥ high_warning")
        if lw is not None and lc is not None and lc > lw:
            raise ValueError("low_critical must be ≤ low_warning")
        if (self.sensor_kind or self.positions) and self.level is not RuleLevel.SENSOR:
            raise ValueError("sensor_kind and positions only apply to level 'sensor'")
        return self

    @property
    def unit(self) -> str:
        return metrics_of_level(self.level)[self.metric]


class AlarmsConfig(BaseModel):
    """The alarm section of a rack: shipped defaults, overrides and additions, switched-off ids."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    use_defaults: bool = True
    rules: list[AlarmRuleConfig] = []
    """Rules added, or replacing the default with the same id."""
    disabled: list[RuleId] = []
    evaluate_every_s: float = Field(1.0, ge=0.2, le=60)
    """How often rules are evaluated (on the latest window's values)."""

    @model_validator(mode="after")
    def _unique(self) -> AlarmsConfig:
        ids = [r.id for r in self.rules]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"duplicate alarm rule id(s): {', '.join(dup)}")
        return self
