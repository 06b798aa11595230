"""`status --drift PATH`: what a refresh preview found, as part of the status report.

The scheduled workflow runs `pulumi preview --refresh --expect-no-changes --json` (the real CLI, the read identity)
and hands its document here. Its shape is the CLI's preview digest (pulumi/pulumi pkg/backend/display/json.go,
sdk/go/auto/stack.go PreviewStep): `steps` of `{op, urn, diffReasons, replaceReasons, detailedDiff}`, `diagnostics`,
`changeSummary`. After a refresh, every step that is not `same` is drift: the tenant no longer holds what the stack
says (a mapping edited in the portal, an assignment removed by hand), and the next `pulumi up` would change it back.
A document without steps (the preview failed: no sign-in, a policy refused it) is said as such: drift unchecked.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from webex_scim.userfiles import read_text

NO_CHANGE = frozenset({"same", "read", "refresh"})  # what a refresh preview shows for a resource that kept its state
LIMIT = 1 << 26  # 64 MiB: a preview document of thousands of resources, not a runaway file


def read_drift(path: Path) -> dict[str, Any]:
    """`{"checked": bool, "changes": [{"urn", "type", "name", "op", "properties"}], "error": str | None}`."""
    text = read_text(path, label="--drift", limit=LIMIT, example="drift.json")
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if not isinstance(doc, Mapping) or not isinstance(doc.get("steps"), list):
        return {"checked": False, "changes": [], "error": _failure(doc, text, path)}
    changes: dict[str, dict[str, Any]] = {}
    for step in doc["steps"]:
        if not isinstance(step, Mapping) or step.get("op") in NO_CHANGE or not isinstance(step.get("urn"), str):
            continue
        urn = step["urn"]
        if urn.split("::")[2:3] == ["pulumi:pulumi:Stack"]:
            continue
        entry = changes.setdefault(
            urn,
            {"urn": urn, "type": urn.split("::")[2].rsplit("$", 1)[-1], "name": urn.rsplit("::", 1)[-1], "op": ""},
        )
        entry["op"] = entry["op"] or str(step["op"])
        found = [*(step.get("diffReasons") or []), *(step.get("replaceReasons") or [])]
        found += list((step.get("detailedDiff") or {}).keys())
        entry["properties"] = sorted({*entry.get("properties", []), *map(str, found)})
    return {"checked": True, "changes": list(changes.values()), "error": None}


def _failure(doc: Any, text: str, path: Path) -> str:
    """Why a drift document holds no steps: the preview's own error diagnostics, else what the file is."""
    if isinstance(doc, Mapping):
        errors = [
            str(d.get("message", "")).strip()
            for d in doc.get("diagnostics") or []
            if isinstance(d, Mapping) and d.get("severity") == "error"
        ]
        if errors:
            return "the refresh preview failed: " + " / ".join(e.splitlines()[0] for e in errors if e)
        return f"{path.name} holds no preview steps: the refresh preview did not finish"
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    begins = f" (it begins: {first[:160]!r})" if first else ""
    return f"{path.name} is not a `pulumi preview --json` document{begins}"


def describe(change: Mapping[str, Any]) -> str:
    props = ", ".join(change.get("properties") or []) or "(no property named)"
    return f"{change['type']} {change['name']} ({change['op']}): {props}"
