"""`python -m webex_scim diff … --users PATH`: what a change does to the users, from each side's own preview.

Each side of the diff is simulated against the one snapshot with the mappings, scoping filter, scope and assignments
*its own* preview document shows (stack.from_preview: the AttributeMappings inputs its code computed, the
Assignments component's principals, the SyncAll secret). Per user: who starts being provisioned (skipped by the base,
provisioned by the head), who stops (deactivated in Webex by the next cycle), and whose payload changes, attribute
by attribute (a userName source change shows on every user it touches).

Per change, in the diff's own lists: each assignment added, removed or re-roled gets `users: {start, stop}` (the
users that principal covers among those who start or stop), each mapping added, removed or changed gets
`usersChanged` (the provisioned users whose value for that target changes). Lists of users are kept to
LIST_LIMIT entries each, with the counts in full.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from webex_scim.markdown_writer import code, esc, prose

from .payload import flatten
from .run import PROVISION, Simulation, UserResult, simulate
from .snapshot import Snapshot, SourceUser, read_snapshot
from .stack import NotInPreview, Principal, from_preview

LIST_LIMIT = 500


def read_users(path: Path) -> Snapshot:
    """The snapshot, read before the previews run (a bad one is exit 2 at once)."""
    return read_snapshot(path)


def _covers(principal: Principal, user: SourceUser) -> bool:
    ref = principal.ref.strip().lower()
    if principal.kind == "user":
        return ref in (user.id.lower(), (user.upn or "").lower())
    return any(ref in ((ident or "").lower(), (name or "").lower()) for ident, name in user.groups)


def _entry(result: UserResult, **extra: Any) -> dict[str, Any]:
    return {"id": result.id, "userPrincipalName": result.upn, **extra}


def add_user_changes(
    doc: dict[str, Any], snapshot: Snapshot, base_doc: dict[str, Any] | None, head_doc: dict[str, Any]
) -> None:
    """Add `users` (and per-change counts) to a diff document."""
    section: dict[str, Any] = {"snapshot": snapshot.source}
    doc["users"] = section
    try:
        head_stack = from_preview(head_doc)
    except NotInPreview as exc:
        section["error"] = f"this change cannot be simulated: {exc}"
        return
    head = simulate(head_stack, snapshot)
    section["head"] = head.summary()
    if base_doc is None:
        section["error"] = "the base revision did not run: no change in who is provisioned is claimed"
        return
    try:
        base_stack = from_preview(base_doc)
    except NotInPreview as exc:
        section["error"] = f"the base revision cannot be simulated: {exc}; no change in who is provisioned is claimed"
        return
    base = simulate(base_stack, snapshot)
    section["base"] = base.summary()
    start, stop, changed = _compare(base, head)
    section["counts"] = {"start": len(start), "stop": len(stop), "changed": len(changed)}
    section["start"] = [_entry(h, reason=b.reason) for b, h in start[:LIST_LIMIT]]
    section["stop"] = [_entry(h, reason=h.reason) for _, h in stop[:LIST_LIMIT]]
    section["changed"] = [_entry(h, attributes=diff) for h, diff in changed[:LIST_LIMIT]]

    users = {u.id: u for u in snapshot.users}
    base_principals, head_principals = base_stack.principals, head_stack.principals
    access = doc.get("assignments") or {}
    for kind in ("added", "removed", "changed"):
        for item in access.get(kind, []):
            key = (str(item.get("kind")), str(item.get("ref")).lower())
            found = [p for p in (*head_principals, *base_principals) if (p.kind, p.ref.lower()) == key]
            if not found:
                continue
            principal = found[0]
            item["users"] = {
                "start": sum(1 for _, h in start if _covers(principal, users[h.id])),
                "stop": sum(1 for _, h in stop if _covers(principal, users[h.id])),
            }
    for kind in ("added", "removed", "changed"):
        for item in (doc.get("mappings") or {}).get(kind, []):
            target = item.get("target")
            item["usersChanged"] = sum(1 for _, diff in changed if target in diff)


def _compare(
    base: Simulation, head: Simulation
) -> tuple[
    list[tuple[UserResult, UserResult]], list[tuple[UserResult, UserResult]], list[tuple[UserResult, dict[str, Any]]]
]:
    start, stop, changed = [], [], []
    for b, h in zip(base.users, head.users, strict=True):  # one snapshot: the same users in the same order
        if b.action != PROVISION and h.action == PROVISION:
            start.append((b, h))
        elif b.action == PROVISION and h.action != PROVISION:
            stop.append((b, h))
        elif b.action == PROVISION and h.scim != b.scim:
            old, new = flatten(b.scim or {}), flatten(h.scim or {})
            diff = {
                path: {"old": old.get(path), "new": new.get(path)}
                for path in dict.fromkeys([*old, *new])
                if old.get(path) != new.get(path)
            }
            if diff:
                changed.append((h, diff))
    return start, stop, changed


# -- reports ----------------------------------------------------------------------------------------------------


def _who(entry: dict[str, Any]) -> str:
    return str(entry.get("userPrincipalName") or entry.get("id"))


def terminal_lines(section: dict[str, Any]) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = [("", ""), ("bold", f"Users (simulated with {section.get('snapshot')}):")]
    if section.get("error"):
        return [*lines, ("yellow", f"    {section['error']}")]
    counts = section.get("counts") or {}
    lines.append(
        (
            "bold",
            f"    {counts.get('start', 0):,} start being provisioned, {counts.get('stop', 0):,} stop (deactivated in "
            f"Webex), {counts.get('changed', 0):,} receive a changed payload",
        )
    )
    for entry in section.get("stop", [])[:20]:
        lines.append(("red", f"    - {_who(entry)}: stops ({entry.get('reason')})"))
    for entry in section.get("start", [])[:20]:
        lines.append(("green", f"    + {_who(entry)}: starts"))
    for entry in section.get("changed", [])[:20]:
        changes = ", ".join(f"{p}: {c['old']!r} → {c['new']!r}" for p, c in entry["attributes"].items())
        lines.append(("yellow", f"    ~ {_who(entry)}: {changes}"))
    return lines


def loud_items(doc: dict[str, Any]) -> list[str]:
    """For the PR comment's destructive section: users the change deactivates in Webex."""
    section = doc.get("users") or {}
    stopping = (section.get("counts") or {}).get("stop", 0)
    if not stopping:
        return []
    shown = ", ".join(code(_who(e)) for e in section.get("stop", [])[:5])
    more = f" and {stopping - 5:,} more" if stopping > 5 else ""
    who = f"{stopping:,} user stops" if stopping == 1 else f"{stopping:,} users stop"
    return [f"> - **{who} being provisioned** (deactivated in Webex): {shown}{more}\n"]


