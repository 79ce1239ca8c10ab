"""Refuse query parameters a route does not declare.

FastAPI ignores unknown query parameters, so ``GET /api/v1/alarms?stat=active`` (a typo of
``state``) would silently answer with every alarm. The API validates strictly instead: a name
the route (or one of its dependencies) does not declare is a 422 problem naming it, like any
other invalid input. The allowed names are worked out once per route.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import Request
from fastapi.exceptions import RequestValidationError

__all__ = ["reject_unknown_query"]

_ALLOWED_ATTR: Final = "_smartpdu_query_names"


def _allowed(route: Any) -> frozenset[str] | None:
    names: frozenset[str] | None = getattr(route, _ALLOWED_ATTR, None)
    if names is None:
        dependant = getattr(route, "dependant", None)
        if dependant is None:
            return None
        names = frozenset(_query_names(dependant))
        setattr(route, _ALLOWED_ATTR, names)
    return names


def _query_names(dependant: Any) -> set[str]:
    """Query parameter names of a route's dependant and all its sub-dependencies."""
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def reject_unknown_query(request: Request) -> None:
    """422 when the query string names a parameter the route lacks. Called by the auth
    dependency once the caller is authenticated and permitted, so a stranger gets 401 before
    learning anything about a route's parameters."""
    if not request.scope.get("query_string"):
        return
    allowed = _allowed(request.scope.get("route"))
    if allowed is None:
        return
    unknown = sorted({k for k in request.query_params if k not in allowed})
    if unknown:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", name),
                    "msg": "unknown query parameter (allowed: "
                    + (", ".join(sorted(allowed)) or "none")
                    + ")",
                    "type": "extra_forbidden",
                }
                for name in unknown[:5]
            ]
        )
