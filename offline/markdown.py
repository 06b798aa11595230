"""Markdown reports for a pull-request comment: `preview_markdown` (one preview) and `diff_markdown` (base → head).

The first line is a stable HTML comment (`<!-- webex-scim-preview:<stack> -->`) a workflow uses to find and edit its
earlier comment; the second is a one-line summary with counts. What can hurt comes next and loudly (deletions,
replacements, principals losing access), then policy verdicts, then the details, collapsed. The whole text stays
under GitHub's 65,536-character comment limit: details are trimmed, the summary never, and the trim is stated.

Every value is escaped (HTML, Markdown, table pipes; an address's `@` so GitHub makes no mailto link of it);
values are rendered from the JSON documents, which hold secrets only as "[secret]". What GitHub shows is what counts:
commands in backticks become code wherever a message has them, and per-property changes are lists, old and new each
on its own line, because a table of them is wider than a comment (tests/test_markdown_rendered.py renders them).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from components.replace_on_change import DELETE_CHANGES_NOTHING
from policies.vocabulary import NAMESPACE
from webex_scim.markdown_writer import (
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

from .review import checked_at_up, guard_label, weakened_guards
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
        new_advisory = sum(1 for v in advisory if v.get("new"))
        parts.append(f"⚠️ {len(advisory)} advisory" + (f" ({new_advisory} new)" if new_advisory else ""))
    if not violations:
        parts.append("✅ policies pass")
    return " · ".join(parts)


def _violation_rows(violations: Sequence[Mapping[str, Any]], names: Mapping[str, str]) -> list[str]:
    """One row per violation, three narrow columns: the resource leads the message (a column of its own, with a
    UPN in it, would push the message off a comment's width)."""
    ordered = sorted(violations, key=lambda v: (v.get("enforcementLevel") != "mandatory", not v.get("new")))
    rows = []
    for v in ordered:
        level = "❌ mandatory" if v.get("enforcementLevel") == "mandatory" else "⚠️ advisory"
        new = " 🆕" if v.get("new") else ""
        where = names.get(str(v.get("urn")), "") if v.get("urn") else ""
        on = f"<b>{where}</b>: " if where else ""
        rows.append(f"| {level}{new} | {code(v.get('policy'))} | {on}{prose(v.get('message', ''))} |\n")
    return rows


def _later_line(entries: Sequence[Mapping[str, Any]], steps: Iterable[Mapping[str, Any]]) -> str:
    """The verdicts only `pulumi up` can give, one line per rule with a count: not advisories, not violations."""
    types = {str(s.get("urn")): str(s.get("type")) for s in steps}
    rules = checked_at_up(list(entries), types)
    if not rules:
        return ""
    listed = "; ".join(f"{code(policy)} on {esc(count)} ({esc(level)} then)" for policy, level, count in rules)
    return f"🕓 Checked at <code>pulumi up</code>, with values only the tenant gives: {listed}\n\n"


def _plan(counts: Mapping[str, int]) -> str:
    return " · ".join(f"{OP_ICON[op]} {counts[op]} to {op}" for op in OPS if counts.get(op)) or "no changes"


def _names(steps: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """urn -> how a report names the resource (escaped Markdown: its type, and its name as code)."""
    return {str(s.get("urn")): f"{esc(short_type(s.get('type')))} {code(s.get('name'))}" for s in steps}


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


def _resource_items(steps: Iterable[Mapping[str, Any]], *, op: bool = True) -> list[str]:
    """Each resource as a list item: plan, type and name, then its inputs on a line of their own."""
    items = []
    for s in steps:
        plan = f"{OP_ICON.get(str(s.get('op')), '')} {esc(s.get('op'))} " if op else ""
        inputs = _input_summary(s.get("inputs"))
        items.append(
            f"- {plan}{esc(short_type(s.get('type')))} {code(s.get('name'))}"
            + (f"<br>{inputs}" if inputs else "")
            + "\n"
        )
    return items


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
    w.always(_later_line(doc.get("checkedAtUp") or [], steps))

    names = _names(steps)
    w.section(
        "### Policy violations\n\n| Level | Policy | Message |\n|---|---|---|\n",
        _violation_rows(violations, names),
        "\n",
        share=0.5,
    )
    w.section(
        "",
        [
            f"> Note: {esc(short_type(s.get('type')))} {code(s.get('name'))} is retained on delete: "
            "<code>pulumi destroy</code> leaves it in the tenant.\n"
            for s in steps
            if s.get("retainOnDelete")
        ],
        "\n",
        share=0.1,
    )
    w.section("### Warnings\n\n", _warning_items(doc), "\n", share=0.2)
    outputs = doc.get("outputs") or {}
    w.section(
        "<details><summary>Outputs</summary>\n\n",
        [f"- {code(k)}: {side(v)}\n" for k, v in outputs.items()],
        "\n</details>\n\n",
        share=0.2,
    )
    w.section(
        f"<details><summary>Resources ({len(steps)})</summary>\n\n",
        _resource_items(steps),
        "\n</details>\n",
        share=1.0,
    )
    return w.text() + footer(w, f"python -m webex_scim preview --stack {stack}")


# ---------------------------------------------------------------------------------------------------------------
# Diff


def _change_items(step: Mapping[str, Any]) -> list[str]:
    """One resource's changes as a list: the resource, then each property with old and new on lines of their own."""
    op = str(step.get("op"))
    head = f"- {OP_ICON.get(op, '')} {esc(op)} {esc(short_type(step.get('type')))} {code(step.get('name'))}\n"
    reasons = set(step.get("replaceReasons") or [])
    items = [head]
    for path, change in (step.get("diff") or {}).items():
        forced = " **(forces replacement)**" if top_property(path) in reasons else ""
        why = f"<br><sub>{prose(change['reason'])}</sub>" if change.get("reason") else ""
        items.append(
            f"  - {code(path)}{forced}<br>old: {side(change.get('old'))}<br>new: {side(change.get('new'))}{why}\n"
        )
    return items


def _loud_items(doc: Mapping[str, Any]) -> list[str]:
    items: list[str] = []
    for g in weakened_guards(doc):
        what, _, why = str(g["guard"]).partition(": ")
        items.append(
            f"> - **Guard weakened: {esc(what)}** ({code(g['key'])}: {side(g['old'])} → {side(g['new'])})"
            + (f": {esc(why)}" if why else "")
            + "\n"
        )
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
        w.always(f"{title}❌ the preview of this change failed\n\n> [!CAUTION]\n> {prose(head.get('error'))}\n")
        return w.text() + footer(w, f"python -m webex_scim preview --stack {stack}")

    if base.get("ok", True):
        plan = _plan(counts)
        if counts.get("same"):
            plan += f" · {counts['same']} unchanged"
    else:
        plan = "⚠️ base failed to run, no change claimed"
    losing = len(access.get("removed", []))
    loss = f" · 🚫 {plural(losing, 'principal')} lose{'s' if losing == 1 else ''} access" if losing else ""
    guards = list(dict.fromkeys(guard_label(g) for g in weakened_guards(doc)))
    weakened = f" · 🛡️ weakened: {esc(', '.join(guards))}" if guards else ""
    w.always(f"{title}{plan}{loss}{weakened} — {_violation_summary(violations)}\n\n")
    w.always(_later_line(doc.get("checkedAtUp") or [], steps or doc.get("headSteps", [])))

    if not base.get("ok", True):
        w.always(
            f"> [!WARNING]\n> base failed to run: {prose(base.get('error'))}\n>\n"
            "> Nothing below is a difference; it is this change's own preview and policy verdicts.\n\n"
        )

    w.section(
        "> [!CAUTION]\n> **Destructive changes and weakened guards**\n>\n",
        _loud_items(doc),
        "\n",
        share=0.3,
        more="> - _… and {n:,} more, trimmed to fit a comment_",
    )

    names = _names(steps or doc.get("headSteps", []))
    names.update({k: v for k, v in _names(doc.get("headSteps", [])).items() if k not in names})
    w.section(
        "### Policy violations\n\n| Level | Policy | Message |\n|---|---|---|\n",
        _violation_rows(violations, names),
        "\n",
        share=0.4,
    )
    resolved = doc.get("resolvedPolicyViolations") or []
    w.section(
        "",
        [f"- ✅ resolved: {code(v.get('policy'))} {names.get(str(v.get('urn')), 'stack')}\n" for v in resolved],
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
    mapping_items = [
        f"- 🟢 added: {code(m.get('target'))} ← {code(m.get('source'))}\n" for m in mappings.get("added", [])
    ]
    mapping_items += [
        f"- 🔴 removed: {code(m.get('target'))}, was fed from {code(m.get('source'))}\n"
        for m in mappings.get("removed", [])
    ]
    mapping_items += [
        f"- 🟡 changed: {code(m.get('target'))}<br>old: {side(m.get('old'))}<br>new: {side(m.get('new'))}"
        + "".join(
            f"<br>{esc(p)}: {side(c.get('old'))} → {side(c.get('new'))}"
            for p, c in (m.get("changes") or {}).items()
            if p != "source"
        )
        + "\n"
        for m in mappings.get("changed", [])
    ]
    w.section("### Attribute mappings (Entra → Webex)\n\n", mapping_items, "\n", share=0.3)

    if doc.get("users"):  # `diff --users`: who starts or stops being provisioned, whose payload changes
        from provisioning_cycle.diffusers import markdown_section

        users_head, user_items = markdown_section(dict(doc))
        w.section(users_head, user_items, "\n", share=0.4)

    w.section("### Warnings\n\n", _warning_items(doc), "\n", share=0.2)

    changing = [s for s in steps if s.get("op") in OPS]
    w.section(
        f"<details><summary>Changes ({plural(len(changing), 'resource')})</summary>\n\n",
        [item for s in changing for item in _change_items(s)],
        "\n</details>\n",
        share=0.8,
    )
    output_items = [
        f"- {code(k)}<br>old: {side(c.get('old'))}<br>new: {side(c.get('new'))}\n"
        for k, c in (doc.get("outputChanges") or {}).items()
    ]
    w.section("<details><summary>Output changes</summary>\n\n", output_items, "\n</details>\n", share=0.5)
    head_steps = doc.get("headSteps", [])
    w.section(
        f"<details><summary>Resources of this change ({len(head_steps)})</summary>\n\n",
        _resource_items(head_steps, op=False),
        "\n</details>\n",
        share=1.0,
    )
    return w.text() + footer(w, f"python -m webex_scim diff --stack {stack} --base {base.get('ref')}")
