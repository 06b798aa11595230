"""Markdown reports for PR comments: marker, summary first, loud losses, escaping, secrets, GitHub's size limit."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from offline import render
from offline.compare import compare, head_only
from offline.markdown import GITHUB_LIMIT, diff_markdown, esc, marker, preview_markdown
from offline.ordering import tree_order
from policies.vocabulary import APP_ROLE_ASSIGNMENT
from policies.vocabulary import ASSIGNMENTS as ASSIGNMENTS_COMPONENT
from tests.support import ROOT, config, run

STACK_URN = "urn:pulumi:dev::webex-scim::pulumi:pulumi:Stack::webex-scim-dev"
COMPONENT_URN = f"urn:pulumi:dev::webex-scim::{ASSIGNMENTS_COMPONENT}::assignments"


def _assignments_doc(users: list[str]) -> dict[str, Any]:
    steps = [
        {
            "op": "create",
            "urn": STACK_URN,
            "type": "pulumi:pulumi:Stack",
            "name": "webex-scim-dev",
            "parent": None,
            "inputs": {},
            "protect": False,
            "retainOnDelete": False,
        },
        {
            "op": "create",
            "urn": COMPONENT_URN,
            "type": ASSIGNMENTS_COMPONENT,
            "name": "assignments",
            "parent": STACK_URN,
            "inputs": {"rollout": "full", "principals": [{"kind": "user", "ref": u, "role": None} for u in users]},
            "protect": False,
            "retainOnDelete": False,
        },
    ]
    for u in users:
        steps.append(
            {
                "op": "create",
                "urn": f"urn:pulumi:dev::webex-scim::{ASSIGNMENTS_COMPONENT}${APP_ROLE_ASSIGNMENT}::user-{u}",
                "type": APP_ROLE_ASSIGNMENT,
                "name": f"user-{u}",
                "parent": COMPONENT_URN,
                "inputs": {"appRoleId": "[unknown]", "principalObjectId": u, "resourceObjectId": "[unknown]"},
                "protect": False,
                "retainOnDelete": False,
            }
        )
    return {
        "project": "webex-scim",
        "stack": "dev",
        "steps": steps,
        "outputs": {"assignedPrincipals": users},
        "policyViolations": [],
        "warnings": [],
        "changeSummary": {"create": len(steps)},
    }


def _ids(n: int, seed: int) -> list[str]:
    return [str(uuid.UUID(int=seed * 10**6 + i)) for i in range(n)]


@pytest.fixture(scope="module")
def big_change() -> dict[str, Any]:
    """5,000 assignments replaced by 5,000 others: 5,000 creates, 5,000 deletes, 5,000 principals losing access."""
    doc = compare(_assignments_doc(_ids(5000, 1)), _assignments_doc(_ids(5000, 2)))
    doc["base"] = {"ref": "origin/main", "ok": True, "error": None}
    doc["head"] = {"ok": True, "error": None}
    return doc


def test_5000_assignment_change_fits_a_comment_with_the_summary_intact(big_change: dict[str, Any]) -> None:
    text = diff_markdown(big_change)
    assert len(text) < GITHUB_LIMIT
    lines = text.splitlines()
    assert lines[0] == "<!-- webex-scim-preview:dev -->"
    summary = lines[1]
    assert "5000 to create" in summary and "5000 to delete" in summary and "1 unchanged" in summary
    assert "5000 principals lose access" in summary
    assert "[!CAUTION]" in text and "Loses access" in text  # the loud section is there, however trimmed
    assert re.search(r"Trimmed [\d,]+ lines \(~[\d,]+ characters\)", text)
    assert text.rstrip().endswith("</sub>")


def test_5000_assignment_preview_fits_too() -> None:
    text = preview_markdown(_assignments_doc(_ids(5000, 3)))
    assert len(text) < GITHUB_LIMIT
    assert text.splitlines()[0] == "<!-- webex-scim-preview:dev -->"
    assert "5002 to create" in text.splitlines()[1]
    assert "Trimmed" in text


def test_small_reports_are_not_trimmed() -> None:
    text = diff_markdown(
        {
            **compare(_assignments_doc(["a"]), _assignments_doc(["a", "b"])),
            "base": {"ref": "main", "ok": True, "error": None},
        }
    )
    assert "Trimmed" not in text
    assert "gains access" in text


def test_marker_is_stable_and_safe() -> None:
    assert marker("dev") == "<!-- webex-scim-preview:dev -->"
    assert "-->" not in marker("x --> <b>")[: -len(" -->")]


def test_values_are_escaped() -> None:
    nasty = "a|b `code` <script>alert(1)</script> *bold* [link](http://x) _u_"
    escaped = esc(nasty)
    assert "<script>" not in escaped and "&lt;script&gt;" in escaped
    for ch in "|`*[]_":
        assert f"\\{ch}" in escaped
    doc = _assignments_doc([nasty])
    text = preview_markdown(doc)
    assert "<script>" not in text
    row = next(line for line in text.splitlines() if "user-a" in line)
    assert re.findall(r"(?<!\\)\|", row) == []  # the value's pipe is escaped: in a table it would split a cell


def test_base_failure_is_loud_and_claims_no_change() -> None:
    doc = head_only(_assignments_doc(["a"]))
    doc["base"] = {"ref": "origin/main", "ok": False, "error": "git ref 'origin/main' is not a commit here"}
    doc["head"] = {"ok": True, "error": None}
    text = diff_markdown(doc)
    assert "base failed to run: git ref 'origin/main' is not a commit here" in text
    assert "to create" not in text.splitlines()[1]
    assert "Resources of this change (3)" in text


def test_head_failure_is_reported() -> None:
    doc = {
        "project": "webex-scim",
        "stack": "dev",
        "steps": [],
        "policyViolations": [],
        "base": {"ref": "main", "ok": True, "error": None},
        "head": {"ok": False, "error": "webex-scim:orgId: 'x' is not a Webex org ID"},
    }
    text = diff_markdown(doc)
    assert "the preview of this change failed" in text.splitlines()[1]
    assert "webex-scim:orgId" in text


def test_secrets_never_reach_markdown(canary: str) -> None:
    """A real run with the canary as the token: neither report contains it."""
    result = run(config(), token=canary)
    doc = render.document(result, [])
    assert canary not in preview_markdown(doc)
    other = render.document(run(config(assignments=[{"user": "someone.else@contoso.com"}])), [])
    diffed = {**compare(other, doc), "base": {"ref": "main", "ok": True, "error": None}}
    text = diff_markdown(diffed)
    assert canary not in text
    assert "[secret]" in preview_markdown(doc)


def test_a_preview_report_does_not_depend_on_registration_or_verdict_order() -> None:
    """The SDK registers resources as their inputs resolve (it varies between runs) and the pack reports in its
    own order: the same run in another order gives the same JSON and byte for byte the same Markdown."""
    import dataclasses

    from offline.model import PolicyViolation

    result = run(
        config(rollout="full", assignments=[{"user": "a@contoso.com"}, {"user": "b@contoso.com"}, {"group": "Sales"}])
    )
    urns = [r.urn for r in result.resources]
    violations = [
        PolicyViolation("no-default-access", "mandatory", urns[-1], "m1"),
        PolicyViolation("no-default-access", "mandatory", urns[-2], "m2"),
        PolicyViolation("delete-threshold-on", "advisory", None, "stack-wide"),
    ]
    shuffled = dataclasses.replace(result, resources=list(reversed(result.resources)))
    doc, other = render.document(result, violations), render.document(shuffled, list(reversed(violations)))
    assert doc == other
    assert preview_markdown(doc).encode() == preview_markdown(other).encode()
    names = [s["name"] for s in doc["steps"]]
    assert names[:2] == ["webex-scim-test", "webex"]  # the stack, then its component: parents before children
    assert names.index("app") < names.index("gallery-app") < names.index("assignments")  # siblings by name
    assert doc["policyViolations"][0]["message"] == "stack-wide"  # then by resource
    assert render.tree_lines(result, violations) == render.tree_lines(shuffled, list(reversed(violations)))


def test_identical_previews_write_byte_identical_markdown(tmp_path: Path) -> None:
    texts = set()
    for i in range(4):
        md = tmp_path / f"preview-{i}.md"
        proc = subprocess.run(
            [sys.executable, "-m", "webex_scim", "preview", "--stack", "dev", "--markdown", str(md)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr
        texts.add(md.read_bytes())
    assert len(texts) == 1


def test_tree_order_parents_first_siblings_by_key_orphans_at_the_root_and_no_loop_on_a_cycle() -> None:
    items = [("c", "p"), ("p", None), ("a", "p"), ("orphan", "gone"), ("x", "y"), ("y", "x")]
    ordered = tree_order(items, urn=lambda i: i[0], parent=lambda i: i[1], key=lambda i: i[0])
    assert [i[0] for i in ordered] == ["orphan", "p", "a", "c", "x", "y"]


def test_a_fix_in_backticks_is_code_in_the_comment_not_literal_ticks() -> None:
    doc = {
        "project": "webex-scim",
        "stack": "dev",
        "steps": [],
        "policyViolations": [],
        "warnings": ["scimToken is not set: run `pulumi config set --secret scimToken <token>` (on stack dev)"],
        "changeSummary": {},
    }
    text = preview_markdown(doc)
    assert "- scimToken is not set: run <code>pulumi config set --secret scimToken &lt;token&gt;</code> (on" in text
    assert "\\`" not in text
    from webex_scim.markdown_writer import prose

    assert prose("a `tick` alone`") == esc("a `tick` alone`") == "a \\`tick\\` alone\\`"  # unpaired: plain text


def test_the_destructive_section_holds_a_username_source_change_not_a_no_op_delete() -> None:
    pod = {
        "op": "delete",
        "urn": "urn:pulumi:t::webex-scim::pulumi-python:dynamic/webex:ProvisionOnDemand::provision-pilot-user",
        "type": "pulumi-python:dynamic/webex:ProvisionOnDemand",
        "name": "provision-pilot-user",
    }
    doc = {
        "project": "webex-scim",
        "stack": "t",
        "steps": [pod],
        "policyViolations": [],
        "warnings": [],
        "changeSummary": {"delete": 1},
        "base": {"ref": "main", "ok": True},
        "mappings": {
            "added": [],
            "removed": [],
            "changed": [{"target": "userName", "old": "userPrincipalName", "new": "mail", "list": "userMappings"}],
        },
    }
    text = diff_markdown(doc)
    loud = text.split("**Destructive changes and weakened guards**", 1)[1].split("\n\n", 1)[0]
    assert "provision-pilot-user" not in loud  # pilot → full: deleting a one-shot action changes nothing
    assert (
        "**Guard weakened: userName's source changed** (<code>mappings.userNameSource</code>: "
        "<code>userPrincipalName</code> → <code>mail</code>)"
    ) in loud
    assert "🛡️ weakened: userName's source changed" in text.splitlines()[1]
    from offline.render import diff_lines

    text = [line for _, line in diff_lines(doc)]
    assert "USERNAME SOURCE CHANGES: userPrincipalName → mail (Webex matches users on it)" in text


@pytest.mark.parametrize(
    ("type_", "prop", "old", "new", "label"),
    [
        ("webex-scim:index:ProvisioningJob", "deleteThreshold", 500, 0, "accidental-deletion threshold off"),
        ("webex-scim:index:ProvisioningJob", "scope", "assigned", "all", "scope widened to all users"),
        ("webex-scim:index:ProvisioningJob", "enabled", True, False, "provisioning switched off"),
        ("webex-scim:index:WebexEnterpriseApp", "hideFromUsers", True, False, "the Cisco Webex app made visible"),
        ("webex-scim:index:WebexEnterpriseApp", "assignmentRequired", True, False, "assignment no longer required"),
        ("pulumi-python:dynamic/webex:JobRestart", "forceDeletesRequest", "", "2026-12-01", "a restart that forces"),
    ],
)
def test_every_weakened_guard_is_in_the_summary_and_the_caution_section(type_, prop, old, new, label) -> None:
    step = {
        "op": "update",
        "urn": f"urn:x::{prop}",
        "type": type_,
        "name": "n",
        "diff": {prop: {"old": old, "new": new}},
    }
    doc = {"stack": "t", "steps": [step], "changeSummary": {"update": 1}, "base": {"ref": "main", "ok": True}}
    text = diff_markdown(doc)
    assert f"🛡️ weakened: {label}" in text.splitlines()[1]
    assert f"> - **Guard weakened: {label}" in text
    from offline.render import diff_lines

    assert any(line.startswith(f"GUARD WEAKENED: {label}") for _, line in diff_lines(doc))
    # The other way round is no weakening: nothing loud.
    back = {**doc, "steps": [{**step, "diff": {prop: {"old": new, "new": old}}}]}
    assert "weakened" not in diff_markdown(back) and "[!CAUTION]" not in diff_markdown(back)


def test_an_emptied_value_reads_none_not_an_empty_code_span() -> None:
    from webex_scim.markdown_writer import side

    assert side("") == side(None) == side([]) == "<i>(none)</i>"
    assert side(0) == "<code>0</code>" and side(False) == "<code>false</code>"
