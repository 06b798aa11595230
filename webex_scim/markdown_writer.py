"""Markdown text for every report (PR comments, issue bodies, job summaries): escaping, shortening, and a writer
that keeps a report under GitHub's comment limit (sections in priority order, each trimmed to what is left, and the
trim said out loud)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

GITHUB_LIMIT = 65_536
BUDGET = 60_000  # characters we allow ourselves: a margin under GitHub's limit for the footer and any counting skew
MARKER = "<!-- webex-scim-preview:{stack} -->"
OPS = ("create", "update", "replace", "delete")
OP_ICON = {"create": "🟢", "update": "🟡", "replace": "🟣", "delete": "🔴", "same": "⚪"}
VALUE_LIMIT = 160

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def marker(stack: str | None) -> str:
    """The first line of every report for `stack`: how a workflow finds the comment to edit."""
    safe = re.sub(r"[^A-Za-z0-9._/-]", "-", str(stack or "unknown"))
    return MARKER.format(stack=safe)


def esc(text: Any) -> str:
    """Plain text safe inside Markdown and table cells: no HTML, no emphasis, no code, no cell breaks, and no link:
    GitHub turns `name@domain` into a mailto link even inside `<code>`, and joins escaped characters back before
    it looks, so the `@` goes in a tag of its own (copied text is unchanged)."""
    s = html.escape(str(text), quote=False)
    s = _MD_SPECIAL.sub(r"\\\1", s)
    return s.replace("\r", "").replace("\n", "<br>").replace("@", "<span>@</span>")


def prose(text: Any) -> str:
    """A message as `esc` makes it safe, but its `backticked` commands as code (a fix to copy, not literal ticks)."""
    parts = str(text).split("`")
    if len(parts) % 2 == 0:  # an unpaired tick: no code spans to trust
        return esc(text)
    return "".join(esc(p) if i % 2 == 0 else f"<code>{esc(p)}</code>" for i, p in enumerate(parts))


def code(value: Any, limit: int = VALUE_LIMIT) -> str:
    """A value as inline code, shortened, safe in a table cell (`<code>` with escaped content)."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"<code>{esc(text)}</code>"


def side(value: Any) -> str:
    """One side of an old → new change: the value as code, or "(none)" where that side has none (added, removed,
    emptied), never the JSON word null nor an empty code span."""
    return "<i>(none)</i>" if value is None or value in ("", [], {}) else code(value)


def short_type(type_token: str | None) -> str:
    """`azuread:index/appRoleAssignment:AppRoleAssignment` → `azuread:AppRoleAssignment`."""
    parts = str(type_token or "").split(":")
    if len(parts) < 2:
        return str(type_token or "")
    pkg = "dynamic" if parts[0] == "pulumi-python" else parts[0]
    return f"{pkg}:{parts[-1]}"


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# ---------------------------------------------------------------------------------------------------------------
# A budgeted writer: sections in priority order, each trimmed to what is left, and the trim said out loud.


@dataclass
class Writer:
    limit: int
    parts: list[str] = field(default_factory=list)
    used: int = 0
    trimmed_items: int = 0
    trimmed_chars: int = 0

    def always(self, text: str) -> None:
        self.parts.append(text)
        self.used += len(text)

    def left(self) -> int:
        return self.limit - self.used

    def section(
        self,
        head: str,
        items: Sequence[str],
        tail: str = "",
        *,
        share: float = 1.0,
        more: str = "_… and {n:,} more, trimmed to fit a comment_",
    ) -> None:
        """head + as many items as fit + tail; `share` caps this section at that fraction of what is left."""
        if not items:
            return
        budget = int(self.left() * share)
        reserve = len(head) + len(tail) + len(more) + 16
        if budget < reserve:
            self.trimmed_items += len(items)
            self.trimmed_chars += sum(len(i) for i in items)
            return
        budget -= reserve
        kept: list[str] = []
        for i, item in enumerate(items):
            if len(item) > budget:
                dropped = items[i:]
                self.trimmed_items += len(dropped)
                self.trimmed_chars += sum(len(x) for x in dropped)
                kept.append(more.format(n=len(dropped)) + "\n")
                break
            kept.append(item)
            budget -= len(item)
        self.always(head + "".join(kept) + tail)

    def text(self) -> str:
        return "".join(self.parts)


def footer(w: Writer, command: str) -> str:
    note = ""
    if w.trimmed_items:
        note = (
            f"Trimmed {w.trimmed_items:,} line{'' if w.trimmed_items == 1 else 's'} (~{w.trimmed_chars:,} characters) "
            f"to stay under GitHub's {GITHUB_LIMIT:,}-character comment limit; run {code(command, 400)} for all. "
        )
    return f"\n<sub>{note}Offline: no cloud login, no secret (secrets show as [secret]).</sub>\n"
