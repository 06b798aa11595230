"""What reviewers of a Webex provisioning change need beyond the steps: who gains or loses access (and with which
role), which Webex attribute mappings change, and whether the SCIM token was re-set.

Read from the facts the components register (the Assignments component's `principals`, the AttributeMappings
inputs) and, for the token, from the stack files' `secure:` ciphertexts, compared and never opened or printed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from policies.vocabulary import (
    APP_ROLE_ASSIGNMENT,
    ASSIGNMENTS,
    ATTRIBUTE_MAPPINGS,
    ENTERPRISE_APP,
    JOB_RESTART,
    PROVISIONING_JOB,
    SECRET_MARKER,
    SERVICE_PRINCIPAL,
    TOKEN_CONFIG_KEY,
    config_set_command,
)

from .value_diff import diff_values

MAPPING_FIELDS = ("source", "expression", "constant", "flowType", "matchingPriority", "defaultValue")


def principal_key(kind: str, ref: str) -> tuple[str, str]:
    return kind, ref.lower()


def principals(doc: Mapping[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """Who is assigned: the Assignments component's `principals`, then any AppRoleAssignment named user-/group-."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for step in doc.get("steps", []):
        if step.get("type") == ASSIGNMENTS:
            for p in step.get("inputs", {}).get("principals") or []:
                if isinstance(p, dict) and p.get("kind") and isinstance(p.get("ref"), str):
                    entry = {"principal": f"{p['kind']}:{p['ref']}", "kind": p["kind"], "ref": p["ref"]}
                    entry["role"] = p.get("role")
                    found[principal_key(p["kind"], p["ref"])] = entry
    for step in doc.get("steps", []):
        if step.get("type") == APP_ROLE_ASSIGNMENT:
            kind, _, ref = str(step.get("name", "")).partition("-")
            if kind in ("user", "group") and ref:
                entry = found.setdefault(
                    principal_key(kind, ref), {"principal": f"{kind}:{ref}", "kind": kind, "ref": ref, "role": None}
                )
                entry["urn"] = step.get("urn")
    return found


def _mapping_source(m: Mapping[str, Any] | None) -> str | None:
    if not m:
        return None
    if m.get("expression"):
        return f"expression {m['expression']}"
    if m.get("constant") is not None and not m.get("source"):
        return f"constant {json.dumps(m['constant'], ensure_ascii=False)}"
    return m.get("source")


def _mapping_lists(step: Mapping[str, Any] | None) -> dict[str, list[dict[str, Any]]]:
    if not step:
        return {}
    out = {}
    for key, value in (step.get("inputs") or {}).items():
        if (
            key.endswith("Mappings")
            and isinstance(value, list)
            and all(isinstance(m, dict) and isinstance(m.get("target"), str) for m in value)
        ):
            out[key] = value
    return out


