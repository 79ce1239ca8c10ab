"""Scenario timelines: YAML lists of physical events replayed against the twin.

Format (see docs/scenarios.md for every action)::

    name: feed-a-loss
    description: feed A drops for 3.5 minutes   # optional
    seed: 42                                    # optional, the runner's --seed wins
    duration: 10m                               # optional default run length
    steps:
      - {at: 90s, do: feed_loss, feed: A}
      - {at: 5m, do: feed_restore, feed: A}

Times and durations accept ``50us``, ``500ms``, ``90s``, ``5m``, ``1h``, compounds like ``1h30m`` and plain
seconds. Steps are validated with pydantic (a discriminated union on ``do``), then every id is
checked against the rack (:func:`check_scenario`), so a bad file names each bad field
(``steps[3].feed``) before anything runs. :func:`apply` maps a step onto the twin's methods.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from smartpdu.config.loader import (
    ConfigError,
    field_path,
    load_yaml,
    read_text,
    validation_issues,
)
from smartpdu.config.models import RackConfig, SensorKind
from smartpdu.config.references import ConfigIssue
from smartpdu.hardware.interface import LeverAction

if TYPE_CHECKING:
    from smartpdu.twin.rack import RackTwin

__all__ = [
    "ACTIONS",
    "Scenario",
    "ScenarioError",
    "Step",
    "apply",
    "check_scenario",
    "load_scenario",
    "parse_duration",
    "parse_scenario",
    "validate_scenario",
]

_UNITS_S = {
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "min": 60.0,
    "h": 3600.0,
    "d": 86400.0,
}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*(us|µs|ms|min|s|m|h|d)")


def parse_duration(value: object) -> float:
    """Seconds from ``500ms``/``90s``/``5m``/``1h``/``1h30m`` or a plain non-negative number."""
    if isinstance(value, bool):
        raise ValueError("expected a duration like 90s, 5m, 1h or seconds")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        try:
            seconds = float(text)
        except ValueError:
            pos, seconds = 0, 0.0
            for match in _PART.finditer(text):
                if match.start() != pos:
                    break
                seconds += float(match.group(1)) * _UNITS_S[match.group(2)]
                pos = match.end()
            if pos != len(text) or not text:
                raise ValueError(
                    f"not a duration: {value!r} (use e.g. 500ms, 90s, 5m, 1h, 1h30m or seconds)"
                ) from None
    else:
        raise ValueError("expected a duration like 90s, 5m, 1h or seconds")
    if not seconds >= 0 or seconds == float("inf"):
        raise ValueError(f"duration must be a finite non-negative time, got {value!r}")
    return seconds


Seconds = Annotated[float, BeforeValidator(parse_duration)]
PositiveSeconds = Annotated[float, BeforeValidator(parse_duration), Field(gt=0)]
Feed = Literal["A", "B"]


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    at: Seconds
    """When the event happens (from the scenario start); it takes effect from the next window."""


class FeedLoss(_Step):
    do: Literal["feed_loss"]
    feed: Feed


class FeedRestore(_Step):
    do: Literal["feed_restore"]
    feed: Feed


class Sag(_Step):
    do: Literal["sag"]
    feed: Feed
    depth_pct: float = Field(gt=0, le=100)
    """Voltage drop in percent of nominal (100 = interruption)."""
    duration: PositiveSeconds


class FrequencyOffset(_Step):
    do: Literal["frequency_offset"]
    feed: Feed
    delta_hz: float = Field(ge=-5, le=5)


class LostNeutral(_Step):
    do: Literal["lost_neutral"]
    pdu: str
    lost: bool = True


class DeviceLoad(_Step):
    do: Literal["device_load"]
    device: str
    load_fraction: float | None = Field(ge=0, le=1)
    """``null`` returns the device to its configured profile."""


class DevicePower(_Step):
    do: Literal["device_power"]
    device: str
    state: Literal["on", "off"]


class Outlet(_Step):
    do: Literal["outlet"]
    pdu: str
    outlet: str
    state: Literal["on", "off"]


class RelayFault(_Step):
    do: Literal["relay_fault"]
    pdu: str
    outlet: str
    fault: Literal["welded", "open", "slow", "clear"]


class ContactAgeing(_Step):
    do: Literal["contact_ageing"]
    pdu: str
    outlet: str
    resistance_mohm: float = Field(gt=0, le=10000)


class Leakage(_Step):
    do: Literal["leakage"]
    device: str
    ma_per_psu: float = Field(ge=0, le=100)


class VocRelease(_Step):
    do: Literal["voc_release"]
    ppb: float = Field(ge=0, le=100000)
    duration: PositiveSeconds
    temp_rise_c: float = Field(0.0, ge=0, le=100)
    """Local warm plume of a smouldering part, seen by top/rear temperature sensors."""


class Humidity(_Step):
    do: Literal["humidity"]
    rh_pct: float = Field(ge=0, le=100)


class VibrationBurst(_Step):
    do: Literal["vibration_burst"]
    g: float = Field(ge=0, le=50)
    duration: PositiveSeconds


class Door(_Step):
    do: Literal["door"]
    sensor: str
    state: Literal["open", "closed"]


class CoolingFailure(_Step):
    do: Literal["cooling_failure"]
    failed: bool = True


class SensorFault(_Step):
    do: Literal["sensor_fault"]
    sensor: str
    fault: Literal["stuck", "noisy", "open", "clear"]


class Lever(_Step):
    do: Literal["lever"]
    lever: str
    action: Literal["unlock", "lock", "handle_open", "handle_close"]


class Keypad(_Step):
    """Someone at a lever's reader: ``user`` + ``pin`` on the keypad, or a ``card``."""

    do: Literal["keypad"]
    lever: str
    user: str | None = None
    pin: str | None = None
    card: str | None = None


