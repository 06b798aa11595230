"""Markdown reports for a pull-request comment: `preview_markdown` (one preview) and `diff_markdown` (base → head).

The first line is a stable HTML comment (`<!-- webex-scim-preview:<stack> -->`) a workflow uses to find and edit its
earlier comment; the second is a one-line summary with counts. What can hurt comes next and loudly (deletions,
replacements, principals losing access), then policy verdicts, then the details, collapsed. The whole text stays
under GitHub's 65,536-character comment limit: details are trimmed, the summary never, and the trim is stated.

Every value is escaped (HTML, Markdown, table pipes); values are rendered from the JSON documents, which hold
secrets only as "[secret]".
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from components.replace_on_change import DELETE_CHANGES_NOTHING
from policies.vocabulary import NAMESPACE

from .markdown_writer import (
    BUDGET,
    GITHUB_LIMIT,
    OP_ICON,
    OPS,
    Writer,
    code,
    esc,
    footer,
    marker,
    plural,
    prose,
    short_type,
    side,
)
from .review import user_name_source_change
from .value_diff import top_property

__all__ = ["GITHUB_LIMIT", "diff_markdown", "esc", "marker", "preview_markdown"]


def _violation_summary(violations: Sequence[Mapping[str, Any]]) -> str:
    mandatory = [v for v in violations if v.get("enforcementLevel") == "mandatory"]
    advisory = [v for v in violations if v.get("enforcementLevel") != "mandatory"]
    new = sum(1 for v in mandatory if v.get("new"))
    parts = []
    if mandatory:
        parts.append(f"❌ {plural(len(mandatory), 'mandatory policy violation')}" + (f" ({new} new)" if new else ""))
    if advisory:
        parts.append(f"⚠️ {len(advisory)} advisory")
    if not violations:
        parts.append("✅ policies pass")
    return " · ".join(parts)


def _violation_rows(violations: Sequence[Mapping[str, Any]], names: Mapping[str, str]) -> list[str]:
    ordered = sorted(violations, key=lambda v: (v.get("enforcementLevel") != "mandatory", not v.get("new")))
    rows = []
    for v in ordered:
        level = "❌ mandatory" if v.get("enforcementLevel") == "mandatory" else "⚠️ advisory"
        new = " 🆕" if v.get("new") else ""
        where = names.get(str(v.get("urn")), "") if v.get("urn") else "stack"
        rows.append(f"| {level}{new} | {code(v.get('policy'))} | {esc(where)} | {prose(v.get('message', ''))} |\n")
    return rows


def _plan(counts: Mapping[str, int]) -> str:
    return " · ".join(f"{OP_ICON[op]} {counts[op]} to {op}" for op in OPS if counts.get(op)) or "no changes"


def _names(steps: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    return {str(s.get("urn")): f"{short_type(s.get('type'))} {s.get('name')}" for s in steps}


def _warning_items(doc: Mapping[str, Any]) -> list[str]:
    return [f"- {prose(w)}\n" for w in doc.get("warnings", [])]


def _input_summary(inputs: Mapping[str, Any] | None, limit: int = 240) -> str:
    if not inputs:
        return ""
    text = ", ".join(
        f"{k}: {v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, sort_keys=True)}"
        for k, v in inputs.items()
    )
    return code(text, limit)


# ---------------------------------------------------------------------------------------------------------------
# Preview


def preview_markdown(doc: Mapping[str, Any], *, limit: int = BUDGET) -> str:
    """A preview document (shared/DESIGN.md) as a PR comment: summary, policy violations, resources, warnings."""
    stack = doc.get("stack")
    steps = list(doc.get("steps", []))
    violations = list(doc.get("policyViolations", []))
    counts = doc.get("changeSummary") or {}
    w = Writer(limit - 400)
    plan = _plan(counts)
    w.always(f"{marker(stack)}\n")
    title = f"**{esc(doc.get('project') or NAMESPACE)}** {code(stack)} offline preview"
    w.always(f"{title}: {plan} — {_violation_summary(violations)}\n\n")

    names = _names(steps)
    w.section(
        "### Policy violations\n\n| Level | Policy | Resource | Message |\n|---|---|---|---|\n",
        _violation_rows(violations, names),
        "\n",
        share=0.5,
    )
    w.section(
        "",
        [
            f"> Note: {esc(short_type(s.get('type')))} {code(s.get('name'))} is retained on delete: "
            "`pulumi destroy` leaves it in the tenant.\n"
            for s in steps
            if s.get("retainOnDelete")
        ],
        "\n",
        share=0.1,
    )
    w.section("### Warnings\n\n", _warning_items(doc), "\n", share=0.2)
    outputs = doc.get("outputs") or {}
    w.section(
        "<details><summary>Outputs</summary>\n\n| Output | Value |\n|---|---|\n",
        [f"| {code(k)} | {code(v)} |\n" for k, v in outputs.items()],
        "\n</details>\n\n",
        share=0.2,
    )
    rows = [
        f"| {OP_ICON.get(str(s.get('op')), '')} {esc(s.get('op'))} | {esc(short_type(s.get('type')))} "
        f"| {code(s.get('name'))} | {_input_summary(s.get('inputs'))} |\n"
        for s in steps
    ]
    w.section(
        f"<details><summary>Resources ({len(steps)})</summary>\n\n| Plan | Type | Name | Inputs |\n|---|---|---|---|\n",
        rows,
        "\n</details>\n",
        share=1.0,
    )
    return w.text() + footer(w, f"python -m webex_scim preview --stack {stack}")


# ---------------------------------------------------------------------------------------------------------------
# Diff


def _change_rows(step: Mapping[str, Any]) -> list[str]:
    op = str(step.get("op"))
    head = f"| {OP_ICON.get(op, '')} {esc(op)} | {esc(short_type(step.get('type')))} | {code(step.get('name'))} "
    changes = step.get("diff") or {}
    if not changes:
        return [head + "| | |\n"]
    reasons = set(step.get("replaceReasons") or [])
    rows = []
    for path, change in changes.items():
        forced = " **(forces replacement)**" if top_property(path) in reasons else ""
        why = f" <sub>{esc(change['reason'])}</sub>" if change.get("reason") else ""
        rows.append(f"{head}| {code(path)}{forced} | {side(change.get('old'))} → {side(change.get('new'))}{why} |\n")
    return rows


def _loud_items(doc: Mapping[str, Any]) -> list[str]:
    items: list[str] = []
    access = doc.get("assignments") or {}
    removed = {str(p.get("urn")) for p in access.get("removed", []) if p.get("urn")}
    for p in access.get("removed", []):
        items.append(
            f"> - **Loses access:** {esc(p.get('kind'))} {code(p.get('ref'))}"
            + (f" (role {code(p['role'])})" if p.get("role") else "")
            + "\n"
        )
    for s in doc.get("steps", []):
        if s.get("op") == "delete" and str(s.get("urn")) not in removed and s.get("type") not in DELETE_CHANGES_NOTHING:
            kept = " — retained in the tenant (retainOnDelete)" if s.get("retainOnDelete") else ""
            items.append(f"> - **Delete** {esc(short_type(s.get('type')))} {code(s.get('name'))}{kept}\n")
        elif s.get("op") == "replace":
            why = ", ".join(s.get("replaceReasons") or [])
            items.append(
                f"> - **Replace** {esc(short_type(s.get('type')))} {code(s.get('name'))} "
                f"(delete and re-create: {esc(why)} changes)\n"
            )
    if source := user_name_source_change(doc):
        items.append(
            f"> - **userName's source changes** ({code(source[0])} → {code(source[1])}): Webex matches users "
            "on userName, and creates the ones it cannot match as new users; on a running job, check first that "
            "the new source equals each existing user's Webex email\n"
        )
    for m in (doc.get("mappings") or {}).get("removed", []):
        items.append(
            f"> - **Mapping removed:** Webex {code(m.get('target'))} no longer fed from {code(m.get('source'))}\n"
        )
    if doc.get("users"):
        from provisioning_cycle.diffusers import loud_items

        items += loud_items(dict(doc))
    return items


def diff_markdown(doc: Mapping[str, Any], *, limit: int = BUDGET) -> str:
    """A diff document (offline.diff) as a PR comment."""
    stack = doc.get("stack")
    base = doc.get("base") or {}
    head = doc.get("head") or {"ok": True}
    steps = list(doc.get("steps", []))
    violations = list(doc.get("policyViolations", []))
    counts = doc.get("changeSummary") or {}
    access = doc.get("assignments") or {}
    w = Writer(limit - 400)
    w.always(f"{marker(stack)}\n")
    title = f"**{esc(doc.get('project') or NAMESPACE)}** {code(stack)} vs {code(base.get('ref'))}: "

    if not head.get("ok", True):
        w.always(f"{title}❌ the preview of this change failed\n\n> [!CAUTION]\n> {esc(head.get('error'))}\n")
        return w.text() + footer(w, f"python -m webex_scim preview --stack {stack}")

    if base.get("ok", True):
        plan = _plan(counts)
        if counts.get("same"):
            plan += f" · {counts['same']} unchanged"
    else:
        plan = "⚠️ base failed to run, no change claimed"
    losing = len(access.get("removed", []))
    loss = f" · 🚫 {plural(losing, 'principal')} lose{'s' if losing == 1 else ''} access" if losing else ""
    w.always(f"{title}{plan}{loss} — {_violation_summary(violations)}\n\n")

    if not base.get("ok", True):
        w.always(
            f"> [!WARNING]\n> base failed to run: {esc(base.get('error'))}\n>\n"
            "> Nothing below is a difference; it is this change's own preview and policy verdicts.\n\n"
        )

    w.section(
        "> [!CAUTION]\n> **Destructive changes**\n>\n",
        _loud_items(doc),
        "\n",
        share=0.3,
        more="> - _… and {n:,} more, trimmed to fit a comment_",
    )

    names = _names(steps or doc.get("headSteps", []))
    names.update({k: v for k, v in _names(doc.get("headSteps", [])).items() if k not in names})
    w.section(
        "### Policy violations\n\n| Level | Policy | Resource | Message |\n|---|---|---|---|\n",
        _violation_rows(violations, names),
        "\n",
        share=0.4,
    )
    resolved = doc.get("resolvedPolicyViolations") or []
    w.section(
        "",
        [f"- ✅ resolved: {code(v.get('policy'))} {esc(names.get(str(v.get('urn')), ''))}\n" for v in resolved],
        "\n",
        share=0.1,
    )

    access_items = [
        f"- 🟢 {esc(p.get('kind'))} {code(p.get('ref'))} gains access"
        + (f" (role {code(p['role'])})" if p.get("role") else "")
        + "\n"
        for p in access.get("added", [])
    ]
    access_items += [
        f"- 🔁 {esc(p.get('kind'))} {code(p.get('ref'))}: role {code(p.get('oldRole') or '(default)')} → "
        f"{code(p.get('newRole') or '(default)')}\n"
        for p in access.get("changed", [])
    ]
    w.section("### Assignments\n\n", access_items, "\n", share=0.3)

    mappings = doc.get("mappings") or {}
    mapping_rows = [
        f"| 🟢 added | {code(m.get('target'))} | {code(m.get('source'))} |\n" for m in mappings.get("added", [])
    ]
    mapping_rows += [
        f"| 🔴 removed | {code(m.get('target'))} | ~~{code(m.get('source'))}~~ |\n" for m in mappings.get("removed", [])
    ]
    mapping_rows += [
        f"| 🟡 changed | {code(m.get('target'))} | {code(m.get('old'))} → {code(m.get('new'))}"
        + "".join(
            f"<br>{esc(p)}: {side(c.get('old'))} → {side(c.get('new'))}"
            for p, c in (m.get("changes") or {}).items()
            if p != "source"
        )
        + " |\n"
        for m in mappings.get("changed", [])
    ]
    w.section(
        "### Attribute mappings (Entra → Webex)\n\n| | Webex target | Source |\n|---|---|---|\n",
        mapping_rows,
        "\n",
        share=0.3,
    )

    if doc.get("users"):  # `diff --users`: who starts or stops being provisioned, whose payload changes
        from provisioning_cycle.diffusers import markdown_section

        users_head, user_items = markdown_section(dict(doc))
        w.section(users_head, user_items, "\n", share=0.4)

    w.section("### Warnings\n\n", _warning_items(doc), "\n", share=0.2)

    changing = [s for s in steps if s.get("op") in OPS]
    rows = [row for s in changing for row in _change_rows(s)]
    w.section(
        f"<details><summary>Changes ({len(changing)} resources)</summary>\n\n"
        "| Plan | Type | Name | Property | Old → new |\n|---|---|---|---|---|\n",
        rows,
        "\n</details>\n",
        share=0.8,
    )
    output_rows = [
        f"| {code(k)} | {side(c.get('old'))} → {side(c.get('new'))} |\n"
        for k, c in (doc.get("outputChanges") or {}).items()
    ]
    w.section(
        "<details><summary>Output changes</summary>\n\n| Output | Old → new |\n|---|---|\n",
        output_rows,
        "\n</details>\n",
        share=0.5,
    )
    head_rows = [
        f"| {esc(short_type(s.get('type')))} | {code(s.get('name'))} | {_input_summary(s.get('inputs'))} |\n"
        for s in doc.get("headSteps", [])
    ]
    w.section(
        f"<details><summary>Resources of this change ({len(head_rows)})</summary>\n\n"
        "| Type | Name | Inputs |\n|---|---|---|\n",
        head_rows,
        "\n</details>\n",
        share=1.0,
    )
    return w.text() + footer(w, f"python -m webex_scim diff --stack {stack} --base {base.get('ref')}")