def mappings(base_steps: Mapping[str, Any], head_steps: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    result: dict[str, list[dict[str, Any]]] = {"added": [], "removed": [], "changed": []}
    urns = [u for u, s in head_steps.items() if s.get("type") == ATTRIBUTE_MAPPINGS]
    urns += [u for u, s in base_steps.items() if s.get("type") == ATTRIBUTE_MAPPINGS and u not in head_steps]
    for urn in urns:
        old_lists, new_lists = _mapping_lists(base_steps.get(urn)), _mapping_lists(head_steps.get(urn))
        for list_name in list(new_lists) + [k for k in old_lists if k not in new_lists]:
            olds = {m["target"]: m for m in old_lists.get(list_name, [])}
            news = {m["target"]: m for m in new_lists.get(list_name, [])}
            for target, m in news.items():
                if target not in olds:
                    result["added"].append(
                        {"target": target, "source": _mapping_source(m), "list": list_name, **_extra(m)}
                    )
                elif olds[target] != m:
                    changes = diff_values(olds[target], m)
                    result["changed"].append(
                        {
                            "target": target,
                            "old": _mapping_source(olds[target]),
                            "new": _mapping_source(m),
                            "list": list_name,
                            "changes": changes,
                        }
                    )
            for target, m in olds.items():
                if target not in news:
                    result["removed"].append(
                        {"target": target, "source": _mapping_source(m), "list": list_name, **_extra(m)}
                    )
    return result


def user_name_source_change(doc: Mapping[str, Any]) -> tuple[Any, Any] | None:
    """(old, new) source of Webex's userName when a diff document changes it (Webex matches users on userName)."""
    for m in (doc.get("mappings") or {}).get("changed", []):
        if m.get("target") == "userName" and m.get("old") != m.get("new"):
            return m.get("old"), m.get("new")
    return None


def _extra(m: Mapping[str, Any]) -> dict[str, Any]:
    return {k: m[k] for k in MAPPING_FIELDS if k != "source" and m.get(k) not in (None, "")}


# How the SecretToken credential's line reads, by how the two stack files' `secure:` values of the token differ
# (`changed_secrets`): (old, new, reason). A removed token is no rotation: `pulumi up` stops until it is set again.
_TOKEN_CHANGES = {
    "changed": (SECRET_MARKER, SECRET_MARKER, f"the stack file's secure value of {TOKEN_CONFIG_KEY} changed"),
    "set": (None, SECRET_MARKER, f"set: the base's stack file had no {TOKEN_CONFIG_KEY}"),
    "removed": (
        SECRET_MARKER,
        None,
        f"removed: the stack file no longer sets {TOKEN_CONFIG_KEY} "
        f"(`{config_set_command(TOKEN_CONFIG_KEY, '<token>', secret=True)}` before `pulumi up`)",
    ),
}


def token_change(how: str) -> dict[str, Any]:
    """The SecretToken credential's line in the diff: a rotation, a token set for the first time, or one removed."""
    old, new, reason = _TOKEN_CHANGES[how]
    return {"old": old, "new": new, "reason": reason}


def secure_ciphertexts(path: Path, project: str) -> dict[str, str] | None:
    """{full config key: ciphertext} of a stack file's `secure:` values; None if the file cannot be read."""
    import yaml

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return None
    config = doc.get("config") if isinstance(doc, dict) else None
    if not isinstance(config, dict):
        return {}
    out: dict[str, str] = {}
    for key, value in config.items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            full = key if ":" in str(key) else f"{project}:{key}"
            out[str(full)] = str(value["secure"])
    return out


def changed_secrets(base_file: Path, head_file: Path, project: str) -> dict[str, str]:
    """{config key: "changed" | "set" | "removed"} for each `secure:` value that differs between the two files."""
    old, new = secure_ciphertexts(base_file, project), secure_ciphertexts(head_file, project)
    if old is None or new is None:
        return {}
    return {
        k: "set" if k not in old else "removed" if k not in new else "changed"
        for k in sorted(set(old) | set(new))
        if old.get(k) != new.get(k)
    }


# What a resource a rule could not judge during preview is called in its count ("32 assignments").
_NOUNS = {APP_ROLE_ASSIGNMENT: "assignment", SERVICE_PRINCIPAL: "service principal"}


def checked_at_up(entries: list[Mapping[str, Any]], types: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """The verdicts only `pulumi up` can give, one per rule: (rule, its level then, "32 assignments"). `types`:
    urn -> resource type, to name what is counted."""
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for entry in entries:
        kind = types.get(str(entry.get("urn")), "")
        noun = _NOUNS.get(kind) or (kind.rsplit(":", 1)[-1] if kind else "stack")
        per = counts.setdefault((str(entry.get("policy")), str(entry.get("enforcementLevel"))), {})
        per[noun] = per.get(noun, 0) + 1
    return [
        (policy, level, ", ".join(f"{n} {noun}{'' if n == 1 else 's'}" for noun, n in per.items()))
        for (policy, level), per in counts.items()
    ]


# The guards a change can weaken: (resource type, input, the stack setting, is old -> new a weakening, what it means).
_OFF = lambda old, new: new is False and old is not False  # noqa: E731  (a table of one-line tests)
_GUARDS: list[tuple[str, str, str, Any, str]] = [
    (PROVISIONING_JOB, "deleteThreshold", "provisioning.deleteThreshold", lambda old, new: new == 0 and old != 0,
     "accidental-deletion threshold off: one bad change can deprovision every Webex user in a single cycle"),
    (PROVISIONING_JOB, "scope", "provisioning.scope", lambda old, new: new == "all" and old != "all",
     "scope widened to all users: every user in the tenant is provisioned to Webex, not only the assigned ones"),
    (PROVISIONING_JOB, "enabled", "provisioning.enabled", _OFF,
     "provisioning switched off: Webex stops receiving changes (leavers stay active there)"),
    (ENTERPRISE_APP, "hideFromUsers", "app.hideFromUsers", _OFF,
     "the Cisco Webex app made visible in users' My Apps portal"),
    (ENTERPRISE_APP, "assignmentRequired", "app.assignmentRequired", _OFF,
     "assignment no longer required: any user in the tenant can get a token for the app"),
    (JOB_RESTART, "forceDeletesRequest", "provisioning.forceDeletesRequest", lambda old, new: bool(new) and new != old,
     "a restart that forces through the deletions the accidental-deletion threshold held back"),
]  # fmt: skip


def weakened_guards(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every guard the change in a diff document weakens: {"guard", "key" (the stack setting), "old", "new"}; a
    change of userName's source is one too (Webex matches users on it)."""
    found: list[dict[str, Any]] = []
    for step in doc.get("steps", []):
        for kind, prop, key, weakens, what in _GUARDS:
            change = (step.get("diff") or {}).get(prop) if step.get("op") in ("update", "replace") else None
            if step.get("op") == "create":
                change = {"old": None, "new": (step.get("inputs") or {}).get(prop)}
            if step.get("type") == kind and change is not None and weakens(change.get("old"), change.get("new")):
                found.append({"guard": what, "key": key, "old": change.get("old"), "new": change.get("new")})
    if source := user_name_source_change(doc):
        what = "userName's source changed: Webex matches users on it, and creates those it cannot match as new users"
        found.append({"guard": what, "key": "mappings.userNameSource", "old": source[0], "new": source[1]})
    return found


def guard_label(guard: Mapping[str, Any]) -> str:
    """The few words a summary line names a weakened guard with (the text before its colon)."""
    return str(guard["guard"]).split(":", 1)[0]
