"""Redfish error responses built from the DMTF Base message registry (``@Message.ExtendedInfo``)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["BASE_REGISTRY", "RedfishError", "base_message", "error_body"]

BASE_REGISTRY = "Base.1.22.1"
_SEVERITY = {"OK": "OK", "Warning": "Warning", "Critical": "Critical"}


@cache
def _messages() -> dict[str, Any]:
    text = resources.files("smartpdu.redfish").joinpath(f"registries/{BASE_REGISTRY}.json")
    return dict(json.loads(text.read_text(encoding="utf-8"))["Messages"])


def base_message(key: str, *args: object, related: tuple[str, ...] = ()) -> dict[str, Any]:
    """Return one Message object of the Base registry with ``%1``.. filled from ``args``."""
    spec = _messages()[key]
    text = spec["Message"]
    str_args = [str(a) for a in args]
    for i, arg in enumerate(str_args, start=1):
        text = text.replace(f"%{i}", arg)
    sev = spec.get("MessageSeverity", spec.get("Severity", "Warning"))
    msg: dict[str, Any] = {
        "@odata.type": "#Message.v1_3_0.Message",
        "MessageId": f"{BASE_REGISTRY}.{key}",
        "Message": text,
        "MessageArgs": str_args,
        "MessageSeverity": _SEVERITY.get(sev, "Warning"),
        "Resolution": spec.get("Resolution", "None."),
    }
    if related:
        msg["RelatedProperties"] = list(related)
    return msg


def error_body(key: str, *args: object, related: tuple[str, ...] = ()) -> dict[str, Any]:
    """Return the Redfish error payload (``{"error": {...}}``) for one Base message."""
    msg = base_message(key, *args, related=related)
    return {
        "error": {
            "code": msg["MessageId"],
            "message": msg["Message"],
            "@Message.ExtendedInfo": [msg],
        }
    }


class RedfishError(Exception):
    """Raise anywhere in a handler; the app turns it into a Redfish error response."""

    def __init__(
        self,
        status: int,
        key: str,
        *args: object,
        related: tuple[str, ...] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {key} {args}")
        self.status = status
        self.key = key
        self.args_ = args
        self.related = related
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return error_body(self.key, *self.args_, related=self.related)
