"""Build action events (DESIGN §5): every one carries reason_code, evidence and action_taken."""

from __future__ import annotations

import math

from smartpdu.events.codes import Severity
from smartpdu.events.model import Action, JsonScalar, NewEvent

__all__ = ["SYSTEM_ACTOR", "action_event", "clean_evidence"]

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
