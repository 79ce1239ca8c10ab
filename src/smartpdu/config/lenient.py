"""A best-effort rack built from invalid data, so cross-references can be checked in the same pass.

Pydantic stops at the first level that fails: when an outlet's rating is out of range the whole
rack is rejected and :func:`~smartpdu.config.references.check_references` never runs, so an
unknown branch only shows once every field error is fixed. :func:`lenient_rack` validates every
field *on its own* (with its type and constraints), keeps the valid ones, uses the default for a
missing field and ``None`` for an invalid one, and assembles the models without validating them
as a whole (``model_construct``). The result is for finding more problems only — never use it as
a configuration.
"""

from __future__ import annotations

import types
from functools import cache
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError

from smartpdu.config.models import RackConfig

__all__ = ["lenient_rack"]

M = TypeVar("M", bound=BaseModel)


@cache
def _adapter(model: type[BaseModel], name: str) -> TypeAdapter[Any]:
    field = model.model_fields[name]
    annotated: Any = field.annotation
    if field.metadata:
        annotated = Annotated[annotated, *field.metadata]  # type: ignore[name-defined]
    return TypeAdapter(annotated)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The model class in ``Model`` or ``Model | None`` (else None)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        found = [
            a for a in get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)
        ]
        return found[0] if len(found) == 1 else None
    return None


def _value(model: type[BaseModel], name: str, raw: Any) -> Any:
    annotation = model.model_fields[name].annotation
    if get_origin(annotation) is list:
        (item,) = get_args(annotation) or (Any,)
        inner = _model_of(item)
        if inner is not None:
            items = raw if isinstance(raw, list) else []
            return [_construct(inner, x) for x in items]
    inner = _model_of(annotation)
    if inner is not None and isinstance(raw, dict):
        return _construct(inner, raw)
    try:
        return _adapter(model, name).validate_python(raw)
    except ValidationError:
        return None


def _construct(model: type[M], raw: Any) -> M:
    data = raw if isinstance(raw, dict) else {}
    values: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        if name in data:
            values[name] = _value(model, name, data[name])
        elif not field.is_required():
            values[name] = field.get_default(call_default_factory=True)
        else:
            values[name] = [] if get_origin(field.annotation) is list else None
    return model.model_construct(**values)


def lenient_rack(data: Any) -> RackConfig:
    """Every valid part of ``data`` as a :class:`RackConfig`; invalid fields are ``None``."""
    return _construct(RackConfig, data)
