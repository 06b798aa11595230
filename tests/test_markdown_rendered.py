"""The PR comments and the simulation report as GitHub shows them: rendered with a GitHub-flavoured Markdown renderer
(markdown-it-py with GitHub's extensions: tables, strikethrough, task lists, autolinks) and checked as HTML. No
literal backtick in the text (a command meant as code), no mailto link (GitHub links `name@domain` even inside
`<code>`), no table row wider than a comment, and the reviewer's facts where a reviewer looks for them.

The reports come from the real commands' documents: each stack is previewed by the CLI with the policy pack, two
previews are compared as `diff` compares them, and a snapshot is simulated as `simulate` does.
"""

from __future__ import annotations

import json
import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from mdit_py_plugins.gfm import gfm_plugin

from offline.compare import compare
from offline.markdown import diff_markdown, preview_markdown
from tests.simulate_support import snapshot_file, stack_file, user
from tests.support import ORG
from webex_scim.cli import main

# GitHub's comment column: a pull request's conversation is about 780 px wide, less the comment's padding. In its
# tables a cell is padded 13 px on each side, and a word (a run without a space) is never broken, so a row is at
# least the sum of its cells' longest words: wider, and GitHub scrolls the table, hiding its right-hand column.
COMMENT_PX = 760
CELL_PADDING_PX = 27
CHAR_PX = 7.5  # 14 px text and 85% monospace code average about this per character
WIDE_PX = 20  # an emoji

GUARD_BASE = {
    "orgId": ORG,
    "notificationEmail": "webex-admins@contoso.com",
    "tokenExpiresOn": "2099-01-01",
    "rollout": "full",
    "assignmentRole": "User",
    "assignments": [{"user": u} for u in ("alice.nguyen@contoso.com", "bob.martin@contoso.com", "carol@contoso.com")],
    "provisioning": {"deleteThreshold": 500},
}
GUARD_HEAD = {
    **GUARD_BASE,
    "assignments": [{"user": "alice.nguyen@contoso.com"}, {"user": "carol@contoso.com"}],
    "provisioning": {"deleteThreshold": 0},
}
WIDE_BASE = {**GUARD_BASE, "assignments": [{"user": f"user{i:02d}@contoso.com"} for i in range(1, 33)]}
WIDE_HEAD = {**WIDE_BASE, "notificationEmail": "webex-ops@contoso.com"}


def renderer() -> MarkdownIt:
    """GitHub's flavour: CommonMark with raw HTML (GitHub sanitizes it after), tables, ~~strike~~, task lists,
    alerts and GitHub's autolinks (mdit-py-plugins' gfm), plus markdown-it's linkify, which also links an address
    inside a raw `<code>` element, as GitHub (cmark-gfm) does and gfm_autolink alone does not."""
    md = MarkdownIt("gfm-like", {"html": True}).use(gfm_plugin)
    md.linkify.set({"fuzzy_link": False})  # GitHub links no bare domain (contoso.com); www. is gfm_autolink's
    return md


class _Page(HTMLParser):
    """What a reader sees: text outside code, links, and each table row's cells."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[str] = []
        self.rows: list[list[str]] = []
        self._code = 0
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("code", "pre"):
            self._code += 1
        elif tag == "a":
            self.links.append(dict(attrs).get("href") or "")
        elif tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("code", "pre"):
            self._code -= 1
        elif tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if not self._code:
            self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def page(markdown: str) -> _Page:
    parsed = _Page()
    parsed.feed(renderer().render(markdown))
    return parsed


def _word_px(word: str) -> float:
    return sum(WIDE_PX if unicodedata.east_asian_width(c) == "W" else CHAR_PX for c in word)


def row_px(cells: list[str]) -> float:
    """The narrowest a row can be: each cell's longest word, plus its padding."""
    return sum(max((_word_px(w) for w in cell.split()), default=0) + CELL_PADDING_PX for cell in cells)


def check_as_github_shows_it(markdown: str) -> _Page:
    shown = page(markdown)
    text = "".join(shown.text)
    assert "`" not in text, [line for line in text.splitlines() if "`" in line]
    assert [link for link in shown.links if link.startswith("mailto:")] == []
    wide = [(row, row_px(row)) for row in shown.rows if row_px(row) > COMMENT_PX]
    assert wide == [], wide
    return shown


def preview_doc(tmp_path: Path, side: str, values: dict[str, Any]) -> dict[str, Any]:
    """The preview document of stack `dev` with these settings (each side in its own folder, as a diff has them)."""
    (tmp_path / side).mkdir()
    path = tmp_path / side / "Pulumi.dev.yaml"
    path.write_text(json.dumps({"config": {f"webex-scim:{k}": v for k, v in values.items()}}))
    out = tmp_path / side / "preview.json"
    assert main(["preview", "--config-file", str(path), "--json", str(out)]) in (0, 1)
    return json.loads(out.read_text())


def diff_doc(tmp_path: Path, base: dict[str, Any], head: dict[str, Any]) -> dict[str, Any]:
    doc = compare(preview_doc(tmp_path, "base", base), preview_doc(tmp_path, "head", head))
    return {**doc, "stack": "dev", "base": {"ref": "origin/main", "ok": True, "error": None}, "head": {"ok": True}}


