"""How a problem in the stack config becomes one line an admin can act on: the key, what is wrong, what to write.

components/settings.py validates with pydantic, whose own words ("Input should be a valid integer") say what is
wrong but not what to write. Every message made here starts with the full key (`webex-scim:app.hideFromUsers`) and
ends with a value or a `pulumi config` command that fixes it. A value is echoed only when it is short: a long one
may be a token pasted under the wrong key.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection
from typing import Any

from policies.vocabulary import NAMESPACE as PROJECT
from policies.vocabulary import config_set_command

# Keys whose value is an object or a list in the stack YAML (Pulumi hands them to the program as JSON text).
OBJECT_SHAPES: dict[str, str] = {
    "app": "mapping",
    "provisioning": "mapping",
    "mappings": "mapping",
    "assignments": "list",
}

# What a good value looks like, for the messages' examples.
_EXAMPLES: dict[str, str] = {
    "provisioning.deleteThreshold": "500",
    "provisioning.enabled": "true",
    "app.hideFromUsers": "true",
    "app.assignmentRequired": "true",
    "mappings.groupObjects": "false",
}
# What each object key looks like, and a command that writes one setting under it (so the key becomes a mapping).
_SHAPE_EXAMPLES: dict[str, tuple[str, str]] = {
    "app": ("`hideFromUsers: true` indented under it", "app.hideFromUsers true"),
    "provisioning": ("`deleteThreshold: 500` indented under it", "provisioning.deleteThreshold 500"),
    "mappings": ("`userNameSource: mail` indented under it", "mappings.userNameSource mail"),
    "assignments": ("one `- user: alice@contoso.com` per line under it", "assignments[0].user alice@contoso.com"),
    "assignments[]": ("`- user: alice@contoso.com` or `- group: Webex Users`", "assignments[0].user alice@contoso.com"),
}
_INT_ERRORS = frozenset({"int_type", "int_parsing", "int_from_float", "int_parsing_size", "finite_number"})
_BOOL_ERRORS = frozenset({"bool_type", "bool_parsing"})
_MAPPING_ERRORS = frozenset({"model_type", "model_attributes_type", "dict_type"})
_DATE_ERRORS = frozenset({"date_from_datetime_parsing", "date_from_datetime_inexact", "date_parsing", "date_type"})
_LONGEST_ECHO = 32  # every allowed value of a literal key, and every date, is shorter


set_command = config_set_command  # the `pulumi config set` command for a key path (policies/vocabulary.py)


# The fix a message offers per key: the command, and a remark after it (outside the command's code span).
FIELD_HELP: dict[str, tuple[str, str]] = {
    "orgId": (set_command("orgId", "<org UUID from Control Hub>"), ""),
    "offer": (set_command("offer", "commercial"), "(or government)"),
    "tenantUrl": (
        "pulumi config rm tenantUrl",
        "(to use the offer's default), or set an https URL containing the org ID",
    ),
    "notificationEmail": (set_command("notificationEmail", "webex-admins@contoso.com"), ""),
    "tokenExpiresOn": (set_command("tokenExpiresOn", "2027-11-26"), "(ISO date)"),
    "rollout": (set_command("rollout", "pilot"), "(or full)"),
    "assignmentRole": (set_command("assignmentRole", "<app role value>"), ""),
}


def _fix(path: str) -> str:
    """`the command` and its remark, for a key with one, else the generic `pulumi config set` command."""
    command, remark = FIELD_HELP.get(path, (set_command(path, "<value>"), ""))
    return f"`{command}`" + (f" {remark}" if remark else "")


def shown(value: Any) -> str:
    """A value as a message may echo it: short values quoted, anything longer only described."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > _LONGEST_ECHO:
        return f"a {len(text)}-character value (not shown)"
    return repr(value)


def kind_of(value: Any) -> str:
    """What the admin wrote, in YAML words."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text" if value.strip() else "empty"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "empty" if value is None else type(value).__name__


def shape_problem(path: str, expected: str, got: Any) -> str:
    """`webex-scim:app: must be a mapping (…), not text; e.g. …` for a value of the wrong shape."""
    example = _SHAPE_EXAMPLES.get(re.sub(r"\[\d+\]$", "[]", path))
    if example is None:
        return f"{PROJECT}:{path}: must be a {expected}, not {kind_of(got)}"
    looks, command = example
    fix_path, value = command.split(" ", 1)
    return (
        f"{PROJECT}:{path}: must be a {expected} ({looks}), not {kind_of(got)}; e.g. `{set_command(fix_path, value)}`"
    )


def key_path(loc: tuple[Any, ...]) -> str:
    """pydantic's error location → the config key path users type (`provisioning.deleteThreshold`, `assignments[1]`).
    The settings' models name every field by its camelCase alias, and pydantic locates errors by alias."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out


def closest_key(name: str, known: Collection[str]) -> str | None:
    """The key `name` is a typo of (case aside, or a letter or two off), if one is close enough."""
    lowered = {k.lower(): k for k in known}
    if name.lower() in lowered:
        return lowered[name.lower()]
    near = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.75)
    return lowered[near[0]] if near else None


