"""The CLI's policy-pack config (`--policy-pack-config` JSON), read and reconciled with a pack's policies.

Pure data work, no gRPC: a file of the wrong shape is refused (exit 2) as it is read, before any program runs; what
only the pack can say (its policy names, their settings' schemas) is checked against it once it has started.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from webex_scim.errors import UsageError
from webex_scim.userfiles import read_text

LEVELS = ("advisory", "mandatory", "remediate", "disabled")
_LEVELS_TEXT = ", ".join(LEVELS)
MAX_POLICY_CONFIG_BYTES = 1024 * 1024  # a level and a few settings per rule: a few KB; anything bigger is not one


@dataclass(frozen=True)
class PolicyInfo:
    """One policy as the pack describes itself (GetAnalyzerInfo)."""

    name: str
    description: str
    enforcement_level: str
    kind: str  # "resource" | "stack" | "unknown"
    config_schema: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    required: tuple[str, ...] = ()


class PolicyConfigFile(dict[str, Any]):
    """A parsed --policy-config file that remembers its path, so later errors can name the file."""

    source: str = "policy config"


def load_policy_config(path: Path) -> dict[str, Any]:
    """Read the CLI's policy-pack config JSON: `{"policy": "mandatory"}` or `{"policy": {"enforcementLevel": ...,
    "prop": ...}}`, plus an optional `"all": level`. Shape errors raise UsageError naming the file and the key;
    unknown policy names and property types are checked against the pack by `reconcile_policy_config`."""
    path = Path(path)
    text = read_text(path, label="--policy-config", limit=MAX_POLICY_CONFIG_BYTES, example="policy-config.json")
    config = PolicyConfigFile()
    config.source = str(path)
    if not text.strip():  # the CLI accepts an empty file as "no config"
        return config
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); expected an object like "
            '{"token-expiry": {"enforcementLevel": "mandatory", "minDaysLeft": 45}}'
        ) from None
    config.update(_check_shape(data, str(path)))
    return config


def _check_shape(data: Any, source: str) -> dict[str, Any]:
    """The CLI's parsePolicyPackConfig checks: an object of level strings or objects with a valid level."""
    if not isinstance(data, Mapping):
        raise UsageError(f"{source}: must be a JSON object mapping policy names to a level or settings")
    for name, value in data.items():
        if isinstance(value, str):
            _check_level(value, source, name)
        elif isinstance(value, Mapping):
            if "enforcementLevel" in value:
                level = value["enforcementLevel"]
                if not isinstance(level, str):
                    raise UsageError(
                        f"{source}: {name}.enforcementLevel: {level!r} must be a string, one of {_LEVELS_TEXT}"
                    )
                _check_level(level, source, f"{name}.enforcementLevel")
        else:
            raise UsageError(f"{source}: {name}: {value!r} must be an enforcement level ({_LEVELS_TEXT}) or an object")
    return dict(data)


def _check_level(level: str, source: str, key: str) -> None:
    if level not in LEVELS:
        raise UsageError(f"{source}: {key}: {level!r} is not an enforcement level; use one of {_LEVELS_TEXT}")


def reconcile_policy_config(
    policies: Sequence[PolicyInfo],
    given: Mapping[str, Any] | None,
    *,
    initial: Mapping[str, tuple[str | None, Mapping[str, Any]]] | None = None,
    source: str = "policy config",
) -> dict[str, tuple[str, dict[str, Any]]]:
    """What the CLI sends to Configure: per policy (level, properties).

    Order as in the CLI's ReconcilePolicyPackConfig: schema defaults and the policy's own level, the pack's initial
    config, then `all`, then per-policy entries; then every policy's properties are validated against its schema.
    Stricter than the CLI (on purpose, these are typos): unknown policy names and unknown properties are errors.
    """
    given = _check_shape(dict(given or {}), source)
    by_name = {p.name: p for p in policies}
    unknown = [name for name in given if name != "all" and name not in by_name]
    if unknown:
        raise UsageError(
            f"{source}: {unknown[0]!r} is not a policy of this pack{_did_you_mean(unknown[0], by_name)}; its "
            f"policies are: {', '.join(sorted(by_name))}"
        )

    result: dict[str, tuple[str, dict[str, Any]]] = {}
    for p in policies:
        defaults = {k: s["default"] for k, s in p.config_schema.items() if isinstance(s, Mapping) and "default" in s}
        result[p.name] = (p.enforcement_level, defaults)
    for name, (level, props) in (initial or {}).items():
        if name in result:
            old_level, old_props = result[name]
            result[name] = (level or old_level, {**old_props, **props})

    all_entry = given.get("all")
    all_level = all_entry if isinstance(all_entry, str) else (all_entry or {}).get("enforcementLevel")
    if all_level:
        result = {name: (all_level, props) for name, (_, props) in result.items()}
    for name, value in given.items():
        if name == "all":
            continue
        level, props = result[name]
        if isinstance(value, str):
            level = value
        else:
            level = value.get("enforcementLevel", level)
            props = {**props, **{k: v for k, v in value.items() if k != "enforcementLevel"}}
        result[name] = (level, props)

    for name, (_, props) in result.items():
        policy = by_name[name]
        for prop, value in props.items():
            schema = policy.config_schema.get(prop)
            if schema is None:
                settings = ", ".join(sorted(policy.config_schema)) or "none"
                near = _did_you_mean(prop, policy.config_schema).strip(" ()")
                raise UsageError(
                    f"{source}: {name}.{prop}: not a setting of this policy ({near + '; ' if near else ''}its "
                    f"settings: {settings})"
                )
            problem = _schema_problem(schema, value)
            if problem:
                raise UsageError(f"{source}: {name}.{prop}: {problem}")
        for prop in policy.required:
            if prop not in props:
                raise UsageError(f"{source}: {name}.{prop}: required by this policy but not set")
    return result


def _did_you_mean(name: str, known: Iterable[str]) -> str:
    """`; did you mean 'x'?` for the known name `name` is a typo of (case aside, or a letter or two off)."""
    lowered = {k.lower(): k for k in known}
    near = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.75)
    return f" (did you mean {lowered[near[0]]!r}?)" if near else ""


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


def _schema_problem(schema: Mapping[str, Any], value: Any) -> str | None:
    """The JSON-schema subset policy configs use (type, enum, minimum, maximum, items); None when valid."""
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else list(types)
        ok = False
        for t in names:
            # JSON has no int/bool distinction problem, Python does: True is an int but not an "integer" here.
            if t in ("integer", "number") and isinstance(value, bool):
                continue
            if t == "integer" and isinstance(value, float) and value.is_integer():
                ok = True
            elif isinstance(value, _JSON_TYPES.get(t, ())):
                ok = True
        if not ok:
            return f"expected {' or '.join(names)}, got {json.dumps(value)}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{json.dumps(value)} is not one of {json.dumps(schema['enum'])}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            return f"{value} is below the minimum {schema['minimum']}"
        if "maximum" in schema and value > schema["maximum"]:
            return f"{value} is above the maximum {schema['maximum']}"
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for index, item in enumerate(value):
            problem = _schema_problem(schema["items"], item)
            if problem:
                return f"[{index}]: {problem}"
    return None
