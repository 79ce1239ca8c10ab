"""YAML in/out for rack configurations, with errors that name every bad field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from smartpdu.config.lenient import lenient_rack
from smartpdu.config.models import RackConfig
from smartpdu.config.references import ConfigIssue, check_references

__all__ = [
    "ConfigError",
    "dump_config",
    "field_path",
    "load_config",
    "load_yaml",
    "parse_config",
    "read_text",
    "validate_data",
    "validation_issues",
]


class ConfigError(ValueError):
    """A configuration was rejected; ``issues`` lists every bad field with its path."""

    def __init__(self, issues: list[ConfigIssue], source: str = "configuration") -> None:
        self.issues = issues
        self.source = source
        lines = "\n".join(f"  - {issue}" for issue in issues)
        super().__init__(f"{source} is invalid ({len(issues)} problem(s)):\n{lines}")


class _Yaml12Loader(yaml.SafeLoader):
    """SafeLoader that, like YAML 1.2, treats only true/false as booleans (``on``/``off`` stay text)."""


_Yaml12Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    __import__("re").compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def field_path(loc: tuple[int | str, ...]) -> str:
    """Pydantic error location → ``pdus[1].branches[3].rating_a`` (union markers dropped)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part[:1].isupper() or "[" in part or "(" in part or part.startswith("function-"):
            continue  # pydantic's union/literal branch markers, not fields
        else:
            out += f".{part}" if out else part
    return out or "(root)"


def _shorten(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def validation_issues(
    exc: ValidationError,
    path: Callable[[tuple[int | str, ...]], str] = field_path,
    describe: Callable[[Any], str | None] = lambda err: None,
) -> list[ConfigIssue]:
    """One readable issue per distinct (path, message) of a pydantic error.

    ``describe(err)`` may return a better message for special error types (e.g. union tags).
    """
    issues: list[ConfigIssue] = []
    for err in exc.errors(include_url=False):
        text = describe(err) or err["msg"]
        scalar = isinstance(err.get("input"), str | int | float | bool)
        if err["type"] == "missing":
            text = "required field is missing"
        elif err["type"] == "value_error":
            text = text.removeprefix("Value error, ")
        elif scalar and not text.endswith(")"):
            text = f"{text} (got {_shorten(repr(err['input']), 60)})"
        issue = ConfigIssue(path(tuple(err["loc"])), _shorten(text))
        if issue not in issues:
            issues.append(issue)
    return issues


def load_yaml(text: str, source: str, error: type[ConfigError] = ConfigError) -> Any:
    """Parse YAML 1.2-style (only true/false are booleans); syntax errors name line and column."""
    try:
        return yaml.load(text, Loader=_Yaml12Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(unknown position)"
        reason = getattr(exc, "problem", None) or str(exc)
        raise error([ConfigIssue(where, f"not valid YAML: {reason}")], source) from None


def read_text(path: str | Path, error: type[ConfigError] = ConfigError) -> str:
    """Read a UTF-8 file; an unreadable file is a ConfigError naming it, not a traceback."""
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise error([ConfigIssue(str(p), f"cannot read file: {reason}")], str(p)) from None


def validate_data(data: Any, source: str = "configuration") -> RackConfig:
    """Validate already-parsed data; raise ConfigError listing every problem."""
    if not isinstance(data, dict):
        raise ConfigError([ConfigIssue("(root)", "expected a mapping at the top level")], source)
    try:
        cfg = RackConfig.model_validate(data)
    except ValidationError as exc:
        # Report the cross-reference problems of the valid parts in the same pass, so an unknown
        # branch does not wait until every field error is fixed (a path reported once).
        issues = validation_issues(exc)
        seen = {issue.path for issue in issues}
        issues += [i for i in check_references(lenient_rack(data)) if i.path not in seen]
        raise ConfigError(issues, source) from None
    problems = check_references(cfg)
    if problems:
        raise ConfigError(problems, source)
    return cfg


def parse_config(text: str, source: str = "configuration") -> RackConfig:
    """Parse YAML text into a validated rack."""
    return validate_data(load_yaml(text, source), source)


def load_config(path: str | Path) -> RackConfig:
    """Read and validate a YAML rack file."""
    return parse_config(read_text(path), str(path))


def dump_config(cfg: RackConfig) -> str:
    """Serialise a rack back to YAML (round-trips through :func:`parse_config`)."""
    data = cfg.model_dump(mode="json", exclude_defaults=False)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
