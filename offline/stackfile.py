"""Read Pulumi.yaml and a stack file the way the CLI does, into the flat config map the SDK hands a program."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import UsageError

# A `secure:` value is ciphertext only the stack's secrets provider can open; offline it is "set, secret, unknown".
# The program receives this stand-in, and the recorder turns any secret carrying it back into an unknown.
UNDECRYPTED = "[offline: secure value not decrypted]"
TOKEN_KEY = "scimToken"


@dataclass
class StackConfig:
    project: str
    stack: str
    project_dir: Path
    main: Path
    config: dict[str, str]
    secret_keys: list[str]
    warnings: list[str] = field(default_factory=list)


def _load_yaml(path: Path, what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{what} {path} does not exist") from None
    try:
        # libyaml's loader when the wheel has it: ten times faster on a stack with thousands of assignments.
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" (line {mark.line + 1}, column {mark.column + 1})"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UsageError(f"{path}: not valid YAML{where}: {problem}; fix the file or restore it from git") from None


def load_project(project_dir: Path) -> tuple[str, Path]:
    doc = _load_yaml(project_dir / "Pulumi.yaml", "project file")
    if not isinstance(doc, dict) or not doc.get("name"):
        raise UsageError(f"{project_dir / 'Pulumi.yaml'}: needs a `name`")
    main = project_dir / str(doc.get("main") or ".")
    return str(doc["name"]), (main / "__main__.py" if main.is_dir() else main)


def stack_file(project_dir: Path, stack: str) -> Path:
    return project_dir / f"Pulumi.{stack}.yaml"


def load(project_dir: Path, *, stack: str | None = None, config_file: Path | None = None) -> StackConfig:
    """Config of one stack, given by name (Pulumi.<name>.yaml beside Pulumi.yaml) or by file path."""
    project, main = load_project(project_dir)
    if config_file is None:
        assert stack is not None
        config_file = stack_file(project_dir, stack)
        if not config_file.exists():
            known = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))
            raise UsageError(
                f"stack {stack!r} has no stack file {config_file.name} in {project_dir}; "
                f"known stacks: {', '.join(known) or 'none'} (create one with `pulumi stack init {stack}`)"
            )
    else:
        stack = stack or _stack_name_from(config_file)
    doc = _load_yaml(config_file, "stack file")
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise UsageError(f"{config_file}: a stack file is a YAML mapping with a `config:` section")
    raw = doc.get("config") or {}
    if not isinstance(raw, dict):
        raise UsageError(f"{config_file}: `config:` must be a mapping of keys to values")

    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in raw.items():
        full = key if ":" in str(key) else f"{project}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[full] = UNDECRYPTED
            secret_keys.append(full)
        elif isinstance(value, (dict, list)):
            # The CLI passes object values to the program as JSON text (Config.get_object parses it).
            config[full] = json.dumps(value)
        elif isinstance(value, bool):
            config[full] = "true" if value else "false"
        elif value is None:
            config[full] = ""
        else:
            config[full] = str(value)

    warnings: list[str] = []
    token = f"{project}:{TOKEN_KEY}"
    if token not in config:
        warnings.append(
            f"{token} is not set in {config_file.name}: the offline preview treats it as a secret with an unknown "
            f"value, but a real `pulumi preview`/`up` will fail until you run "
            f"`pulumi config set --secret {TOKEN_KEY} <token>`" + ("" if stack is None else f" (on stack {stack})")
        )
        config[token] = UNDECRYPTED
        secret_keys.append(token)
    return StackConfig(project, stack, project_dir, main, config, secret_keys, warnings)


def _stack_name_from(path: Path) -> str:
    name = path.name
    if name.startswith("Pulumi.") and name.endswith(".yaml"):
        return name[len("Pulumi.") : -len(".yaml")]
    return path.stem