def markdown_section(doc: dict[str, Any]) -> tuple[str, list[str]]:
    """(heading, items) of the PR comment's Users section."""
    section = doc.get("users") or {}
    head = f"### Users (simulated with {code(section.get('snapshot'))})\n\n"
    if section.get("error"):
        return head, [f"{prose(section['error'])}\n"]
    counts = section.get("counts") or {}
    head += (
        f"🟢 {counts.get('start', 0):,} start being provisioned · 🔴 {counts.get('stop', 0):,} stop · "
        f"🟡 {counts.get('changed', 0):,} receive a changed payload\n\n"
    )
    items: list[str] = []
    access = doc.get("assignments") or {}
    for item in access.get("added", []) + access.get("removed", []) + access.get("changed", []):
        if any((item.get("users") or {}).values()):
            items.append(
                f"- {esc(item.get('kind'))} {code(item.get('ref'))}: {item['users']['start']:,} start, "
                f"{item['users']['stop']:,} stop\n"
            )
    mappings = doc.get("mappings") or {}
    for item in mappings.get("added", []) + mappings.get("removed", []) + mappings.get("changed", []):
        if item.get("usersChanged"):
            items.append(f"- mapping {code(item.get('target'))}: {item['usersChanged']:,} payloads change\n")
    items += [f"- 🔴 {code(_who(e))} stops: {prose(e.get('reason'))}\n" for e in section.get("stop", [])]
    items += [f"- 🟢 {code(_who(e))} starts\n" for e in section.get("start", [])]
    items += [
        f"- 🟡 {code(_who(e))}: "
        + "; ".join(f"{code(p)} {code(c['old'])} → {code(c['new'])}" for p, c in e["attributes"].items())
        + "\n"
        for e in section.get("changed", [])
    ]
    return head, items
