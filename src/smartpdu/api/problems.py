"""RFC 9457 problem details: the one error format of the native API.

Every error — ours, FastAPI's request validation, Starlette's 404/405, and unexpected exceptions —
leaves as ``application/problem+json`` with ``type``, ``title``, ``status``, ``detail`` and
``instance``; validation problems add ``errors: [{path, message}]``. A 500 never carries a
traceback or exception text (it is logged server-side instead).
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from smartpdu.api.methods import allow_header, allowed_methods

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "ApiProblem",
    "FieldError",
    "Problem",
    "install_problem_handlers",
    "problem_responses",
]

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://smartpdu.dev/problems/"


class FieldError(BaseModel):
    """One bad field of a request or configuration."""

    path: str = Field(
        description="Dotted path with list indices, e.g. `pdus[0].outlets[3].rating_a`"
    )
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(description="URI identifying the problem type")
    title: str
    status: int
    detail: str = Field(description="What went wrong and what to do")
    instance: str = Field(description="The request path")
    errors: list[FieldError] | None = None
    result: dict[str, Any] | None = Field(
        None, description="For outlet commands: the command result"
    )


class ApiProblem(Exception):
    """Raise inside a route to answer with a problem+json response."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        title: str | None = None,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        result: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind or _slug(status)
        self.title = title or _phrase(status)
        self.errors = errors
        self.headers = headers
        self.result = result


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _slug(status: int) -> str:
    return _phrase(status).lower().replace(" ", "-").replace("'", "")


def problem_response(
    request: Request,
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    title: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    result: dict[str, Any] | None = None,
) -> JSONResponse:
    """Build the problem+json response for ``request``."""
    body = Problem(
        type=TYPE_BASE + (kind or _slug(status)),
        title=title or _phrase(status),
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=errors,
        result=result,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        headers=headers,
        media_type=PROBLEM_MEDIA_TYPE,
    )


def _loc_path(loc: tuple[Any, ...] | list[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(request)"


_DETAIL_BY_STATUS = {
    404: "No such resource: check the path against /api/v1/openapi.json.",
    405: "This method is not allowed on this resource; see the OpenAPI document for methods.",
}


def install_problem_handlers(app: FastAPI) -> None:
    """Route every error of ``app`` through problem+json."""

    @app.exception_handler(ApiProblem)
    async def _api_problem(request: Request, exc: ApiProblem) -> JSONResponse:
        return problem_response(
            request,
            exc.status,
            exc.detail,
            kind=exc.kind,
            title=exc.title,
            errors=exc.errors,
            headers=exc.headers,
            result=exc.result,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else _phrase(exc.status_code)
        if exc.status_code == 400 and "parsing the body" in detail:
            # FastAPI's undecodable-body error: report it like any other request validation.
            message = "the body is not valid JSON (or not the declared content type)"
            return problem_response(
                request,
                422,
                f"The request is invalid: {message}.",
                kind="validation-error",
                title="Request validation failed",
                errors=[FieldError(path="body", message=message)],
            )
        headers = getattr(exc, "headers", None)
        status = exc.status_code
        if status == 405:
            # Starlette lists only the first matching route's methods: list them all.
            methods = allowed_methods(list(request.app.router.routes), request.scope)
            if methods:
                headers = {**(headers or {}), "Allow": allow_header(methods)}
            else:  # only the OPTIONS catch-all matched: the path does not exist
                status, detail = 404, "Not Found"
        if status in _DETAIL_BY_STATUS and detail in ("Not Found", "Method Not Allowed"):
            detail = _DETAIL_BY_STATUS[status]
        return problem_response(request, status, detail, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            FieldError(path=_loc_path(e.get("loc", ())), message=str(e.get("msg", "invalid")))
            for e in exc.errors()
        ]
        listing = "; ".join(f"{e.path}: {e.message}" for e in errors[:5])
        return problem_response(
            request,
            422,
            f"The request is invalid ({len(errors)} problem(s)): {listing}",
            kind="validation-error",
            title="Request validation failed",
            errors=errors,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(
            request,
            500,
            "The controller hit an unexpected error; it has been logged. Retry, and report it "
            "if it persists.",
        )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting problem+json for ``statuses``."""
    return {
        s: {
            "model": Problem,
            "description": _phrase(s),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for s in statuses
    }