@pytest.fixture(scope="module")
def guard_off(tmp_path_factory: pytest.TempPathFactory) -> str:
    return diff_markdown(diff_doc(tmp_path_factory.mktemp("guard"), GUARD_BASE, GUARD_HEAD))


@pytest.fixture(scope="module")
def wide_stack(tmp_path_factory: pytest.TempPathFactory) -> str:
    return diff_markdown(diff_doc(tmp_path_factory.mktemp("wide"), WIDE_BASE, WIDE_HEAD))


def test_turning_the_deletion_guard_off_is_loud_and_readable(guard_off: str) -> None:
    shown = check_as_github_shows_it(guard_off)
    summary = guard_off.splitlines()[1]
    assert "🛡️ weakened: accidental-deletion threshold off" in summary and "1 principal loses access" in summary
    caution = guard_off.split("> [!CAUTION]", 1)[1].split("\n\n", 1)[0]
    assert "**Guard weakened: accidental-deletion threshold off**" in caution
    assert "<code>provisioning.deleteThreshold</code>: <code>500</code> → <code>0</code>" in caution
    assert "**Loses access:** user <code>bob.martin<span>@</span>contoso.com</code>" in caution
    text = "".join(shown.text)
    # The advisory says what is wrong on this stack, not the rule's description (the opposite of what happens).
    assert "The accidental-deletion threshold is off" in text
    assert "Accidental-deletion prevention is on, with a threshold above zero" not in text
    # A deleted assignment's verdicts went with it: nothing was resolved.
    assert "resolved" not in text
    # The property changes: old and new on lines of their own.
    assert "old: <code>500</code><br>new: <code>0</code>" in guard_off


def test_32_assignments_and_a_new_email_show_the_one_real_change_first(wide_stack: str) -> None:
    check_as_github_shows_it(wide_stack)
    summary, later = wide_stack.splitlines()[1], wide_stack.splitlines()[3]
    assert "✅ policies pass" in summary and "advisory" not in summary
    assert later == (
        "🕓 Checked at <code>pulumi up</code>, with values only the tenant gives: <code>no-default-access</code> on "
        "32 assignments (mandatory then)"
    )
    assert "### Policy violations" not in wide_stack  # the heading only over violations
    assert (
        "<code>credentials\\[SyncNotificationSettings\\].Recipients</code><br>old: "
        "<code>webex-admins<span>@</span>contoso.com</code><br>new: <code>webex-ops<span>@</span>contoso.com</code>"
    ) in wide_stack


def test_a_preview_with_violations_renders_narrow(tmp_path: Path) -> None:
    values = {**GUARD_BASE, "app": {"hideFromUsers": False}, "provisioning": {"scope": "all", "deleteThreshold": 0}}
    doc = preview_doc(tmp_path, "loud", values)
    shown = check_as_github_shows_it(preview_markdown(doc))
    assert len(shown.rows) >= 4  # the violations table: a heading row and one per violation
    assert {"hidden-from-users", "scope-assigned-only", "delete-threshold-on"} <= {
        v["policy"] for v in doc["policyViolations"]
    }


def test_the_simulation_report_renders_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    users = [user(1), user(2, accountEnabled=False), user(3, userPrincipalName="no-at-sign")]
    md = tmp_path / "sim.md"
    args = ["--config-file", str(stack_file(tmp_path, assignments=[{"group": "Sales"}]))]
    args += ["--users", str(snapshot_file(tmp_path, users)), "--markdown", str(md)]
    assert main(["simulate", *args]) == 1
    capsys.readouterr()
    text = md.read_text()
    shown = check_as_github_shows_it(text)
    # No user is provisioned (none has the group membership): no green check beside the 0.
    assert "✅ 0" not in text and "0 provisioned" in text
    # The note's fix is code, not literal backticks.
    assert "<code>$expand=memberOf</code>" in renderer().render(text) and "memberOf" in "".join(shown.text)


def test_the_checks_can_fail() -> None:
    with pytest.raises(AssertionError):
        check_as_github_shows_it("Run `pulumi up` as \\`literal\\` ticks")
    with pytest.raises(AssertionError):
        check_as_github_shows_it("| a |\n|---|\n| <code>bob@contoso.com</code> |")
    wide = "| a | b | c |\n|---|---|---|\n| " + " | ".join(["x" * 40] * 3) + " |"
    with pytest.raises(AssertionError):
        check_as_github_shows_it(wide)
    assert re.search(r"mailto:", renderer().render("bob@contoso.com"))  # the renderer links addresses, as GitHub


@pytest.mark.parametrize("state", ["quarantine", "escrows"])
def test_the_status_issue_body_renders_too(tmp_path: Path, capsys: pytest.CaptureFixture[str], state: str) -> None:
    """The scheduled workflow's issue body (make status --markdown): the same rules as a PR comment."""
    from tests.graph_server import BEARER
    from tests.status_demo import TOKEN_ENV, demo

    md = tmp_path / "status.md"
    with pytest.MonkeyPatch.context() as env, demo(state, tmp_path) as d:
        env.setenv(TOKEN_ENV, BEARER)
        assert main(["status", "--config-file", str(d.stack_file), "--markdown", str(md)]) == 1
    capsys.readouterr()
    check_as_github_shows_it(md.read_text())