class Poe(_Step):
    do: Literal["poe"]
    present: bool


class Surge(_Step):
    """A kV-range transient on a feed, clipped by each PDU's SPD (``twin/surge.py``)."""

    do: Literal["surge"]
    feed: Feed
    phase: Literal["L1", "L2", "L3", "all"] = "all"
    peak_kv: float = Field(4.0, gt=0, le=20)
    """Open-circuit peak of the surge (IEC 61000-4-5 levels: 0.5, 1, 2, 4 kV)."""
    let_through_v: float = Field(800.0, ge=350, le=10000)
    """The SPD's clamping voltage at 100 A (higher: a degraded or absent SPD)."""
    rise: PositiveSeconds = 1.2e-6
    duration: PositiveSeconds = 50e-6
    """Time to half value of the open-circuit wave."""
    count: int = Field(1, ge=1, le=100)
    """Pulses of one burst…"""
    interval: PositiveSeconds = 0.1
    """…this far apart."""

    @model_validator(mode="after")
    def _shape(self) -> Surge:
        if not self.rise < self.duration <= 1.0:
            raise ValueError("need rise < duration ≤ 1 s")
        return self


class Arcing(_Step):
    """A series arc in one outlet's terminal (``twin/arcing.py``); intensity 0 stops it."""

    do: Literal["arcing"]
    pdu: str
    outlet: str
    intensity: float = Field(0.5, ge=0, le=1)
    duration: PositiveSeconds | None = None
    """None: until another ``arcing`` step (intensity 0) stops it."""


class LoadSignature(_Step):
    """A load that resembles an arc in one feature: the detector's counter-examples."""

    do: Literal["load_signature"]
    pdu: str
    outlet: str
    kind: Literal["smps_ripple", "dimmer", "motor_start", "none"]
    duration: PositiveSeconds | None = None
    ripple_pct: float = Field(3.0, gt=0, le=50)
    switching_khz: float = Field(65.3, gt=1, le=2000)
    firing_deg: float = Field(90.0, gt=0, lt=180)
    ratio: float = Field(6.0, ge=1, le=12)
    """Motor start current / running current."""
    tau: PositiveSeconds = 0.8
    period: PositiveSeconds | None = None
    """Repeat the motor start this often (a compressor cycling)."""


class BreakerReset(_Step):
    do: Literal["breaker_reset"]
    pdu: str
    breaker: str
    """``inlet`` or a branch id."""


