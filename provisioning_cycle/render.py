"""A simulation as the JSON document of shared/DESIGN.md ("Simulation"), as Markdown, and as terminal lines.

The JSON is written one user per line, streamed: 100,000 users never sit in memory as one string, and a diff of two
runs reads user by user. Keys and order are the document's: project, stack, users (id, userPrincipalName, action,
reason, scim, scimUpdate, problems, warnings), summary (provision, skip, problems: the users with at least one
problem; a warning is not one).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO, Any

from webex_scim.markdown_writer import code, esc, prose

from .run import PROVISION, Simulation

MARKER = "<!-- webex-scim-simulate:{stack} -->"
BUDGET = 60_000  # under GitHub's 65,536-character comment limit, as the preview's reports
TERMINAL_USERS = 50  # users listed one by one on the terminal; more are counted (the JSON has each)


def write_json(sim: Simulation, out: IO[str]) -> None:
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    out.write("{\n")
    out.write(f'  "project": {dumps(sim.project)},\n  "stack": {dumps(sim.stack)},\n  "users": [')
    for index, user in enumerate(sim.users):
        out.write(("\n    " if index == 0 else ",\n    ") + dumps(user.as_json()))
    out.write(("\n  " if sim.users else "") + "],\n")
    out.write(f'  "summary": {dumps(sim.summary())}\n}}\n')


def document(sim: Simulation) -> dict[str, Any]:
    """The same document as a dict (what write_json writes)."""
    return {
        "project": sim.project,
        "stack": sim.stack,
        "users": [u.as_json() for u in sim.users],
        "summary": sim.summary(),
    }


def _users(n: int) -> str:
    return f"{n:,} user" + ("" if n == 1 else "s")


def summary_line(sim: Simulation) -> str:
    s = sim.summary()
    reasons = sim.skip_reasons()
    why = f" ({', '.join(f'{n:,} {r}' for r, n in reasons.most_common())})" if reasons else ""
    refused = f" (Webex may refuse {'it' if s['problems'] == 1 else 'them'})" if s["problems"] else ""
    unsure = " — not to be trusted: the snapshot has no group membership (see the note)" if sim.attention else ""
    warned = sum(1 for u in sim.users if u.warnings)
    return (
        f"Webex gets {s['provision']:,} of {_users(len(sim.users))}; {s['skip']:,} skipped{why}; "
        f"{s['problems']:,} with problems{refused}" + (f"; {warned:,} with a warning" if warned else "") + unsure
    )


def _who(user: Any) -> str:
    return user.upn or user.id


def terminal_lines(sim: Simulation) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = [
        ("bold", f"Simulating stack {sim.stack} with {sim.source} ({_users(len(sim.users))}), offline"),
        ("", ""),
    ]
    for user in sim.users[:TERMINAL_USERS]:
        if user.action == PROVISION:
            name = (user.scim or {}).get("userName")
            lines.append(("green", f" +  {_who(user)}  provision" + (f" as {name}" if name else "")))
            if user.create_only:
                lines.append(("dim", f"      on create only, not on an update: {', '.join(user.create_only)}"))
        else:
            lines.append(("dim", f" -  {_who(user)}  skip: {user.reason}"))
        lines += [("yellow", f"      problem: {p}") for p in user.problems]
        lines += [("dim yellow", f"      warning: {w}") for w in user.warnings]
    hidden = sim.users[TERMINAL_USERS:]
    if hidden:
        troubled = [u for u in hidden if u.problems]
        lines.append(("dim", f"    … and {len(hidden):,} more users (see --json or --markdown for each)"))
        for user in troubled[:20]:
            lines += [("yellow", f"    {_who(user)}: {p}") for p in user.problems]
        if len(troubled) > 20:
            lines.append(("yellow", f"    … and {len(troubled) - 20:,} more users with problems"))
    if sim.notes:
        lines += [("", ""), ("bold yellow", "Notes:")]
        lines += [("yellow", f"    note: {n}") for n in sim.notes]
    lines += [("", ""), ("bold", summary_line(sim))]
    return lines


def fit_rows(rows: list[str], room: int, *, columns: int) -> tuple[list[str], int]:
    """The table rows that fit in `room` characters, a last row saying how many more were cut, and the room left."""
    kept: list[str] = []
    for row in rows:
        if len(row) > room:
            kept.append(
                f"| _… and {len(rows) - len(kept):,} more, trimmed to fit a comment_ |" + " |" * (columns - 1) + "\n"
            )
            break
        kept.append(row)
        room -= len(row)
    return kept, room


def markdown(sim: Simulation, *, limit: int = BUDGET, extra: Iterable[str] = ()) -> str:
    """A PR comment / job summary: the summary first, then what needs a look, then the users, collapsed. Sections
    are cut to stay under `limit` characters, and the cut is said; the summary never is."""
    s = sim.summary()
    parts = [MARKER.format(stack=esc(sim.stack)) + "\n"]
    parts.append(
        f"**{esc(sim.project)}** {code(sim.stack)}, simulated with {code(sim.source)}: "
        f"{'✅ ' if s['provision'] else ''}{s['provision']:,} provisioned · ⏭️ {s['skip']:,} skipped · "
        f"{'⚠️ ' if s['problems'] else ''}{s['problems']:,} with problems\n\n"
    )
    reasons = sim.skip_reasons()
    if reasons:
        parts.append("| Skipped because | Users |\n|---|---|\n")
        parts += [f"| {esc(r)} | {n:,} |\n" for r, n in reasons.most_common()]
        parts.append("\n")
    if sim.attention:
        parts.append("> [!CAUTION]\n" + "".join(f"> - {prose(n)}\n" for n in sim.attention) + "\n")
    if notes := [n for n in sim.notes if n not in sim.attention]:
        parts.append("> [!NOTE]\n" + "".join(f"> - {prose(n)}\n" for n in notes) + "\n")
    parts += list(extra)
    closing = f"\n{esc(summary_line(sim))}\n"
    troubled = [u for u in sim.users if u.problems]
    warned = [u for u in sim.users if u.warnings]
    sections = [
        (
            f"### Problems ({len(troubled):,} user{'' if len(troubled) == 1 else 's'})\n\n| User | Problem |\n"
            "|---|---|\n",
            [f"| {code(_who(u))} | {prose(p)} |\n" for u in troubled for p in u.problems],
            "\n",
        ),
        (
            f"### Warnings ({len(warned):,} user{'' if len(warned) == 1 else 's'})\n\n| User | Warning |\n|---|---|\n",
            [f"| {code(_who(u))} | {esc(w)} |\n" for u in warned for w in u.warnings],
            "\n",
        ),
        (
            f"<details><summary>Users ({len(sim.users):,})</summary>\n\n| User | Action | userName | Reason |\n"
            "|---|---|---|---|\n",
            [
                f"| {code(_who(u))} | {u.action} | {code(u.scim.get('userName', '')) if u.scim else ''} | "
                f"{esc(u.reason or '')} |\n"
                for u in sim.users
            ],
            "\n</details>\n",
        ),
    ]
    used = sum(map(len, parts)) + len(closing)
    for head, items, tail in sections:
        kept, room = fit_rows(items, limit - used - len(head) - len(tail) - 100, columns=2)
        if items and room > 0:
            chunk = head + "".join(kept) + tail
            parts.append(chunk)
            used += len(chunk)
    example = next((u for u in sim.users if u.scim is not None), None)
    if example is not None:
        body = json.dumps(example.scim, indent=2, ensure_ascii=False)
        fence = "````" if "```" in body else "```"
        chunk = (
            f"<details><summary>What Webex receives for {esc(_who(example))}</summary>\n\n{fence}json\n{body}\n"
            f"{fence}\n\n</details>\n"
        )
        if used + len(chunk) <= limit:
            parts.append(chunk)
    parts.append(closing)
    return "".join(parts)
