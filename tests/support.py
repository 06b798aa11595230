"""One small helper to run the real program offline with a given config, as the CLI would."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from offline import engine, stackfile
from offline.engine import ProgramRun
from offline.render import display_inputs

ROOT = Path(__file__).resolve().parent.parent
ORG = "6f1a1d43-2b0e-4a8c-9d5e-0c2b7e9f4a11"

# A complete pilot stack, as a user writes it (camelCase keys, objects as YAML mappings).
BASE: dict[str, Any] = {
    "orgId": ORG,
    "notificationEmail": "webex-admins@contoso.com",
    "assignments": [{"user": "pilot.user@contoso.com"}],
    "provisioning": {"templateId": "ciscowebex"},
}


def config(**changes: Any) -> dict[str, Any]:
    """BASE with top-level keys replaced (None removes a key)."""
    cfg = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is None:
            cfg.pop(key, None)
        else:
            cfg[key] = value
    return cfg


def stack_config(
    values: dict[str, Any], *, token: str | None = "token-value", token_secret: bool = True
) -> stackfile.StackConfig:
    """The flat config map the CLI hands a program: `webex-scim:` keys, objects as JSON text."""
    flat: dict[str, str] = {}
    for key, value in values.items():
        flat[f"webex-scim:{key}"] = json.dumps(value) if isinstance(value, (dict, list)) else str(value)
    secret_keys: list[str] = []
    if token is not None:
        flat["webex-scim:scimToken"] = token
        if token_secret:
            secret_keys.append("webex-scim:scimToken")
    project, main = stackfile.load_project(ROOT)
    return stackfile.StackConfig(project, "test", ROOT, main, flat, secret_keys)


def run(values: dict[str, Any], **kwargs: Any) -> ProgramRun:
    return engine.run_program(stack_config(values, **kwargs))


def by_name(result: ProgramRun) -> dict[str, Any]:
    """Recorded resources keyed by logical name."""
    return {r.name: r for r in result.resources}


def inputs(result: ProgramRun, name: str) -> dict[str, Any]:
    return display_inputs(by_name(result)[name].inputs)


def parent_name(result: ProgramRun, name: str) -> str | None:
    urns = {r.urn: r.name for r in result.resources}
    parent = by_name(result)[name].parent
    return urns.get(parent) if parent else None
