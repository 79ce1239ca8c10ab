"""A tiny URI-template router: Redfish paths to endpoints, with the methods each allows."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from smartpdu.redfish.context import Ctx

__all__ = ["Endpoint", "GetFn", "Router", "WriteFn"]

GetFn = Callable[[Ctx, dict[str, str]], "dict[str, Any] | Awaitable[dict[str, Any]]"]
WriteFn = Callable[[Ctx, dict[str, str], bytes, dict[str, str]], Awaitable[Any]]
"""(ctx, path params, raw body, request headers) -> a starlette Response."""


@dataclass(slots=True)
class Endpoint:
    """One resource (or action target): its GET builder and write handlers."""

    template: str
    get: GetFn | None = None
    post: WriteFn | None = None
    patch: WriteFn | None = None
    delete: WriteFn | None = None
    live: bool = True
    """GET output depends only on the snapshot/config: cache its bytes per snapshot."""
    allow: str = field(init=False, default="")

    def __post_init__(self) -> None:
        methods = []
        if self.get is not None:
            methods += ["GET", "HEAD"]
        for name in ("post", "patch", "delete"):
            if getattr(self, name) is not None:
                methods.append(name.upper())
        self.allow = ", ".join(methods)


class Router:
    """Resolve a path to (endpoint, params); static paths are a dict hit."""

    def __init__(self) -> None:
        self._static: dict[str, Endpoint] = {}
        self._dynamic: list[tuple[re.Pattern[str], Endpoint]] = []

    def add(self, endpoint: Endpoint) -> None:
        if "{" not in endpoint.template:
            self._static[endpoint.template] = endpoint
            return
        pattern = re.sub(
            r"\{(\w+)\}",
            r"(?P<\1>[^/]+)",
            re.escape(endpoint.template).replace(r"\{", "{").replace(r"\}", "}"),
        )
        self._dynamic.append((re.compile(f"^{pattern}$"), endpoint))

    def resolve(self, path: str) -> tuple[Endpoint, dict[str, str]] | None:
        ep = self._static.get(path)
        if ep is not None:
            return ep, {}
        for rx, ep in self._dynamic:
            m = rx.match(path)
            if m:
                return ep, m.groupdict()
        return None
