"""A match report as terminal lines, as the JSON document docs/match.md describes, and as Markdown for a PR or an
issue. The terminal and the Markdown group users by class, largest risk first (classify.ORDER)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import IO, Any

from webex_scim.markdown_writer import code, esc

from .classify import CONFLICT, MATCH, NEAR_MISS, NEW, NOT_PROVISIONED, ORDER, UNKNOWN, Entry
from .render import fit_rows
from .webex_users import WebexAccount

MARKER = "<!-- webex-scim-match:{stack} -->"
BUDGET = 60_000  # under GitHub's 65,536-character comment limit, as the other reports
TERMINAL_PER_CLASS = 20
SIGN = {CONFLICT: " !", NEAR_MISS: " ~", UNKNOWN: " ?", MATCH: " =", NEW: " +"}
STYLE = {CONFLICT: "red", NEAR_MISS: "yellow", UNKNOWN: "yellow", MATCH: "green", NEW: "green"}
TITLE = {
    CONFLICT: "Conflicts: Entra fails these users, Webex may refuse them, or a Webex user is taken over",
    NEAR_MISS: "Near misses: a Webex user already has the address under another userName",
    UNKNOWN: "Not read",
    MATCH: "Matches: existing Webex users the first cycle updates",
    NEW: "New: Webex creates these users",
    NOT_PROVISIONED: "Not provisioned (the simulation's reasons)",
}


@dataclass
class Report:
    project: str
    stack: str
    source: str
    url: str
    listed: bool
    entries: list[Entry]
    only: list[WebexAccount] | None  # Webex-only users (None: the org was not listed)
    partial: list[str]
    requests: dict[str, int]
    summary: dict[str, Any]
    notes: list[str]  # the simulation's, about the snapshot as a whole

    def by_class(self) -> dict[str, list[Entry]]:
        out: dict[str, list[Entry]] = {k: [] for k in ORDER}
        for entry in self.entries:
            out[entry.klass].append(entry)
        return out


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else many or one + 's'}"


def summary_line(report: Report) -> str:
    s = report.summary
    inactive = f" ({s['matchInactive']:,} inactive)" if s["matchInactive"] else ""
    parts = [
        f"{_n(s['match'], 'match', 'match')} existing Webex users by userName{inactive}",
        f"{s['new']:,} new",
        _n(s["nearMiss"], "near miss", "near misses"),
        _n(s["conflict"], "conflict"),
    ]
    if s["unknown"]:
        parts.append(f"{s['unknown']:,} not read")
    line = f"{_n(s['provisioned'], 'user')} Entra would send: " + ", ".join(parts)
    if s["webexOnly"] is not None:
        line += f"; {_n(s['webexOnly'], 'Webex user')} no Entra user reaches"
    if s["partial"]:
        line += " (partial read)"
    return line


def _who(entry: Entry) -> str:
    return entry.upn or entry.id


def terminal_lines(report: Report) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = [
        ("bold", f"Matching stack {report.stack} with {report.source} against {report.url} (read-only)"),
    ]
    groups = report.by_class()
    for klass in ORDER[:-1]:
        group = groups[klass]
        if not group:
            continue
        lines += [("", ""), ("bold", f"{TITLE[klass]} ({len(group):,})")]
        for entry in group[:TERMINAL_PER_CLASS]:
            lines.append(
                (
                    STYLE[klass],
                    f"{SIGN[klass]}  {_who(entry)}"
                    + (f"  as {entry.user_name}" if entry.upn != entry.user_name else ""),
                )
            )
            lines.append(("", f"      {entry.reason}"))
            lines += [("yellow", f"      problem: {p}") for p in entry.problems]
            lines += [("dim yellow", f"      warning: {w}") for w in entry.warnings]
        if len(group) > TERMINAL_PER_CLASS:
            lines.append(("dim", f"    … and {len(group) - TERMINAL_PER_CLASS:,} more (see --json or --markdown)"))
    skipped = Counter(e.reason.split(":", 1)[0] for e in groups[NOT_PROVISIONED])
    if skipped:
        lines += [("", ""), ("bold", f"{TITLE[NOT_PROVISIONED]} ({len(groups[NOT_PROVISIONED]):,})")]
        lines += [("dim", f"    {n:,} {reason}") for reason, n in skipped.most_common()]
    if report.only is not None:
        lines += [
            ("", ""),
            ("bold", f"Webex users no Entra user reaches ({len(report.only):,}): Entra never touches them"),
        ]
        near = {e.webex_id: _who(e) for e in groups[NEAR_MISS]}
        lines += [
            (
                "dim",
                f"    {a.user_name}  ({a.status()}, id {a.id})"
                + (f"; {near[a.id]}'s near miss" if a.id in near else ""),
            )
            for a in report.only[:TERMINAL_PER_CLASS]
        ]
        if len(report.only) > TERMINAL_PER_CLASS:
            lines.append(("dim", f"    … and {len(report.only) - TERMINAL_PER_CLASS:,} more"))
    if report.notes:
        lines += [("", ""), ("bold yellow", "Notes:")]
        lines += [("yellow", f"    note: {n}") for n in report.notes]
    if report.partial:
        lines += [("", ""), ("bold yellow", "Partial read:")]
        lines += [("yellow", f"    {p}") for p in report.partial]
    lines += [("", ""), ("dim", f"Requests: {', '.join(f'{n:,} {m}' for m, n in report.requests.items()) or 'none'}")]
    lines.append(("bold", summary_line(report)))
    return lines


def write_json(report: Report, out: IO[str]) -> None:
    """The document, one user per line (docs/match.md)."""
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    head = {"project": report.project, "stack": report.stack, "scimUrl": report.url, "listOrg": report.listed}
    out.write("{\n" + "".join(f"  {dumps(k)}: {dumps(v)},\n" for k, v in head.items()) + '  "users": [')
    for index, entry in enumerate(report.entries):
        out.write(("\n    " if index == 0 else ",\n    ") + dumps(entry.as_json()))
    out.write(("\n  " if report.entries else "") + "],\n")
    only = None if report.only is None else [a.as_json() for a in report.only]
    tail = {
        "webexOnly": only,
        "notes": report.notes,
        "partial": report.partial,
        "requests": report.requests,
        "summary": report.summary,
    }
    out.write(",\n".join(f"  {dumps(k)}: {dumps(v)}" for k, v in tail.items()) + "\n}\n")


def markdown(report: Report, *, limit: int = BUDGET) -> str:
    s = report.summary
    parts = [
        MARKER.format(stack=esc(report.stack)) + "\n",
        f"**{esc(report.project)}** {code(report.stack)}, matched with {code(report.source)} against "
        f"{code(report.url)} (read-only): ✅ {s['match']:,} match · 🆕 {s['new']:,} new · ⚠️ {s['nearMiss']:,} near "
        f"miss · ❌ {s['conflict']:,} conflict\n\n",
    ]
    if report.partial:
        parts.append("> [!WARNING]\n> Partial read:\n" + "".join(f"> - {esc(p)}\n" for p in report.partial) + "\n")
    closing = f"\n{esc(summary_line(report))}\n"
    used = sum(map(len, parts)) + len(closing)
    groups = report.by_class()
    for klass in ORDER:
        group = groups[klass]
        if not group:
            continue
        folded = klass in (MATCH, NEW, NOT_PROVISIONED)
        title = f"{esc(TITLE[klass])} ({len(group):,})"
        table = "| User | userName | Webex user | Reason |\n|---|---|---|---|\n"
        head = f"<details><summary>{title}</summary>\n\n{table}" if folded else f"### {title}\n\n{table}"
        tail = "\n</details>\n\n" if folded else "\n"
        rows, room = fit_rows(
            [
                f"| {code(_who(e))} | {code(e.user_name or '')} | {code(e.webex_id or '')} | "
                f"{esc('; '.join([e.reason, *e.problems, *e.warnings]))} |\n"
                for e in group
            ],
            limit - used - len(head) - len(tail) - 100,
            columns=4,
        )
        if room > 0:
            chunk = head + "".join(rows) + tail
            parts.append(chunk)
            used += len(chunk)
    if report.only:
        head = (
            f"<details><summary>Webex users no Entra user reaches ({len(report.only):,})</summary>\n\n"
            "| userName | Webex id | Status |\n|---|---|---|\n"
        )
        rows = [f"| {code(a.user_name)} | {code(a.id)} | {esc(a.status())} |\n" for a in report.only]
        kept, _ = fit_rows(rows, limit - used - len(head) - 200, columns=3)
        parts.append(head + "".join(kept) + "\n</details>\n")
    parts.append(closing)
    return "".join(parts)
