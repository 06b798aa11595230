"""Read Pulumi.yaml and a stack file the way the CLI does, into the flat config map the SDK hands a program.

A stack file is typed by hand, so everything the Pulumi CLI would refuse (or that would only fail later, in a real
`pulumi up`) is refused here with one message naming the file, the line and the key (exit 2): duplicate keys,
`secure:` values no secrets provider can decrypt, YAML aliases that expand without bound or refer to themselves,
values nested absurdly deep, YAML types config cannot hold. Nothing here echoes a value: it may be a secret.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from policies.vocabulary import NAMESPACE, TOKEN_CONFIG_KEY, config_set_command
from webex_scim.errors import UsageError
from webex_scim.stacks import stack_names
from webex_scim.userfiles import read_text

# A `secure:` value is ciphertext only the stack's secrets provider can open; offline it is "set, secret, unknown".
# The program receives this stand-in, and the recorder turns any secret carrying it back into an unknown.
UNDECRYPTED = "[offline: secure value not decrypted]"

# Bounds far above any real stack (5,000 assignments are ~300 KB; the deepest setting, a scoping filter's values,
# is 5 levels under its key), far below what would hang the preview or exhaust memory.
MAX_STACK_FILE_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 32
MAX_ALIAS_VALUES = 10_000  # values YAML aliases may add to a key beyond what is written out
# libyaml's C composer recurses once per nesting level and crashes the interpreter (not an exception) somewhere past
# ~20,000 levels. Block nesting is bounded by the file size (each level indents one more column); flow nesting
# (`[[[[`) is not, so a file with this many brackets is scanned for depth event by event first.
_FLOW_SCAN_BRACKETS = 4_000

_TOO_DEEP = (
    f"values are nested more than {MAX_DEPTH} levels deep, and no setting nests deeper than 5; "
    "fix the file or restore it from git"
)

# Pulumi's stack name rule (alphanumerics, `-`, `_`, `.`; at most 100), optionally qualified as org/[project/]name.
_STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_BASE64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class StackConfig:
    project: str
    stack: str
    project_dir: Path
    main: Path
    config: dict[str, str]
    secret_keys: list[str]
    warnings: list[str] = field(default_factory=list)


class _Refused(Exception):
    """A stack-file problem found while loading; `line` is 1-based."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class _StackLoader(_Loader):  # type: ignore[misc, valid-type]
    """The safe loader, stricter where the Pulumi CLI (Go yaml.v3) is: duplicate keys are refused, dates stay text."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *defaults` is YAML's merge, not a duplicate
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: the base class reports it with its position
                continue
            if first is not None:
                raise _Refused(
                    f"`{key}` is defined twice (line {first} and line {line}); the Pulumi CLI refuses that too "
                    "(mapping key already defined), and only one of them can count: keep one",
                    line,
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, OverflowError):  # an explicit tag that does not fit (`!!int abc`)
            raise _Refused(
                f"the value tagged {node.tag.replace('tag:yaml.org,2002:', '!!')} cannot be read as one; "
                "remove the tag or fix the value",
                node.start_mark.line + 1,
            ) from None


def _timestamp_as_text(loader: yaml.BaseLoader, node: yaml.ScalarNode) -> str:
    # The Pulumi CLI hands an unquoted date to the program as the text written, so do the same: a typo such as
    # 2027-13-45 then reaches the settings, which name the key and the fix, instead of failing inside PyYAML.
    return str(loader.construct_scalar(node))


_StackLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def _load_yaml(path: Path, what: str) -> tuple[Any, dict[str, int]]:
    """The document and, for the keys under its `config:`, the line each is written on."""
    text = read_text(path, label=what, limit=MAX_STACK_FILE_BYTES, example="Pulumi.dev.yaml")
    try:
        if text.count("[") + text.count("{") > _FLOW_SCAN_BRACKETS:
            _scan_depth(text)
        loader = _StackLoader(text)
        try:
            root = loader.get_single_node()
            doc = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except _Refused as exc:
        line = f", line {exc.line}" if exc.line else ""
        raise UsageError(f"{path}{line}: {exc}") from None
    except RecursionError:  # the pure-Python composer (no libyaml in the wheel) on deep nesting
        raise UsageError(f"{path}: {_TOO_DEEP}") from None
    except yaml.YAMLError as exc:
        where = _position(exc, text)
        raise UsageError(
            f"{path}: not valid YAML{where}: {_problem(exc, text)}; fix the file or restore it from git"
        ) from None
    return doc, _config_key_lines(root)


def _position(exc: yaml.YAMLError, text: str) -> str:
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return f" (line {mark.line + 1}, column {mark.column + 1})"
    position = getattr(exc, "position", None)  # a ReaderError (control character) has only an offset
    if isinstance(position, int):
        return f" (line {text.count(chr(10), 0, position) + 1})"
    return ""


def _problem(exc: yaml.YAMLError, text: str) -> str:
    mark = getattr(exc, "problem_mark", None)  # libyaml's "found character that cannot start any token" names none
    if (mark and text[mark.index : mark.index + 1] == "\t") or "tab character" in str(getattr(exc, "problem", "")):
        return "a tab character, and YAML indents with spaces only: replace the tab with spaces"
    if isinstance(exc, yaml.reader.ReaderError) and isinstance(exc.character, int):
        return f"character #x{exc.character:04x} is not allowed in YAML (a control character or binary data)"
    return getattr(exc, "problem", None) or str(exc).splitlines()[0]


def _scan_depth(text: str) -> None:
    """Refuse nesting deeper than any setting, reading events only (the C parser keeps no recursion for them)."""
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH + 2:  # the document's mapping and `config:` come first
                raise _Refused(_TOO_DEEP, event.start_mark.line + 1)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _config_key_lines(root: yaml.Node | None) -> dict[str, int]:
    if not isinstance(root, yaml.MappingNode):
        return {}
    for key_node, value_node in root.value:
        if key_node.value == "config" and isinstance(value_node, yaml.MappingNode):
            return {str(k.value): k.start_mark.line + 1 for k, _ in value_node.value}
    return {}


def load_project(project_dir: Path) -> tuple[str, Path]:
    doc, _ = _load_yaml(project_dir / "Pulumi.yaml", "project file")
    if not isinstance(doc, dict) or not doc.get("name"):
        raise UsageError(f"{project_dir / 'Pulumi.yaml'}: needs a `name`")
    main = project_dir / str(doc.get("main") or ".")
    return str(doc["name"]), (main / "__main__.py" if main.is_dir() else main)


def stack_file(project_dir: Path, stack: str) -> Path:
    return project_dir / f"Pulumi.{stack}.yaml"


def check_stack_name(stack: str) -> str:
    """The short name of a `--stack` value (`dev`, or `dev` from `acme/webex-scim/dev`), or UsageError.

    The name becomes a file name: anything outside Pulumi's stack-name rule (a `/..`, a space) is refused, so a
    stack name can never point at a file outside the project.
    """
    parts = stack.split("/")
    if len(parts) > 3 or not all(_STACK_NAME.match(p) and p.strip(".") for p in parts):
        raise UsageError(
            f"--stack {stack!r} is not a stack name: Pulumi stack names use letters, digits, `-`, `_` and `.` "
            "(at most 100), optionally as org/name or org/project/name; to preview a stack file elsewhere, use "
            "--config-file PATH"
        )
    return parts[-1]


def load(project_dir: Path, *, stack: str | None = None, config_file: Path | None = None) -> StackConfig:
    """Config of one stack, given by name (Pulumi.<name>.yaml beside Pulumi.yaml) or by file path."""
    project, main = load_project(project_dir)
    if config_file is None:
        assert stack is not None
        stack = check_stack_name(stack)
        config_file = stack_file(project_dir, stack)
        if not config_file.exists():
            if stack.startswith("Pulumi.") and stack.endswith((".yaml", ".yml")):  # a file name given as a stack
                fix = f"give the stack's name (--stack {stack_name_from(Path(stack))}) or --config-file {stack}"
            else:
                fix = f"copy the dev stack's file and edit it: `cp Pulumi.dev.yaml {config_file.name}`"
            raise UsageError(
                f"stack {stack!r} has no stack file {config_file.name} in {project_dir}; "
                f"known stacks: {', '.join(stack_names(project_dir)) or 'none'} ({fix})"
            )
    else:
        stack = stack or stack_name_from(config_file)
    doc, lines = _load_yaml(config_file, "stack file")
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise UsageError(f"{config_file}: a stack file is a YAML mapping with a `config:` section")
    outside = [str(k) for k in doc if ":" in str(k)]
    if outside:  # `webex-scim:orgId: ...` written at the top level: the CLI would not see it as config either
        raise UsageError(
            f"{config_file}: `{outside[0]}` is outside `config:`; stack config keys go under a `config:` line, "
            "indented (as `pulumi config set` writes them)"
        )
    raw = doc.get("config") or {}
    if not isinstance(raw, dict):
        raise UsageError(f"{config_file}: `config:` must be a mapping of keys to values")

    config: dict[str, str] = {}
    secret_keys: list[str] = []
    written_as: dict[str, str] = {}
    for key, value in raw.items():
        full = key if ":" in str(key) else f"{project}:{key}"
        line = lines.get(str(key))
        where = f"{config_file}{f', line {line}' if line else ''}: {full}"
        if full in written_as:  # `orgId` and `webex-scim:orgId` are one key
            raise UsageError(
                f"{where}: is set twice, as `{written_as[full]}` (line {lines.get(written_as[full])}) and as "
                f"`{key}`; keep one"
            )
        written_as[full] = str(key)
        if isinstance(value, dict) and set(value) == {"secure"}:
            _check_ciphertext(value["secure"], full, project, where)
            config[full] = UNDECRYPTED
            secret_keys.append(full)
            continue
        _check_value(value, where)
        if isinstance(value, (dict, list)):
            # The CLI passes object values to the program as JSON text (Config.get_object parses it).
            config[full] = json.dumps(value)
        elif isinstance(value, bool):
            config[full] = "true" if value else "false"
        elif value is None:
            config[full] = ""
        else:
            config[full] = str(value)

    warnings: list[str] = []
    token = f"{project}:{TOKEN_CONFIG_KEY}"
    # Only this project's program takes the SCIM token; another project (`--project-dir bootstrap`) has no such key.
    if project == NAMESPACE and token not in config:
        warnings.append(
            f"{token} is not set in {config_file.name}: the offline preview treats it as a secret with an unknown "
            f"value, but a real `pulumi preview`/`up` will fail until you run "
            f"`{config_set_command(TOKEN_CONFIG_KEY, '<token>', secret=True)}`"
            + ("" if stack is None else f" (on stack {stack})")
        )
        config[token] = UNDECRYPTED
        secret_keys.append(token)
    return StackConfig(project, stack, project_dir, main, config, secret_keys, warnings)


_NOT_TEXT = {bool: "is true/false", int: "is a number", float: "is a number", dict: "is a mapping", list: "is a list"}


def _check_ciphertext(value: Any, full: str, project: str, where: str) -> None:
    """Refuse a `secure:` value no secrets provider can decrypt (the CLI would fail on it), never showing it.

    Providers write `v1:<base64 nonce>:<base64 ciphertext>` (passphrase) or one base64 string (Pulumi Cloud, cloud
    KMS): pkg/secrets in pulumi/pulumi decodes these with base64.StdEncoding, so that is the test here.
    """
    problem = _NOT_TEXT.get(type(value))  # YAML gives exactly these types
    if problem is None and (value is None or not str(value).strip()):
        problem = "is empty"
    elif problem is None and not _is_ciphertext(str(value)):
        problem = (
            "is not base64 ciphertext (if you pasted the secret itself there, it is in clear in the file: revoke it)"
        )
    if problem is None:
        return
    name = full.split(":", 1)[1] if full.startswith(f"{project}:") else full
    raise UsageError(
        f"{where}: the `secure:` value {problem}; `secure:` holds only what `pulumi config set --secret` writes, "
        f"so the Pulumi CLI could not decrypt it; store it again: `{config_set_command(name, '<value>', secret=True)}`"
    )


def _is_ciphertext(text: str) -> bool:
    parts = text.strip().split(":")
    if parts[0] == "v1":
        parts = parts[1:]
        if len(parts) != 2:
            return False
    elif len(parts) != 1:
        return False
    for part in parts:
        if not _BASE64.match(part):
            return False
        try:
            base64.b64decode(part, validate=True)
        except binascii.Error:  # wrong padding
            return False
    return True


_PLAIN = (str, int, float, bool, type(None))


def _check_value(value: Any, where: str) -> None:
    """Refuse a value that would hang or crash its conversion to JSON: a self-reference, an alias bomb, deep
    nesting, or a YAML type (`!!binary`, `!!set`, `!!omap`) config cannot hold. Iterative, so never a
    RecursionError; shared (aliased) parts are measured once, so an alias bomb costs no more than its text."""
    if not isinstance(value, (dict, list)):
        _check_plain(value, where)
        return
    sizes: dict[int, int] = {}  # id -> values it expands to (aliased parts are one object, measured once)
    on_path: set[int] = {id(value)}
    written = 1
    frames: list[tuple[Any, Any, list[int]]] = [(value, iter(_children(value, where)), [1])]
    while frames:
        container, children, total = frames[-1]
        for child in children:
            if not isinstance(child, (dict, list)):
                _check_plain(child, where)
                total[0] += 1
                written += 1
                continue
            if id(child) in on_path:
                raise UsageError(
                    f"{where}: refers to itself through a YAML alias (a `*alias` inside its own `&anchor`); "
                    "write the value out"
                )
            if id(child) in sizes:  # an alias of a part already measured
                total[0] += sizes[id(child)]
                continue
            if len(frames) >= MAX_DEPTH:
                raise UsageError(f"{where}: {_TOO_DEEP}")
            on_path.add(id(child))
            written += 1
            frames.append((child, iter(_children(child, where)), [1]))
            break
        else:
            frames.pop()
            on_path.discard(id(container))
            sizes[id(container)] = total[0]
            if frames:
                frames[-1][2][0] += total[0]
    expanded = sizes[id(value)]
    if expanded - written > MAX_ALIAS_VALUES:
        raise UsageError(
            f"{where}: YAML aliases expand it to {expanded:,} values, {expanded - written:,} more than written "
            f"(at most {MAX_ALIAS_VALUES:,} allowed; an alias bomb?); write the values out instead of repeating "
            "`*aliases`"
        )


def _children(container: dict[Any, Any] | list[Any], where: str) -> list[Any]:
    if isinstance(container, list):
        return container
    for key in container:
        _check_plain(key, where)
    return list(container.values())


def _check_plain(value: Any, where: str) -> None:
    if not isinstance(value, _PLAIN):
        kind = {bytes: "binary data (!!binary)", set: "a set (!!set)", tuple: "ordered pairs (!!omap/!!pairs)"}
        shown = kind.get(type(value), type(value).__name__)
        raise UsageError(
            f"{where}: holds {shown}, which stack config cannot hold; write plain text, numbers, true/false, "
            "lists and mappings (remove the tag)"
        )


def stack_name_from(path: Path) -> str:
    name = path.name
    if name.startswith("Pulumi.") and name.endswith(".yaml"):
        return name[len("Pulumi.") : -len(".yaml")]
    return path.stem
