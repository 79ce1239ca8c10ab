"""Routes: configuration get/put (validated, versioned, audited), versions and rollback.

PUT accepts YAML (``application/yaml``, ``text/yaml``, ``text/plain``) or JSON (the rack as an
object, or ``{"yaml": "...", "comment": "..."}``). A bad configuration answers 422 with every bad
field path in ``errors``; the runtime stores and audits each accepted version.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, Path, Query, Request

from smartpdu.access import Permission, Principal
from smartpdu.api.deps import get_port
from smartpdu.api.problems import ApiProblem, FieldError, problem_responses
from smartpdu.api.schemas import ConfigApplied, ConfigOut, ConfigVersionOut
from smartpdu.api.security import require
from smartpdu.config import ConfigError, dump_config, parse_config
from smartpdu.runtime.port import RackPort

__all__ = ["router"]

router = APIRouter(tags=["config"])
Reader = Annotated[Principal, Depends(require(Permission.READ))]
Configurer = Annotated[Principal, Depends(require(Permission.CONFIGURE))]
Services = Annotated[RackPort, Depends(get_port)]
MAX_CONFIG_BYTES = 1_000_000
_YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain")


def _invalid(exc: ConfigError) -> ApiProblem:
    errors = [FieldError(path=i.path, message=i.message) for i in exc.issues]
    listing = "; ".join(f"{e.path}: {e.message}" for e in errors[:5])
    return ApiProblem(
        422,
        f"The configuration is invalid ({len(errors)} problem(s)): {listing}. Nothing was changed.",
        kind="invalid-configuration",
        title="Invalid configuration",
        errors=errors,
    )


def _bad_body(message: str) -> ApiProblem:
    return ApiProblem(
        422,
        f"Cannot read the request body: {message}",
        kind="invalid-configuration",
        title="Invalid configuration",
        errors=[FieldError(path="(body)", message=message)],
    )


@router.get("/config", response_model=ConfigOut, responses=problem_responses(401, 403, 404, 422))
async def get_config(
    _: Reader,
    services: Services,
    version: Annotated[int | None, Query(ge=1, le=2**31)] = None,
) -> ConfigOut:
    """The active configuration (or an earlier ``version``) as YAML."""
    stored = await services.config_version(version)
    if stored is None:
        if version is not None:
            raise ApiProblem(404, f"No configuration version {version}.", kind="not-found")
        return ConfigOut(
            version=None,
            created_utc=None,
            author=None,
            comment=None,
            yaml=dump_config(services.config),
        )
    return ConfigOut(
        version=stored.version,
        created_utc=stored.created_utc,
        author=stored.author,
        comment=stored.comment,
        yaml=stored.yaml_text,
    )


_PUT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/yaml": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "object"}},
        },
    }
}


async def _body_text(request: Request) -> tuple[str, str | None]:
    raw = await request.body()
    if len(raw) > MAX_CONFIG_BYTES:
        raise _bad_body(f"larger than {MAX_CONFIG_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _bad_body("not UTF-8 text") from None
    ctype = request.headers.get("content-type", "application/yaml").split(";")[0].strip().lower()
    if ctype in _YAML_TYPES or ctype == "":
        return text, None
    if ctype == "application/json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _bad_body(f"not valid JSON: {exc.msg} at line {exc.lineno}") from None
        if isinstance(data, dict) and isinstance(data.get("yaml"), str):
            comment = data.get("comment")
            return data["yaml"], comment if isinstance(comment, str) else None
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True), None
    raise ApiProblem(
        415,
        f"Unsupported content type {ctype!r}: send application/yaml or application/json.",
    )


@router.put(
    "/config",
    response_model=ConfigApplied,
    responses=problem_responses(401, 403, 415, 422),
    openapi_extra=_PUT_BODY,
    summary="Validate, store as a new version, apply and audit a configuration",
)
async def put_config(
    request: Request,
    principal: Configurer,
    services: Services,
    comment: Annotated[str, Query(max_length=500)] = "",
) -> ConfigApplied:
    text, body_comment = await _body_text(request)
    if not text.strip():
        raise _bad_body("it is empty; send the whole rack configuration as YAML (or JSON)")
    try:
        parse_config(text, "request body")
        version = await services.apply_config(text, principal.actor, body_comment or comment)
    except ConfigError as exc:
        raise _invalid(exc) from None
    return ConfigApplied(version=version)


@router.get(
    "/config/versions",
    response_model=list[ConfigVersionOut],
    responses=problem_responses(401, 403),
)
async def list_versions(_: Reader, services: Services) -> list[ConfigVersionOut]:
    infos = await services.config_versions()
    return [
        ConfigVersionOut(
            version=i.version, created_utc=i.created_utc, author=i.author, comment=i.comment
        )
        for i in infos
    ]


@router.post(
    "/config/rollback/{version}",
    response_model=ConfigApplied,
    responses=problem_responses(401, 403, 404, 422),
    summary="Re-apply an earlier version as a new version (audited)",
)
async def rollback(
    version: Annotated[int, Path(ge=1, le=2**31)],
    principal: Configurer,
    services: Services,
) -> ConfigApplied:
    if await services.config_version(version) is None:
        raise ApiProblem(404, f"No configuration version {version}.", kind="not-found")
    try:
        new = await services.rollback_config(version, principal.actor)
    except ConfigError as exc:
        raise _invalid(exc) from None
    return ConfigApplied(version=new)
