"""Comparing two preview documents (base and head) into the steps `pulumi preview --diff` would show.

Pure: documents in, a document out. Steps are paired by URN (create, update, replace, delete, same); what forces a
replacement comes from components/replace_on_change.py. On top, which policy violations the change introduces
or resolves, and what reviewers of a Webex change need (offline/review.py): access, mappings, a re-set token.

Nothing here ever reads a secret value: the documents hold "[secret]" already.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from components.replace_on_change import replace_keys
from policies.vocabulary import (
    APP_ROLE_ASSIGNMENT,
    SECRET_TOKEN,
    SYNCHRONIZATION_SECRET,
    TOKEN_CONFIG_KEY,
    UNKNOWN_MARKER,
)

from .ordering import ordered_steps, ordered_violations
from .review import (
    changed_secrets,
    mappings,
    principal_key,
    principals,
    token_change,
)
from .value_diff import diff_values, top_property

__all__ = ["changed_secrets", "compare", "diff_values", "head_only"]


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
    token_how = next((how for k, how in sorted(secret_changes.items()) if k.split(":")[-1] == TOKEN_CONFIG_KEY), None)

    # A role is chosen by value and resolved to an id only by the tenant, so appRoleId is unknown on both sides:
    # a changed role is seen on the Assignments component and carried to the principal's AppRoleAssignment.
    old_principals, new_principals = principals(base), principals(head)
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
            role = role_changes.get(principal_key(kind, ref))
            if role is not None and "appRoleId" not in changes:
                changes["appRoleId"] = {
                    "old": old.get("inputs", {}).get("appRoleId", UNKNOWN_MARKER),
                    "new": step.get("inputs", {}).get("appRoleId", UNKNOWN_MARKER),
                    "reason": f"role {role[0] or '(default)'} → {role[1] or '(default)'}",
                }
        if token_how is not None and step.get("type") == SYNCHRONIZATION_SECRET:
            creds = (old.get("inputs", {}).get("credentials") or []) + (step.get("inputs", {}).get("credentials") or [])
            if any(isinstance(c, dict) and c.get("key") == SECRET_TOKEN for c in creds):
                changes[f"credentials[{SECRET_TOKEN}]"] = token_change(token_how)
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
    # Resolved: gone from a resource that is still there (or from the stack); a deleted resource's verdicts went
    # with it, which resolves nothing.
    resolved = [
        v
        for v in base.get("policyViolations", [])
        if _violation_key(v) not in head_violations and (v.get("urn") is None or v.get("urn") in head_steps)
    ]
    violations = ordered_violations(violations, steps)
    resolved = ordered_violations(resolved, ordered_steps(base.get("steps", [])))

    return {
        "project": head.get("project"),
        "stack": head.get("stack"),
        "steps": steps,
        "outputs": head.get("outputs", {}),
        "outputChanges": diff_values(base.get("outputs", {}), head.get("outputs", {})),
        "policyViolations": violations,
        "checkedAtUp": ordered_violations(head.get("checkedAtUp", []), steps),
        "resolvedPolicyViolations": resolved,
        "warnings": list(head.get("warnings", [])),
        "changeSummary": dict(Counter(s["op"] for s in steps)),
        "assignments": {"added": added, "removed": removed, "changed": changed},
        "mappings": mappings(base_steps, head_steps),
        "secretsChanged": sorted(secret_changes),
        "secretsRemoved": sorted(k for k, how in secret_changes.items() if how == "removed"),
    }


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
        "checkedAtUp": ordered_violations(head.get("checkedAtUp", []), ordered_steps(head.get("steps", []))),
        "resolvedPolicyViolations": [],
        "warnings": list(head.get("warnings", [])),
        "changeSummary": {},
        "assignments": {"added": [], "removed": [], "changed": []},
        "mappings": {"added": [], "removed": [], "changed": []},
        "secretsChanged": [],
        "secretsRemoved": [],
        "headSteps": [{k: v for k, v in s.items() if k != "op"} for s in ordered_steps(head.get("steps", []))],
    }
