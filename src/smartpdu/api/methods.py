"""Honest ``Allow`` headers: ``OPTIONS`` and ``405`` list every method a path really accepts.

Starlette answers a method mismatch with the methods of the *first* route whose path matches,
so ``/config`` (GET and PUT, two routes) claimed ``Allow: GET``. Here every method is probed
against all routes instead (FastAPI nests included routers, so routes are asked, not read).
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Match
from starlette.types import Scope

__all__ = ["allow_header", "allowed_methods"]


_PROBED = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(routes: list[BaseRoute], scope: Scope) -> set[str]:
    """Methods some route (included routers too) fully matches for ``scope``'s path."""
    found: set[str] = set()
    for method in _PROBED:
        probe = {**scope, "type": "http", "method": method}
        if any(route.matches(probe)[0] is Match.FULL for route in routes):
            found.add(method)
    return found


def allow_header(methods: set[str]) -> str:
    """The ``Allow`` value: the methods plus OPTIONS (answered for every known path)."""
    return ", ".join(sorted(methods | {"OPTIONS"}))
