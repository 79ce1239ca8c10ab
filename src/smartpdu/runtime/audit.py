"""Drafts of the runtime's own audit events (lifecycle, configuration, energy reset, overrun).

Every draft carries reason_code, evidence and action_taken; the event log adds timestamp_utc and
sequence_id when it seals them.
"""

from __future__ import annotations

from smartpdu.events import Action, NewEvent

__all__ = [
    "config_changed",
    "energy_reset",
    "system_start",
    "system_stop",
    "tick_overrun",
]


def system_start(pdu_id: str, outlets: int) -> NewEvent:
    return NewEvent(
        pdu_id=pdu_id,
        source="system",
        event_code="SYSTEM_START",
        message="Controller started",
        action_taken=Action.NONE,
        reason_code="STARTUP",
        evidence={"outlets": outlets},
    )


def system_stop(pdu_id: str) -> NewEvent:
    return NewEvent(
        pdu_id=pdu_id,
        source="system",
        event_code="SYSTEM_STOP",
        message="Controller stopped",
        reason_code="SHUTDOWN",
    )


def config_changed(pdu_id: str, version: int, actor: str, comment: str) -> NewEvent:
    return NewEvent(
        pdu_id=pdu_id,
        source=actor if "/" in actor else f"user/{actor}",
        event_code="CONFIG_CHANGED",
        message=f"Configuration version {version} applied",
        action_taken=Action.CONFIG,
        reason_code="CONFIG_UPDATE",
        evidence={"version": version, "comment": comment[:200]},
        actor=actor,
    )


def energy_reset(
    pdu_id: str, channel: str | None, channels: int, before_wh: float, actor: str
) -> NewEvent:
    return NewEvent(
        pdu_id=pdu_id,
        source=f"{channel or 'pdu'}",
        event_code="ENERGY_REGISTER_RESET",
        message=f"Resettable energy registers reset ({channels} channel(s))",
        action_taken=Action.RESET,
        reason_code="OPERATOR_RESET",
        evidence={"channels": channels, "active_import_wh_before": before_wh},
        actor=actor,
    )


def tick_overrun(pdu_id: str, lag_s: float, window_s: float, limit_windows: int) -> NewEvent:
    return NewEvent(
        pdu_id=pdu_id,
        source="controller/tick",
        event_code="TICK_OVERRUN",
        message=(
            f"Measurement loop fell {lag_s:.2f} s ({lag_s / window_s:.0f} windows) behind; "
            "resynchronised, the missed windows were not measured"
        ),
        action_taken=Action.NONE,
        reason_code="TICK_LAG",
        evidence={
            "value": round(lag_s, 4),
            "limit": round(limit_windows * window_s, 4),
            "unit": "s",
            "window_s": window_s,
        },
    )
