"""YAML in/out for rack configurations, with errors that name every bad field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from smartpdu.config.models import RackConfig
from smartpdu.config.references import ConfigIssue, check_references

__all__ = ["ConfigError", "dump_config", "load_config", "parse_config", "validate_data"]


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


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part[:1].isupper() or "[" in part or "(" in part or part.startswith("function-"):
            continue  # pydantic's union/literal branch markers, not fields
        else:
            out += f".{part}" if out else part
    return out or "(root)"


def validate_data(data: Any, source: str = "configuration") -> RackConfig:
    """Validate already-parsed data; raise ConfigError listing every problem."""
    if not isinstance(data, dict):
        raise ConfigError([ConfigIssue("(root)", "expected a mapping at the top level")], source)
    try:
        cfg = RackConfig.model_validate(data)
    except ValidationError as exc:
        issues: list[ConfigIssue] = []
        seen: set[str] = set()
        for err in exc.errors(include_url=False):
            path = _path(tuple(err["loc"]))
            text = err["msg"]
            scalar = isinstance(err.get("input"), str | int | float | bool)
            if err["type"] != "value_error" and scalar:
                text = f"{text} (got {_shorten(repr(err['input']), 60)})"
            elif err["type"] == "value_error":
                text = text.removeprefix("Value error, ")
            if err["type"] == "missing":
                text = "required field is missing"
            if (path, text) in seen:  # type: ignore[comparison-overlap]
                continue
            seen.add((path, text))  # type: ignore[arg-type]
            issues.append(ConfigIssue(path, _shorten(text)))
        raise ConfigError(issues, source) from None
    problems = check_references(cfg)
    if problems:
        raise ConfigError(problems, source)
    return cfg


def _shorten(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_config(text: str, source: str = "configuration") -> RackConfig:
    """Parse YAML text into a validated rack."""
    try:
        data = yaml.load(text, Loader=_Yaml12Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(unknown position)"
        reason = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([ConfigIssue(where, f"not valid YAML: {reason}")], source) from None
    return validate_data(data, source)


def load_config(path: str | Path) -> RackConfig:
    """Read and validate a YAML rack file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            [ConfigIssue(str(p), f"cannot read file: {exc.strerror}")], str(p)
        ) from None
    return parse_config(text, str(p))


def dump_config(cfg: RackConfig) -> str:
    """Serialise a rack back to YAML (round-trips through :func:`parse_config`)."""
    data = cfg.model_dump(mode="json", exclude_defaults=False)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
