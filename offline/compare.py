"""Comparing two preview documents (base and head) into the steps `pulumi preview --diff` would show.

Pure: documents in, a document out. Steps are paired by URN (create, update, replace, delete, same); what forces a
replacement comes from components/replace_on_change.py. On top, what reviewers of this project need: principals
gaining and losing access, attribute mappings per Webex target, a re-set SCIM token (seen only as a changed
`secure:` ciphertext in the stack files, never by value), and which policy violations the change introduces.

Nothing here ever reads a secret value: the documents hold "[secret]" already.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from components.replace_on_change import replace_keys
from policies.vocabulary import (
    APP_ROLE_ASSIGNMENT,
    ASSIGNMENTS,
    ATTRIBUTE_MAPPINGS,
    SECRET_MARKER,
    SYNCHRONIZATION_SECRET,
    UNKNOWN_MARKER,
    config_set_command,
)

from .ordering import ordered_steps, ordered_violations

SECRET = SECRET_MARKER
UNKNOWN = UNKNOWN_MARKER
ASSIGNMENTS_COMPONENT = ASSIGNMENTS
SYNC_SECRET = SYNCHRONIZATION_SECRET
MAPPINGS_TYPE = ATTRIBUTE_MAPPINGS
TOKEN_CONFIG_KEY = "scimToken"  # the stack config key whose `secure:` value becomes the SecretToken credential
TOKEN_CREDENTIAL = "SecretToken"
MAPPING_FIELDS = ("source", "expression", "constant", "flowType", "matchingPriority", "defaultValue")

_MISSING = object()


# ---------------------------------------------------------------------------------------------------------------
# Comparing two JSON documents


def top_property(path: str) -> str:
    """`credentials[SecretToken]` → `credentials`; `userMappings[userName].source` → `userMappings`."""
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _principal_label(item: Mapping[str, Any]) -> str | None:
    kind, ref = item.get("kind"), item.get("ref")
    return f"{kind}:{ref}" if isinstance(kind, str) and isinstance(ref, str) else None


def _principal_pairing(item: Mapping[str, Any]) -> str | None:
    # Entra matches UPNs, group names and object ids without regard to case (and so do the resource names, see
    # components/assignments.py): `bob@contoso.com` → `BOB@contoso.com` is one principal whose ref changed.
    label = _principal_label(item)
    return label.casefold() if label is not None else None


# How list items are paired: {key, value} pairs by key, mappings by target, principals by kind:ref (case-folded).
# Each: (pairing key, label shown in the path).
_LIST_KEYS: tuple[tuple[Callable[[Mapping[str, Any]], Any], Callable[[Mapping[str, Any]], Any]], ...] = (
    (lambda i: i.get("key"), lambda i: i.get("key")),
    (lambda i: i.get("target"), lambda i: i.get("target")),
    (_principal_pairing, _principal_label),
)


def _list_key(old: list[Any], new: list[Any]) -> tuple[Callable[[Any], Any], Callable[[Any], Any]] | None:
    """(pairing key, label) for two lists of records that a unique key pairs; None for other lists."""
    items = old + new
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    for key, label in _LIST_KEYS:
        if all(isinstance(key(i), str) for i in items):
            if len({key(i) for i in old}) == len(old) and len({key(i) for i in new}) == len(new):
                return key, label
    return None


def _shown(value: Any) -> Any:
    return None if value is _MISSING else value


def diff_values(old: Any, new: Any, path: str = "") -> dict[str, dict[str, Any]]:
    """Property-level changes between two displayed values, as {path: {"old", "new"}}.

    Secrets are "[secret]" on both sides and compare equal (a changed token is found from the stack files instead);
    "[unknown]" on both sides is no claim of a change, "[unknown]" against a known value is shown as it is, the way
    `pulumi preview` shows `output<string>` (the tenant may or may not answer the same).
    """
    out: dict[str, dict[str, Any]] = {}
    _diff(old, new, path, out)
    return out


def _diff(old: Any, new: Any, path: str, out: dict[str, dict[str, Any]]) -> None:
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for k in sorted(set(old) | set(new)):
            _diff(old.get(k, _MISSING), new.get(k, _MISSING), _join(path, k), out)
        return
    if isinstance(old, list) and isinstance(new, list):
        pairing = _list_key(old, new)
        if pairing is not None:
            key, label = pairing
            olds = {key(i): i for i in old}
            news = {key(i): i for i in new}
            pairs = all(set(i) == {"key", "value"} for i in old + new)
            for k in list(olds) + [k for k in news if k not in olds]:
                o, n = olds.get(k, _MISSING), news.get(k, _MISSING)
                where = f"{path}[{label(n if n is not _MISSING else o)}]"  # as the head spells it
                if pairs:
                    _diff(
                        o.get("value") if o is not _MISSING else _MISSING,
                        n.get("value") if n is not _MISSING else _MISSING,
                        where,
                        out,
                    )
                elif o is _MISSING or n is _MISSING:
                    out[where] = {"old": _shown(o), "new": _shown(n)}
                else:
                    _diff(o, n, where, out)
            return
        if len(old) == len(new):
            for i, (o, n) in enumerate(zip(old, new, strict=True)):
                _diff(o, n, f"{path}[{i}]", out)
            return
    out[path] = {"old": _shown(old), "new": _shown(new)}


def _principal_key(kind: str, ref: str) -> tuple[str, str]:
    return kind, ref.lower()


def _principals(doc: Mapping[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """Who is assigned: the Assignments component's `principals`, then any AppRoleAssignment named user-/group-."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for step in doc.get("steps", []):
        if step.get("type") == ASSIGNMENTS_COMPONENT:
            for p in step.get("inputs", {}).get("principals") or []:
                if isinstance(p, dict) and p.get("kind") and isinstance(p.get("ref"), str):
                    entry = {"principal": f"{p['kind']}:{p['ref']}", "kind": p["kind"], "ref": p["ref"]}
                    entry["role"] = p.get("role")
                    found[_principal_key(p["kind"], p["ref"])] = entry
    for step in doc.get("steps", []):
        if step.get("type") == APP_ROLE_ASSIGNMENT:
            kind, _, ref = str(step.get("name", "")).partition("-")
            if kind in ("user", "group") and ref:
                entry = found.setdefault(
                    _principal_key(kind, ref), {"principal": f"{kind}:{ref}", "kind": kind, "ref": ref, "role": None}
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


def _mappings(base_steps: Mapping[str, Any], head_steps: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    result: dict[str, list[dict[str, Any]]] = {"added": [], "removed": [], "changed": []}
    urns = [u for u, s in head_steps.items() if s.get("type") == MAPPINGS_TYPE]
    urns += [u for u, s in base_steps.items() if s.get("type") == MAPPINGS_TYPE and u not in head_steps]
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


def _extra(m: Mapping[str, Any]) -> dict[str, Any]:
    return {k: m[k] for k in MAPPING_FIELDS if k != "source" and m.get(k) not in (None, "")}


def _violation_key(v: Mapping[str, Any]) -> tuple[Any, Any]:
    return v.get("policy"), v.get("urn")


def compare(
    base: Mapping[str, Any],
    head: Mapping[str, Any],
    *,
    secret_changes: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The diff document: `head`'s shape with ops and property diffs against `base`, plus access and mappings.

    `secret_changes` maps config keys whose `secure:` value differs between the two stack files to how it differs
    ("changed", "set", "removed"; see `changed_secrets`: ciphertexts are compared, values are never available).
    Which changed inputs replace a resource comes from the table in components/replace_on_change.py, as the
    provider's own Diff would say. Steps and verdicts come in tree order (offline/ordering.py), whatever order
    either side registered them in.
    """
    base_steps = {s["urn"]: s for s in base.get("steps", [])}
    head_steps = {s["urn"]: s for s in head.get("steps", [])}
    secret_changes = dict(secret_changes or {})
    token_change = next(
        (
            how
            for k, how in sorted(secret_changes.items())
            if k == TOKEN_CONFIG_KEY or k.endswith(f":{TOKEN_CONFIG_KEY}")
        ),
        None,
    )

    # A role is chosen by value and resolved to an id only by the tenant, so appRoleId is unknown on both sides:
    # a changed role is seen on the Assignments component and carried to the principal's AppRoleAssignment.
    old_principals, new_principals = _principals(base), _principals(head)
    role_changes = {
        key: (old_principals[key].get("role"), p.get("role"))
        for key, p in new_principals.items()
        if key in old_principals and old_principals[key].get("role") != p.get("role")
    }

    steps: list[dict[str, Any]] = []
    for urn, step in head_steps.items():
        old = base_steps.get(urn)
        new_step = {k: v for k, v in step.items() if k != "diff"}
        if old is None:
            new_step["op"] = "create"
            steps.append(new_step)
            continue
        changes = diff_values(old.get("inputs", {}), step.get("inputs", {}))
        for option in ("protect", "retainOnDelete"):
            if bool(old.get(option)) != bool(step.get(option)):
                changes[f"options.{option}"] = {"old": bool(old.get(option)), "new": bool(step.get(option))}
        if step.get("type") == APP_ROLE_ASSIGNMENT:
            kind, _, ref = str(step.get("name", "")).partition("-")
            role = role_changes.get(_principal_key(kind, ref))
            if role is not None and "appRoleId" not in changes:
                changes["appRoleId"] = {
                    "old": old.get("inputs", {}).get("appRoleId", UNKNOWN),
                    "new": step.get("inputs", {}).get("appRoleId", UNKNOWN),
                    "reason": f"role {role[0] or '(default)'} → {role[1] or '(default)'}",
                }
        if token_change is not None and step.get("type") == SYNC_SECRET:
            creds = (old.get("inputs", {}).get("credentials") or []) + (step.get("inputs", {}).get("credentials") or [])
            if any(isinstance(c, dict) and c.get("key") == TOKEN_CREDENTIAL for c in creds):
                changes[f"credentials[{TOKEN_CREDENTIAL}]"] = _token_change(token_change)
        if not changes:
            new_step["op"] = "same"
        else:
            forced = replace_keys(step.get("type", ""))
            reasons = sorted({top_property(p) for p in changes if top_property(p) in forced})
            new_step["op"] = "replace" if reasons else "update"
            new_step["diff"] = changes
            if reasons:
                new_step["replaceReasons"] = reasons
        steps.append(new_step)
    for urn, step in base_steps.items():
        if urn not in head_steps:
            steps.append({**{k: v for k, v in step.items() if k != "diff"}, "op": "delete"})
    steps = ordered_steps(steps)  # deletions beside their siblings; one order whatever each side registered first

    added = [new_principals[k] for k in new_principals if k not in old_principals]
    removed = [old_principals[k] for k in old_principals if k not in new_principals]
    changed = [{**new_principals[k], "oldRole": old, "newRole": new} for k, (old, new) in role_changes.items()]

    base_violations = {_violation_key(v) for v in base.get("policyViolations", [])}
    head_violations = {_violation_key(v) for v in head.get("policyViolations", [])}
    violations = [{**v, "new": _violation_key(v) not in base_violations} for v in head.get("policyViolations", [])]
    resolved = [v for v in base.get("policyViolations", []) if _violation_key(v) not in head_violations]
    violations = ordered_violations(violations, steps)
    resolved = ordered_violations(resolved, ordered_steps(base.get("steps", [])))

    return {
        "project": head.get("project"),
        "stack": head.get("stack"),
        "steps": steps,
        "outputs": head.get("outputs", {}),
        "outputChanges": diff_values(base.get("outputs", {}), head.get("outputs", {})),
        "policyViolations": violations,
        "resolvedPolicyViolations": resolved,
        "warnings": list(head.get("warnings", [])),
        "changeSummary": dict(Counter(s["op"] for s in steps)),
        "assignments": {"added": added, "removed": removed, "changed": changed},
        "mappings": _mappings(base_steps, head_steps),
        "secretsChanged": sorted(secret_changes),
        "secretsRemoved": sorted(k for k, how in secret_changes.items() if how == "removed"),
    }


def _token_change(how: str) -> dict[str, Any]:
    """The SecretToken credential's line in the diff: a rotation, a token set for the first time, or one removed
    (which is no rotation: `pulumi up` then stops until the token is set again)."""
    if how == "removed":
        return {
            "old": SECRET,
            "new": None,
            "reason": f"removed: the stack file no longer sets {TOKEN_CONFIG_KEY} "
            f"(`{config_set_command(TOKEN_CONFIG_KEY, '<token>', secret=True)}` before `pulumi up`)",
        }
    if how == "set":
        return {"old": None, "new": SECRET, "reason": f"set: the base's stack file had no {TOKEN_CONFIG_KEY}"}
    return {"old": SECRET, "new": SECRET, "reason": f"the stack file's secure value of {TOKEN_CONFIG_KEY} changed"}


def head_only(head: Mapping[str, Any]) -> dict[str, Any]:
    """When the base could not be previewed: the head's resources and verdicts, and no claim about what changes."""
    return {
        "project": head.get("project"),
        "stack": head.get("stack"),
        "steps": [],
        "outputs": head.get("outputs", {}),
        "outputChanges": {},
        "policyViolations": ordered_violations(
            [{**v, "new": None} for v in head.get("policyViolations", [])], ordered_steps(head.get("steps", []))
        ),
        "resolvedPolicyViolations": [],
        "warnings": list(head.get("warnings", [])),
        "changeSummary": {},
        "assignments": {"added": [], "removed": [], "changed": []},
        "mappings": {"added": [], "removed": [], "changed": []},
        "secretsChanged": [],
        "secretsRemoved": [],
        "headSteps": [{k: v for k, v in s.items() if k != "op"} for s in ordered_steps(head.get("steps", []))],
    }


# ---------------------------------------------------------------------------------------------------------------
# Stack files: which `secure:` values differ (ciphertexts are compared, never opened, never printed)


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
