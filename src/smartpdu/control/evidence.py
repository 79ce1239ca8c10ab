"""Build action events (DESIGN §5): every one carries reason_code, evidence and action_taken."""

from __future__ import annotations

import math
from typing import Protocol

from smartpdu.events.codes import Severity
from smartpdu.events.model import Action, JsonScalar, NewEvent

__all__ = ["SYSTEM_ACTOR", "Measured", "action_event", "clean_evidence", "measured_evidence"]

SYSTEM_ACTOR = "system/control"


def clean_evidence(values: dict[str, object]) -> dict[str, JsonScalar]:
    """Round floats and turn non-finite values (an infinite time to trip) into ``None``."""
    out: dict[str, JsonScalar] = {}
    for key, v in values.items():
        if isinstance(v, float):
            out[key] = round(v, 4) if math.isfinite(v) else None
        elif v is None or isinstance(v, str | int | bool):
            out[key] = v
        else:
            out[key] = str(v)
    return out


class Measured(Protocol):
    """A deciding value against its limit over a window: protection findings, trip-risk
    evidence and shed decisions all carry it."""

    @property
    def value(self) -> float: ...
    @property
    def limit(self) -> float: ...
    @property
    def unit(self) -> str: ...
    @property
    def window_s(self) -> float: ...
    @property
    def peak(self) -> float: ...


def measured_evidence(m: Measured) -> dict[str, object]:
    """The DESIGN §5 evidence core (value, limit, unit, window_s, peak) of ``m``."""
    return {
        "value": m.value,
        "limit": m.limit,
        "unit": m.unit,
        "window_s": m.window_s,
        "peak": m.peak,
    }


def action_event(
    pdu_id: str,
    source: str,
    code: str,
    message: str,
    *,
    action: Action,
    reason_code: str,
    evidence: dict[str, object],
    actor: str | None = SYSTEM_ACTOR,
    command_id: str | None = None,
    severity: Severity | None = None,
) -> NewEvent:
    return NewEvent(
        pdu_id=pdu_id,
        source=source,
        event_code=code,
        message=message,
        severity=severity,
        action_taken=action,
        reason_code=reason_code,
        evidence=clean_evidence(evidence),
        actor=actor,
        command_id=command_id,
    )