Step = Annotated[
    FeedLoss
    | FeedRestore
    | Sag
    | FrequencyOffset
    | LostNeutral
    | DeviceLoad
    | DevicePower
    | Outlet
    | RelayFault
    | ContactAgeing
    | Leakage
    | VocRelease
    | Humidity
    | VibrationBurst
    | Door
    | CoolingFailure
    | SensorFault
    | Lever
    | Keypad
    | Poe
    | BreakerReset
    | Surge
    | Arcing
    | LoadSignature,
    Field(discriminator="do"),
]
ACTIONS: tuple[str, ...] = tuple(
    get_args(kind.model_fields["do"].annotation)[0] for kind in get_args(get_args(Step)[0])
)


class Scenario(BaseModel):
    """A named, validated timeline; ``steps`` are sorted by time (stable for equal times)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1, max_length=120)
    description: str = ""
    seed: int | None = Field(None, ge=0)
    duration: Seconds | None = None
    steps: list[Step] = []

    def ordered_steps(self) -> list[Step]:
        return sorted(self.steps, key=lambda s: s.at)


class ScenarioError(ConfigError):
    """A scenario was rejected; ``issues`` names every bad field (``steps[3].feed``)."""

    def __init__(self, issues: list[ConfigIssue], source: str = "scenario") -> None:
        super().__init__(issues, source)


def _step_path(loc: tuple[int | str, ...]) -> str:
    # pydantic puts the union tag in the location: ('steps', 3, 'feed_loss', 'feed')
    parts = list(loc)
    if len(parts) > 2 and parts[0] == "steps" and parts[2] in ACTIONS:
        del parts[2]
    return field_path(tuple(parts))


def validate_scenario(data: Any, source: str = "scenario") -> Scenario:
    """Validate parsed YAML data; raise :class:`ScenarioError` listing every problem."""
    if not isinstance(data, dict):
        raise ScenarioError([ConfigIssue("(root)", "expected a mapping at the top level")], source)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(validation_issues(exc, _step_path, _describe), source) from None


def _describe(err: Any) -> str | None:
    if err["type"] == "union_tag_invalid":
        return f"unknown action {err['input'].get('do')!r}; actions: {', '.join(ACTIONS)}"
    if err["type"] == "union_tag_not_found":
        return f"missing 'do' (one of: {', '.join(ACTIONS)})"
    return None


def parse_scenario(text: str, source: str = "scenario") -> Scenario:
    return validate_scenario(load_yaml(text, source, ScenarioError), source)


def load_scenario(path: str | Path) -> Scenario:
    return parse_scenario(read_text(path, ScenarioError), str(path))


def check_scenario(scenario: Scenario, config: RackConfig) -> list[ConfigIssue]:
    """Every id a step names that the rack does not have (empty list when all resolve)."""
    feeds: set[str] = {p.feed for p in config.pdus}
    pdus = {p.id: p for p in config.pdus}
    devices = [d.name for d in config.devices]
    sensors = {s.id: s for s in config.sensors}
    levers = [lv.id for lv in config.levers]
    issues: list[ConfigIssue] = []

    def bad(i: int, field: str, what: str, known: set[str] | list[str]) -> None:
        listed = ", ".join(known if isinstance(known, list) else sorted(known)) or "none"
        issues.append(ConfigIssue(f"steps[{i}].{field}", f"{what} (known: {listed})"))

    for i, step in enumerate(scenario.steps):
        feed = getattr(step, "feed", None)
        if feed is not None and feed not in feeds:
            bad(i, "feed", f"no PDU of the rack is on feed {feed!r}", feeds)
        pdu_id = getattr(step, "pdu", None)
        if pdu_id is not None and pdu_id not in pdus:
            bad(i, "pdu", f"no PDU {pdu_id!r} in the rack", list(pdus))
            continue
        if isinstance(step, Outlet | RelayFault | ContactAgeing | Arcing | LoadSignature):
            outlets = [o.id for o in pdus[step.pdu].outlets]
            if step.outlet not in outlets:
                bad(i, "outlet", f"no outlet {step.outlet!r} on {step.pdu}", outlets)
        elif isinstance(step, BreakerReset):
            breakers = ["inlet", *(b.id for b in pdus[step.pdu].branches)]
            if step.breaker not in breakers:
                bad(i, "breaker", f"no breaker {step.breaker!r} on {step.pdu}", breakers)
        elif isinstance(step, DeviceLoad | DevicePower | Leakage) and step.device not in devices:
            bad(i, "device", f"no device {step.device!r} in the rack", devices)
        elif isinstance(step, SensorFault) and step.sensor not in sensors:
            bad(i, "sensor", f"no sensor {step.sensor!r} in the rack", list(sensors))
        elif isinstance(step, Door):
            doors = [s for s, c in sensors.items() if c.kind is SensorKind.DOOR]
            if step.sensor not in doors:
                bad(i, "sensor", f"no door sensor {step.sensor!r} in the rack", doors)
        elif isinstance(step, Lever | Keypad) and step.lever not in levers:
            bad(i, "lever", f"no lever {step.lever!r} in the rack", levers)
    return issues


def apply(step: Step, twin: RackTwin) -> None:
    """Perform one step on the twin; effects show from the twin's next window."""
    match step:
        case FeedLoss():
            twin.feed_loss(step.feed)
        case FeedRestore():
            twin.feed_restore(step.feed)
        case Sag():
            twin.voltage_sag(step.feed, step.depth_pct, step.duration)
        case FrequencyOffset():
            twin.frequency_offset(step.feed, step.delta_hz)
        case LostNeutral():
            twin.lost_neutral(step.pdu, step.lost)
        case DeviceLoad():
            twin.set_device_load(step.device, step.load_fraction)
        case DevicePower():
            twin.device_power(step.device, step.state == "on")
        case Outlet():
            twin.set_outlet(step.pdu, step.outlet, step.state == "on")
        case RelayFault():
            twin.relay_fault(step.pdu, step.outlet, None if step.fault == "clear" else step.fault)
        case ContactAgeing():
            twin.contact_ageing(step.pdu, step.outlet, step.resistance_mohm)
        case Leakage():
            twin.set_leakage(step.device, step.ma_per_psu)
        case VocRelease():
            twin.environment.voc_release(step.ppb, step.duration, temp_rise_c=step.temp_rise_c)
        case Humidity():
            twin.environment.set_humidity(step.rh_pct)
        case VibrationBurst():
            twin.environment.vibration_burst(step.g, step.duration)
        case Door():
            twin.environment.door(step.sensor, step.state == "open")
        case CoolingFailure():
            twin.environment.cooling_failure(step.failed)
        case SensorFault():
            twin.environment.sensor_fault(
                step.sensor, None if step.fault == "clear" else step.fault
            )
        case Lever():
            if step.action in ("unlock", "lock"):
                twin.operate_lever(step.lever, LeverAction(step.action))
            else:
                twin.levers.open_handle(step.lever, step.action == "handle_open")
        case Keypad():
            twin.levers.present(step.lever, user=step.user, pin=step.pin, card=step.card)
        case Poe():
            twin.set_poe(step.present)
        case BreakerReset():
            twin.reset_breaker(step.pdu, step.breaker)
        case Surge():
            twin.surge(step.feed, phase=step.phase, peak_v=step.peak_kv * 1e3,
                       let_through_v=step.let_through_v, rise_s=step.rise,
                       duration_s=step.duration, count=step.count,
                       interval_s=step.interval)  # fmt: skip
        case Arcing():
            twin.arcing(step.pdu, step.outlet, step.intensity, step.duration)
        case LoadSignature():
            twin.look_alike(step.pdu, step.outlet, step.kind, step.duration,
                            ripple_pct=step.ripple_pct, switching_hz=step.switching_khz * 1e3,
                            firing_deg=step.firing_deg, ratio=step.ratio, tau_s=step.tau,
                            period_s=step.period)  # fmt: skip
        case _:  # pragma: no cover - the union is exhaustive
            raise TypeError(f"unknown step {step!r}")