def describe(err: dict[str, Any], known: Collection[str] = ()) -> str:
    """One pydantic error → one line: the key, what is wrong, and what to write instead (`known`: the keys at the
    error's level, to name the one an unknown key is a typo of)."""
    loc, kind, given = tuple(err["loc"]), err["type"], err["input"]  # what pydantic gives every error
    msg = err["msg"].removeprefix("Value error, ")  # pydantic's prefix to the words of a validator's ValueError
    # A model-level check names its own key at the start of the message ("tenantUrl: ...").
    if not loc and ":" in msg and msg.split(":", 1)[0].replace(".", "").replace("[", "").replace("]", "").isalnum():
        path, msg = msg.split(":", 1)
        path, msg = path.strip(), msg.strip()
    else:
        path = key_path(loc)
    key = f"{PROJECT}:{path}"
    if kind == "extra_forbidden" and len(loc) == 1 and path.split(".", 1)[0] in OBJECT_SHAPES and "." in path:
        # `pulumi config set app.hideFromUsers false` without --path makes one flat key with a dot in its name.
        return (
            f"{key}: is one flat key with a dot in its name (set without --path), not a setting under "
            f"`{PROJECT}:{path.split('.', 1)[0]}`; run `pulumi config rm '{path}'` then "
            f"`{set_command(path, '<value>')}`"
        )
    if kind == "extra_forbidden":
        # The level is the location's, not the text's: a top-level key with a dot in its name is one flat key,
        # which `--path` would look for under another key.
        parent, name = key_path(loc[:-1]), str(loc[-1])
        where = f" under `{PROJECT}:{parent}`" if parent else ""
        near = closest_key(name, known)
        meant = f"{parent}.{near}" if parent and near else near
        typo = f"did you mean `{PROJECT}:{meant}`?" if near else "a typo?"
        flat = not parent and "." in name
        return (
            f"{key}: unknown key{where} ({typo}); remove it with `pulumi config rm {'' if flat else '--path '}'{path}'`"
        )
    if kind == "missing":
        return f"{key}: required but not set; run {_fix(path)}"
    if kind == "literal_error":
        hint = f"; fix: {_fix(path)}" if path in FIELD_HELP else ""
        return f"{key}: {shown(given)} is not allowed: {msg.replace('Input should be', 'use')}{hint}"
    if kind in _DATE_ERRORS:
        reason = (err.get("ctx") or {}).get("error")
        why = f" ({reason})" if reason else ""
        return (
            f"{key}: {shown(given)} is not an ISO date{why}; write it as YYYY-MM-DD in quotes, "
            f'e.g. `{key}: "2027-11-26"` (or `{set_command(path, "2027-11-26")}`)'
        )
    if kind in _INT_ERRORS:
        return f"{key}: must be a whole number, e.g. `{set_command(path, _EXAMPLES.get(path, '500'))}`"
    if kind in _BOOL_ERRORS:
        return f"{key}: must be true or false, e.g. `{set_command(path, _EXAMPLES.get(path, 'true'))}`"
    if kind in _MAPPING_ERRORS:
        return shape_problem(path, "mapping", given)
    if kind == "list_type":
        return shape_problem(path, "list", given)
    if kind == "string_type":
        return f"{key}: must be text, not {kind_of(given)}; put the value in quotes"
    if kind == "value_error" and path in FIELD_HELP and "pulumi config" not in msg:  # else it names its own fix
        return f"{key}: {msg}; fix: {_fix(path)}"
    return f"{key}: {msg}"


def _normalized(namespace: str) -> str:
    return re.sub(r"[^a-z0-9]", "", namespace.lower())


def _near_project(namespace: str) -> bool:
    if namespace == PROJECT:
        return False
    if _normalized(namespace) == _normalized(PROJECT):
        return True
    return bool(difflib.get_close_matches(namespace.lower(), [PROJECT], n=1, cutoff=0.8))


# A project key written with a dot for the colon (`webex-scim.orgId`): Pulumi files it under the project's namespace,
# as `webex-scim:webex-scim.orgId`.
_DOTTED = re.compile(r"^([A-Za-z0-9_.-]+?)[.:](.+)$")


def _dotted(full: str) -> tuple[str, str] | None:
    """(the namespace as written, the key meant) of a project key written with a dot for the colon, else None."""
    namespace, _, name = full.partition(":")
    m = _DOTTED.match(name) if namespace == PROJECT else None
    if m and (m.group(1) == PROJECT or _near_project(m.group(1))):
        return m.group(1), m.group(2)
    return None


def meant_for_project(keys: list[str]) -> set[str]:
    """The project keys (`orgId`) written under a near-miss of the project's namespace (`webex_scim:orgId`) or with a
    dot for its colon (`webex-scim.orgId`): set, though not where the settings read them."""
    meant: set[str] = set()
    for full in keys:
        namespace, _, name = full.partition(":")
        dotted = _dotted(full)
        if _near_project(namespace):
            meant.add(name)
        elif dotted:
            meant.add(dotted[1])
    return meant


def namespace_problems(keys: list[str]) -> tuple[list[str], set[str]]:
    """Keys meant for this project but written under another namespace (`webex_scim:orgId`, `webexscim:orgId`), or
    with a dot for the colon (`webex-scim.orgId`). Other namespaces are legitimate (azuread:*, pulumi:*): only
    near-misses of the project name are flagged. Returns the problems and the project keys to leave out."""
    problems: list[str] = []
    skip: set[str] = set()
    for full in keys:
        namespace, _, name = full.partition(":")
        dotted = _dotted(full)
        if _near_project(namespace):
            problems.append(
                f"{full}: `{namespace}` is not this project's namespace; its keys are `{PROJECT}:<key>` (the project "
                f"name in Pulumi.yaml): rename the key to `{PROJECT}:{name}`"
            )
        elif dotted:
            skip.add(name)
            problems.append(
                f"{dotted[0]}.{dotted[1]}: a config key is `namespace:key`, with a colon: rename it to "
                f"`{PROJECT}:{dotted[1]}`"
            )
    return problems, skip
