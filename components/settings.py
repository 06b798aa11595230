"""Typed stack settings: the `webex-scim:*` config keys, validated once, every problem named by its key.

The program never reads `pulumi.Config` anywhere else. A bad stack file fails here, before any resource is
registered, with one message that names each bad key and how to fix it (a `pulumi config` command where one helps).
The models themselves (what each key accepts) are components/settings_models.py; their names are importable here.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

import pulumi
from pydantic import ValidationError

from policies.vocabulary import TOKEN_CONFIG_KEY

from .settings_messages import (
    OBJECT_SHAPES,
    PROJECT,
    describe,
    key_path,
    meant_for_project,
    namespace_problems,
    set_command,
    shape_problem,
)
from .settings_models import (  # noqa: F401  (the settings' public names, importable from here as before)
    MAX_DELETE_THRESHOLD,
    AppSettings,
    Assignment,
    ProvisioningSettings,
    Settings,
    check_org_id,
    is_object_id,
    keys_at,
)


class SettingsError(pulumi.RunError):
    """Bad stack config. A RunError, so the real CLI prints the message without a traceback too."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = [f"invalid stack config ({len(problems)} problem{'s' if len(problems) > 1 else ''}):"]
        lines += [f"  - {p}" for p in problems]
        super().__init__("\n".join(lines))


class DeployTimeError(pulumi.RunError):
    """A value only the tenant knows turned out wrong (e.g. the app has no usable role)."""


class StackSettings:
    """Validated settings plus the SCIM token as a secret Output (never a plain string in this object)."""

    def __init__(self, settings: Settings, scim_token: pulumi.Output[str]) -> None:
        self.settings = settings
        self.scim_token = scim_token

    def __repr__(self) -> str:  # the token is an Output, but never let a repr tempt anyone
        return f"StackSettings({self.settings!r}, scim_token=[secret])"


# ---------------------------------------------------------------------------------------------------------------
# Loading from pulumi.Config


def _all_config() -> dict[str, Any]:
    """Every config key the engine handed to the program (CLI and mock engine alike), in every namespace."""
    # pulumi.Config can only look up keys by name; to refuse typos we need the whole set of keys.
    from pulumi.runtime import config as runtime_config

    # The CLI's language host passes config in PULUMI_CONFIG; the SDK copies it into CONFIG lazily, so read both.
    return {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}


def _raw_config(merged: Mapping[str, Any]) -> dict[str, Any]:
    """Every `webex-scim:*` key of `merged` (the stack's keys in every namespace), without its namespace."""
    prefix = f"{PROJECT}:"
    return {full[len(prefix) :]: value for full, value in merged.items() if full.startswith(prefix)}


def _parse(key: str, value: Any) -> Any:
    shape = OBJECT_SHAPES.get(key)
    if shape is not None and isinstance(value, str):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            # `webex-scim:app: hello`: the CLI hands the program the text; say what the key holds instead.
            raise ValueError(shape_problem(key, shape, value)) from None
        return parsed
    if isinstance(value, str) and key == "rollout":
        return value.strip()
    return value


def validate(raw: dict[str, Any], written_elsewhere: Collection[str] = ()) -> Settings:
    """Validate plain config values (no token) into Settings, or raise one SettingsError naming every bad key.
    A required key in `written_elsewhere` (under a near-miss namespace, said by its own problem) is not also
    reported as not set."""
    problems: list[str] = []
    data: dict[str, Any] = {}
    for key, value in raw.items():
        if key == TOKEN_CONFIG_KEY:
            continue
        try:
            data[key] = _parse(key, value)
        except ValueError as exc:  # reported with the rest; the key keeps its default meanwhile
            problems.append(str(exc))
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        errors = [e for e in errors if not (e["type"] == "missing" and key_path(e["loc"]) in written_elsewhere)]
        problems += [describe(e, keys_at(tuple(e["loc"]))) for e in errors]
        raise SettingsError(problems) from None
    if problems:
        raise SettingsError(problems)
    return settings


def validate_stack_config(merged: Mapping[str, Any]) -> tuple[Settings | None, dict[str, Any], list[str]]:
    """Every config key of a stack, in every namespace (`webex-scim:assignments`, `azuread:environment`, …), checked
    as the program checks them: (the settings or None, the raw `webex-scim:*` values, every problem found).

    Keys in the wrong namespace and bad values are reported together, so one run names all of them; the token is
    not checked here (`load` does: only the program knows whether it is a secret)."""
    problems, misplaced = namespace_problems(list(merged))
    raw = {k: v for k, v in _raw_config(merged).items() if k not in misplaced}
    try:
        settings: Settings | None = validate(raw, written_elsewhere=meant_for_project(list(merged)))
    except SettingsError as exc:
        problems += exc.problems
        settings = None
    return settings, raw, problems


def load(config: pulumi.Config | None = None) -> StackSettings:
    """Read and validate the stack's config; the token must be set and must be a secret."""
    config = config or pulumi.Config(PROJECT)
    settings, raw, problems = validate_stack_config(_all_config())

    from pulumi.runtime import config as runtime_config

    token_key = f"{PROJECT}:{TOKEN_CONFIG_KEY}"
    token_fix = set_command(TOKEN_CONFIG_KEY, "<token from the Webex admin sign-in>", secret=True)
    if TOKEN_CONFIG_KEY not in raw:
        problems.append(f"{token_key}: required but not set; run `{token_fix}`")
    elif not runtime_config.is_config_secret(token_key):
        # Never echo the value: it is a bearer token that was just committed in clear.
        problems.append(
            f"{token_key}: is stored in plain text in the stack file; make it a secret: "
            f"`pulumi config rm {TOKEN_CONFIG_KEY}` then `{token_fix}` (and revoke the exposed token in Webex)"
        )
    elif not str(raw[TOKEN_CONFIG_KEY]).strip():
        problems.append(f"{token_key}: is empty; run `{token_fix}`")
    if problems or settings is None:
        raise SettingsError(problems)
    return StackSettings(settings, config.require_secret(TOKEN_CONFIG_KEY))
